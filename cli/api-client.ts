import { randomUUID } from 'node:crypto';
import { CliError, type ProblemDocument } from './errors.ts';
import type { ApiTarget } from './target.ts';

export const USER_AGENT = 'nexus-relay-cli';
const TIMEOUT_MS = 60_000;

export type Query = Record<string, string | number | boolean | undefined>;

/**
 * A small client of the nexus-relay API. Non-2xx answers become a CliError carrying the problem document as the
 * API sent it (title, detail, code, request id); network failures name the URL and what to check.
 * POST and PUT carry an `Idempotency-Key`: the one given, or one random key per CLI invocation.
 */
export class ApiClient {
  readonly idempotencyKey: string;

  constructor(
    private readonly target: ApiTarget,
    options: { idempotencyKey?: string } = {},
  ) {
    this.idempotencyKey = options.idempotencyKey ?? randomUUID();
  }

  get baseUrl(): string {
    return this.target.url;
  }

  async call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(`${this.target.url}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.target.apiKey}`,
      accept: 'application/json, application/problem+json',
      'user-agent': USER_AGENT,
    };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (method === 'POST' || method === 'PUT') headers['idempotency-key'] = this.idempotencyKey;

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
        redirect: 'error',
      });
    } catch (error) {
      throw unreachable(this.target.url, error);
    }
    const text = await response.text();
    const requestId = response.headers.get('x-request-id') ?? undefined;
    if (!response.ok) throw new CliError(problemOf(response.status, text, requestId));
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError({
        title: 'Unexpected answer',
        status: response.status,
        detail: `${method} ${path} answered something that is not JSON: ${text.slice(0, 200)}`,
        code: 'bad_response',
        ...(requestId === undefined ? {} : { request_id: requestId }),
      });
    }
  }
}

/** The API's problem document as sent; for anything else (a proxy's HTML page), a problem describing it. */
function problemOf(status: number, text: string, requestId: string | undefined): ProblemDocument {
  try {
    const body = JSON.parse(text) as Partial<ProblemDocument>;
    if (body && typeof body === 'object' && typeof body.title === 'string') {
      return {
        type: 'about:blank',
        status,
        ...body,
        title: body.title,
        request_id: body.request_id ?? requestId,
      } as ProblemDocument;
    }
  } catch {
    // not JSON: described below
  }
  return {
    type: 'about:blank',
    title: `HTTP ${status}`,
    status,
    detail: text.slice(0, 300) || 'The answer had no body.',
    code: 'http_error',
    ...(requestId === undefined ? {} : { request_id: requestId }),
  };
}

export function unreachable(url: string, error: unknown): CliError {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  const timedOut = error instanceof Error && error.name === 'TimeoutError';
  return new CliError(
    {
      title: timedOut ? 'No answer in time' : 'Cannot reach the server',
      detail: `${url}: ${timedOut ? `no answer within ${TIMEOUT_MS / 1000} s` : cause}. Is it running? (locally: \`npm start\`)`,
      code: 'unreachable',
    },
    { cause: error },
  );
}
