import { Agent, request as httpRequest } from 'node:http';
import { observeRequestHeaders, observeResponse } from '../../support/secrets-scan/collector.ts';

export interface RawRequest {
  method: string;
  /** The request target exactly as sent: not normalised, not re-encoded (fetch would resolve `..` first). */
  target: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RawAnswer {
  status: number;
  contentType: string | undefined;
  requestId: string | undefined;
  text: string;
}

/** A keep-alive HTTP/1.1 client that sends request targets and headers byte for byte as given. */
export function rawHttpClient(baseUrl: string) {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  return {
    send(request: RawRequest): Promise<RawAnswer> {
      return new Promise((resolve, reject) => {
        const outgoing = httpRequest(
          {
            agent,
            host: hostname,
            port,
            method: request.method,
            path: request.target,
            // Without it Node does not frame a GET's body, which then reads as the next request on the connection.
            headers: {
              ...request.headers,
              ...(request.body === undefined ? {} : { 'content-length': Buffer.byteLength(request.body) }),
            },
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.on('end', () => {
              const answer = {
                status: response.statusCode ?? 0,
                contentType: response.headers['content-type'],
                requestId: response.headers['x-request-id'] as string | undefined,
                text: Buffer.concat(chunks).toString('utf8'),
              };
              // For the suite's secrets scan: the credentials sent, and what our gateway answered.
              observeRequestHeaders(request.headers, answer.status);
              const headers = new Headers(answer.requestId === undefined ? {} : { 'x-request-id': answer.requestId });
              observeResponse(request.method, request.target, answer.status, headers, answer.text);
              resolve(answer);
            });
            response.on('error', reject);
          },
        );
        outgoing.on('error', reject);
        outgoing.end(request.body);
      });
    },
    close: () => agent.destroy(),
  };
}
