import { type Dispatcher, Pool } from 'undici';
import type { z } from 'zod';
import { type Clock, systemClock } from '../clock.ts';
import { type Log, silentLog } from '../logger.ts';
import { type MxCallSite, MxError, mxErrorFromResponse } from './errors.ts';

export const NEXUS_MEDIA_TYPE = 'application/vnd.mx.nexus.v1+json';
/** Nexus accepts JSON only and wants its media type both ways on every data-host call. */
export const NEXUS_HEADERS = { Accept: NEXUS_MEDIA_TYPE, 'Content-Type': NEXUS_MEDIA_TYPE } as const;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

/** `'/members/{member_guid}/aggregate'` → `'member_guid'`. */
type RouteParamName<Route extends string> = Route extends `${string}{${infer Name}}${infer Rest}`
  ? Name | RouteParamName<Rest>
  : never;

type RouteParams<Route extends string> = Record<RouteParamName<Route>, string>;

/** One call, described by its route pattern: params are required exactly when the pattern has placeholders. */
export type MxCall<Route extends string, Schema extends z.ZodType = z.ZodUnknown> = {
  method: HttpMethod;
  route: Route;
  /** Query values are URL-encoded; `undefined` ones are left out. */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Validates a 2xx body; a mismatch fails the call with MX_INVALID_RESPONSE. */
  schema?: Schema;
  /** 1-based attempt number of this call, for the log line. */
  attempt?: number;
} & ([RouteParamName<Route>] extends [never] ? { params?: undefined } : { params: RouteParams<Route> });

export interface MxResponse<Body = unknown> {
  status: number;
  /** Parsed JSON; `undefined` for an empty body. */
  body: Body;
}

export interface MxTransportOptions {
  /** Origin, optionally with a base path: `https://int-data.moneydesktop.com`. */
  baseUrl: string;
  /** Applied to both the wait for headers and each wait between body chunks (and to connecting, by default). */
  timeoutMs: number;
  /** Sent on every call; a call's own headers win. */
  defaultHeaders?: Record<string, string>;
  /** Defaults to one keep-alive Pool on the origin; tests pass a MockAgent. */
  dispatcher?: Dispatcher;
  /** Names the upstream in log lines (`mx-data`, `mx-sso`). */
  upstream?: string;
  log?: Log;
  clock?: Clock;
}

type AnyMxCall = Omit<MxCall<string, z.ZodType>, 'params'> & { params?: Record<string, string> };

const TIMEOUT_ERROR_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * HTTP to one MX origin over one keep-alive dispatcher. Every failure comes out as an MxError; every call is
 * logged once, by route pattern — never the concrete path, a header value or a body.
 */
export class MxTransport {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #defaultHeaders: Record<string, string>;
  readonly #dispatcher: Dispatcher;
  readonly #upstream: string;
  readonly #log: Log;
  readonly #clock: Clock;

  constructor(options: MxTransportOptions) {
    const base = new URL(options.baseUrl);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#defaultHeaders = options.defaultHeaders ?? {};
    this.#dispatcher = options.dispatcher ?? new Pool(base.origin, { connect: { timeout: options.timeoutMs } });
    this.#upstream = options.upstream ?? base.host;
    this.#log = options.log ?? silentLog;
    this.#clock = options.clock ?? systemClock;
  }

  async request<Route extends string, Schema extends z.ZodType = z.ZodUnknown>(
    typedCall: MxCall<Route, Schema>,
  ): Promise<MxResponse<z.output<Schema>>> {
    const call = typedCall as AnyMxCall;
    const site: MxCallSite = { method: call.method, route: call.route };
    const request: Dispatcher.RequestOptions = {
      origin: this.#origin,
      path: this.#basePath + buildPath(call.route, call.params) + buildQuery(call.query),
      method: call.method,
      headers: { ...this.#defaultHeaders, ...call.headers },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    };
    const logFields = { upstream: this.#upstream, ...site, attempt: call.attempt ?? 1 };
    const startedAt = performance.now();
    try {
      const response = await this.#exchange(request, site, call.schema);
      this.#log.info('mx call', { ...logFields, status: response.status, latency_ms: elapsedMs(startedAt) });
      return response as MxResponse<z.output<Schema>>;
    } catch (error) {
      const mxError = error as MxError;
      this.#log.warn('mx call failed', {
        ...logFields,
        status: mxError.status,
        latency_ms: elapsedMs(startedAt),
        error_code: mxError.code,
        mx_code: mxError.mxCode,
      });
      throw mxError;
    }
  }

  /** Closes the default pool's sockets (for tests and the local runtime; a Lambda keeps its pool). */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** Throws only MxError. */
  async #exchange(request: Dispatcher.RequestOptions, site: MxCallSite, schema?: z.ZodType): Promise<MxResponse> {
    let status: number;
    let headers: Record<string, string | string[] | undefined>;
    let text: string;
    try {
      const response = await this.#dispatcher.request(request);
      status = response.statusCode;
      headers = response.headers;
      text = await response.body.text();
    } catch (error) {
      throw transportFailure(error, site);
    }

    if (status < 200 || status > 299) throw mxErrorFromResponse({ status, headers, body: text }, site, this.#clock.now());

    const body = parseJson(text, status, site);
    if (!schema) return { status, body };
    const result = schema.safeParse(body);
    if (!result.success) {
      const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))].slice(0, 5);
      const message = `MX answered ${site.method} ${site.route} with an unexpected body shape (at ${fields.join(', ')})`;
      throw new MxError('MX_INVALID_RESPONSE', message, { ...site, status, cause: result.error });
    }
    return { status, body: result.data };
  }
}

function buildPath(route: string, params: Record<string, string> = {}): string {
  return route.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`Path parameter ${name} of ${route} is missing`);
    // encodeURIComponent leaves "." alone, so a whole-segment "." or ".." would still walk the path.
    if (value === '' || value === '.' || value === '..') {
      throw new TypeError(`Path parameter ${name} of ${route} must not be empty, "." or ".."`);
    }
    return encodeURIComponent(value);
  });
}

function buildQuery(query: Record<string, QueryValue> = {}): string {
  const pairs = Object.entries(query)
    .filter((entry): entry is [string, string | number | boolean] => entry[1] !== undefined)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

function parseJson(text: string, status: number, site: MxCallSite): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // The SyntaxError is not kept as cause: its message quotes the body, which may hold a token.
    throw new MxError('MX_INVALID_RESPONSE', `MX answered ${site.method} ${site.route} with a body that is not JSON`, {
      ...site,
      status,
    });
  }
}

function transportFailure(error: unknown, site: MxCallSite): MxError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && TIMEOUT_ERROR_CODES.has(code)) {
    return new MxError('MX_TIMEOUT', `MX did not answer ${site.method} ${site.route} in time`, { ...site, cause: error });
  }
  const reason = typeof code === 'string' ? ` (${code})` : '';
  return new MxError('MX_NETWORK_ERROR', `${site.method} ${site.route} could not reach MX${reason}`, { ...site, cause: error });
}

const elapsedMs = (startedAt: number): number => Math.round(performance.now() - startedAt);
