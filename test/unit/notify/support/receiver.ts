import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived, by the receiver's clock (epoch ms). */
  receivedAt: number;
}

export type Responder = (request: ReceivedRequest, response: ServerResponse) => void;

/** A real webhook endpoint on a free loopback port: records every request and answers with `respond`. */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  respond: Responder = (_, response) => response.writeHead(204).end();

  private constructor(
    private readonly server: Server,
    private readonly now: () => number,
  ) {}

  /** `now` is the receiver's clock: pass the test's ManualClock to see requests in simulated time. */
  static async start(options: { respond?: Responder; now?: () => number } = {}): Promise<Receiver> {
    const server = createServer();
    const receiver = new Receiver(server, options.now ?? Date.now);
    if (options.respond) receiver.respond = options.respond;
    server.on('request', (incoming, response) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const request = {
          method: incoming.method ?? '',
          path: incoming.url ?? '',
          headers: incoming.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: receiver.now(),
        };
        receiver.requests.push(request);
        receiver.respond(request, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** The requests made to `path`. */
  to(path: string): ReceivedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
