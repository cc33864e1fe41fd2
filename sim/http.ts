import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1_048_576;

export class PayloadTooLargeError extends Error {
  constructor() {
    super(`Request body exceeds ${MAX_BODY_BYTES} bytes.`);
    this.name = 'PayloadTooLargeError';
  }
}

/** Splits a request target without normalising it: `/members/../x` must reach the router as sent. */
export function splitTarget(target: string): { path: string; query: URLSearchParams } {
  const queryStart = target.indexOf('?');
  if (queryStart === -1) return { path: target, query: new URLSearchParams() };
  return { path: target.slice(0, queryStart), query: new URLSearchParams(target.slice(queryStart + 1)) };
}

/** Reads the whole body. An oversized one is drained, not cut off, so the connection can still carry the 413. */
export function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => (size > MAX_BODY_BYTES ? reject(new PayloadTooLargeError()) : resolve(Buffer.concat(chunks))));
    request.on('error', reject);
  });
}

/** The parsed JSON body, or undefined when there is none. Throws SyntaxError on malformed JSON. */
export function parseJsonBody(body: Buffer): unknown {
  const text = body.toString('utf8');
  return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** True when the Accept header is absent or names one of `mediaTypes` (parameters such as q are ignored). */
export function acceptsAnyOf(acceptHeader: string | undefined, mediaTypes: readonly string[]): boolean {
  if (acceptHeader === undefined || acceptHeader.trim() === '') return true;
  return acceptHeader.split(',').some((range) => mediaTypes.includes((range.split(';')[0] ?? '').trim().toLowerCase()));
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': contentType,
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

export function sendNoContent(response: ServerResponse): void {
  response.writeHead(204).end();
}
