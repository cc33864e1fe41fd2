import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { recordText, registerSecret } from './secrets-scan/collector.ts';

export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: { job: { id: string; status: string; [key: string]: unknown }; member: Record<string, unknown> };
  verified: boolean;
}

/**
 * A client app's webhook endpoint: verifies every delivery with the public `standardwebhooks` library (once the
 * secret is known) and records what arrived. `respond` decides the status code (204 by default).
 */
export async function startWebhookReceiver() {
  const events: ReceivedEvent[] = [];
  const rejected: string[] = [];
  const waiters = new Set<() => void>();
  let verifier: Webhook | undefined;
  let respond: (event: ReceivedEvent) => number | Promise<number> = () => 204;

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      recordText('webhook', body, request.url);
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k, String(v)]));
      try {
        if (!verifier) throw new Error('no secret yet');
        const payload = verifier.verify(body, headers) as Omit<ReceivedEvent, 'id' | 'verified'>;
        const event = { ...payload, id: headers['webhook-id']!, verified: true };
        events.push(event);
        for (const wake of waiters) wake();
        const status = await respond(event);
        // The sender may be gone by now (a relay killed mid-attempt): the answer then goes nowhere.
        if (!response.destroyed) response.writeHead(status).end();
      } catch (error) {
        rejected.push(`${(error as Error).message}: ${body.slice(0, 200)}`);
        response.writeHead(400).end();
      }
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    events,
    rejected,
    useSecret(secret: string) {
      registerSecret('webhook secret', secret);
      verifier = new Webhook(secret);
    },
    respondWith(fn: (event: ReceivedEvent) => number | Promise<number>) {
      respond = fn;
    },
    /** Resolves with the first events matching `predicate` once `count` of them have arrived. */
    waitFor(predicate: (event: ReceivedEvent) => boolean, count = 1, timeoutMs = 30_000): Promise<ReceivedEvent[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = events.filter(predicate);
          if (matching.length < count) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(matching);
          return true;
        };
        const wake = () => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(
            new Error(
              `timed out waiting for ${count} webhook(s); received: ${JSON.stringify(events.map((e) => [e.type, e.data.job?.id]))}`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(wake);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
