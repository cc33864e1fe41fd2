import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';

/** What a refresh answered, as the driver needs it. */
export interface RefreshAnswer {
  statusCode: number;
  body: { job?: { id: string } };
}

/**
 * A client app of the relay: it refreshes members through the API and receives the signed webhooks, verifying each
 * with `standardwebhooks` as a real client would. What it receives is recorded whether or not the meters count, so
 * a late duplicate still shows.
 */
export interface ClientApp {
  refresh(userId: string, memberGuid: string): Promise<RefreshAnswer>;
  /** The webhook-ids of the terminal events received, by job. */
  terminalByJob: Map<string, Set<string>>;
  /** Deliveries received, by webhook-id (more than one: delivered again). */
  deliveriesById: Map<string, number>;
  /** `aggregation.started` events received. */
  readonly started: number;
  /** Deliveries that failed verification. */
  readonly rejected: number;
  /** When the latest terminal event arrived (`performance.now()`; 0 before any). */
  readonly lastTerminalAt: number;
  stop(): Promise<void>;
}

/** Starts the client's webhook endpoint and subscribes it to the relay's events. */
export async function startClientApp(options: { apiUrl: string; apiKey: string; connections: number }): Promise<ClientApp> {
  let verifier: Webhook | undefined;
  const terminalByJob = new Map<string, Set<string>>();
  const deliveriesById = new Map<string, number>();
  let started = 0;
  let rejected = 0;
  let lastTerminalAt = 0;
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      try {
        const event = verifier!.verify(body, headers) as { type: string; data: { job: { id: string } } };
        const id = headers['webhook-id']!;
        deliveriesById.set(id, (deliveriesById.get(id) ?? 0) + 1);
        if (event.type === 'aggregation.started') started++;
        else if (event.type.startsWith('aggregation.')) {
          const ids = terminalByJob.get(event.data.job.id) ?? new Set<string>();
          ids.add(id);
          terminalByJob.set(event.data.job.id, ids);
          lastTerminalAt = performance.now();
        }
        response.writeHead(204).end();
      } catch {
        rejected++;
        response.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const api = new Pool(options.apiUrl, { connections: options.connections });
  const authorization = `Bearer ${options.apiKey}`;
  const created = await api.request({
    method: 'POST',
    path: '/webhooks',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiverUrl }),
  });
  const webhook = (await created.body.json()) as { webhook: { secret: string } };
  if (created.statusCode !== 201)
    throw new Error(`creating the webhook failed: ${created.statusCode} ${JSON.stringify(webhook)}`);
  verifier = new Webhook(webhook.webhook.secret);

  return {
    async refresh(userId, memberGuid) {
      const response = await api.request({
        method: 'POST',
        path: `/users/${userId}/members/${memberGuid}/refresh`,
        headers: { authorization },
      });
      return { statusCode: response.statusCode, body: (await response.body.json()) as RefreshAnswer['body'] };
    },
    terminalByJob,
    deliveriesById,
    get started() {
      return started;
    },
    get rejected() {
      return rejected;
    },
    get lastTerminalAt() {
      return lastTerminalAt;
    },
    async stop() {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      await api.close();
    },
  };
}
