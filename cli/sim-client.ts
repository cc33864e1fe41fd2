import { CliError, unreachable } from './errors.ts';
import { USER_AGENT } from './relay-client.ts';

const TIMEOUT_MS = 30_000;

/**
 * The MX simulator's control API (`/_sim/…`, see sim/README.md). It answers errors as
 * `{"error":{"message"}}`; they become problems titled "The simulator refused the request".
 */
export class SimClient {
  constructor(readonly baseUrl: string) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: { 'user-agent': USER_AGENT, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw unreachable(this.baseUrl, error, TIMEOUT_MS);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const message = (json as { error?: { message?: unknown } } | undefined)?.error?.message;
      throw new CliError({
        title: 'The simulator refused the request',
        status: response.status,
        detail: typeof message === 'string' ? message : `${method} ${path}: ${text.slice(0, 200)}`,
        code: 'simulator_error',
      });
    }
    return json as T;
  }
}
