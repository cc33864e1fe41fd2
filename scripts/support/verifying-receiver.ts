import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '@nexus-relay/client';

/**
 * A webhook nexus-relay delivered, once its signature verified (Standard Webhooks), with the fields the local
 * tools read (the client kit's `RelayEvent` has every event's exact shape).
 */
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
 * A local webhook endpoint (on 127.0.0.1, `port` 0 = any free one) that verifies every delivery with the client
 * kit's `verifyWebhook` before anything else looks at it: verified → `onEvent` and 204, refused → `onRejected` and 400,
 * no secret yet → 503 (nexus-relay retries it).
 */
export async function startVerifyingReceiver(
  onEvent: (event: VerifiedEvent) => void,
  onRejected: (reason: string) => void,
  port = 0,
): Promise<Receiver> {
  let secret: string | undefined;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // Not subscribed yet: a delivery cannot be ours; 503 makes nexus-relay retry it.
      if (secret === undefined) return void response.writeHead(503).end();
      let verified: ReturnType<typeof verifyWebhook>;
      try {
        verified = verifyWebhook(Buffer.concat(chunks), request.headers, secret);
      } catch (error) {
        response.writeHead(400).end();
        onRejected(`${(error as Error).message} (webhook-id ${request.headers['webhook-id'] ?? '?'})`);
        return;
      }
      response.writeHead(204).end();
      onEvent({ ...(verified.event as Omit<VerifiedEvent, 'id'>), id: verified.id });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    useSecret: (given) => (secret = given),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
