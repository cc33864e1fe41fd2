import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** A webhook nexus-relay delivered, once its signature verified (Standard Webhooks). */
export interface VerifiedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: {
    job?: {
      id: string;
      member_guid: string;
      status: string;
      connection_status?: string;
      challenges?: { guid: string; label: string }[];
    };
    member?: { guid: string; connection_status?: string };
  };
}

export interface Receiver {
  url: string;
  useSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * A local webhook endpoint (on 127.0.0.1, `port` 0 = any free one) that verifies every delivery with
 * `standardwebhooks` before anything else looks at it: verified → `onEvent` and 204, refused → `onRejected` and 400,
 * no secret yet → 503 (nexus-relay retries it).
 */
export async function startVerifyingReceiver(
  onEvent: (event: VerifiedEvent) => void,
  onRejected: (reason: string) => void,
  port = 0,
): Promise<Receiver> {
  let verifier: Webhook | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // Not subscribed yet: a delivery cannot be ours; 503 makes nexus-relay retry it.
      if (!verifier) return void response.writeHead(503).end();
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      let payload: Omit<VerifiedEvent, 'id'>;
      try {
        payload = verifier.verify(body, headers) as Omit<VerifiedEvent, 'id'>;
      } catch (error) {
        response.writeHead(400).end();
        onRejected(`${(error as Error).message} (webhook-id ${headers['webhook-id'] ?? '?'})`);
        return;
      }
      response.writeHead(204).end();
      onEvent({ ...payload, id: headers['webhook-id']! });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    useSecret: (secret) => (verifier = new Webhook(secret)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
