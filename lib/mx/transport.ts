import type { Dispatcher } from 'undici';
import { Pool, request as dispatch } from '../undici.ts';
import type * as z from '../zod.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { type MxMetrics, type MxRouteClass, statusClass } from './mx-metrics.ts';
import type { Deadline } from './deadline.ts';
import { type MxCallSite, MxError, mxErrorFromResponse } from './errors.ts';
import { type Decoder, decodeJson, jsonText, type MxAnswer } from './mx-answer.ts';
import { classifyFailure, isRetryableFailure, type RetryPolicy } from './retry-policy.ts';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.ts';
import { MxBudgetSpent, type MxCallBudget } from './call-budget.ts';
import { expandPathTemplate } from '../path-template.ts';
import { NexusRelayError } from '../errors.ts';
import { networkErrorCode, networkFailure } from '../network-error.ts';

export const NEXUS_MEDIA_TYPE = 'application/vnd.mx.nexus.v1+json';
/** Nexus accepts JSON only and wants its media type both ways on every data-host call. */
export const NEXUS_HEADERS = { Accept: NEXUS_MEDIA_TYPE, 'Content-Type': NEXUS_MEDIA_TYPE } as const;

/** The methods the relay calls MX with. */
export type MxMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** A list repeats its name: `account_guids[]=A&account_guids[]=B`. */
export type QueryValue = string | number | boolean | readonly string[] | undefined;

/** `'/members/{member_guid}/aggregate'` → `'member_guid'`. */
type RouteParamName<Route extends string> = Route extends `${string}{${infer Name}}${infer Rest}`
  ? Name | RouteParamName<Rest>
  : never;

type RouteParams<Route extends string> = Record<RouteParamName<Route>, string>;

/** One call: params are required exactly when the route pattern has placeholders; a run-time `string` route takes any. */
export type MxCall<Route extends string, Schema extends z.ZodMiniType = z.ZodMiniUnknown> = {
  method: MxMethod;
  route: Route;
  /** What the call does, for MX's metrics: one value per kind of call, never a path. */
  kind: MxRouteClass;
  /** `undefined` values are left out. */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Validates a 2xx body; a mismatch fails the call with MX_INVALID_RESPONSE. */
  schema?: Schema;
  /** MX may receive it twice without harm, so it is retried after a lost answer too. Default: GET only; aggregate says false. */
  idempotent?: boolean;
} & (string extends Route
  ? { params?: Record<string, string> }
  : [RouteParamName<Route>] extends [never]
    ? { params?: undefined }
    : { params: RouteParams<Route> });

export interface MxResponse<Body = unknown> {
  status: number;
  /** Parsed JSON; `undefined` for an empty body. */
  body: Body;
}

export interface MxRequestOptions {
  /** Shared by the MX calls of one logical operation; by default the call gets the policy's whole budget. */
  deadline?: Deadline;
}

export interface MxTransportOptions {
  /** Origin, optionally with a base path: `https://int-data.moneydesktop.com`. */
  baseUrl: string;
  /** Limit of one attempt, from connecting to the last body byte (capped by what is left of the budget). */
  timeoutMs: number;
  retry: RetryPolicy;
  /** A call's own headers win. */
  defaultHeaders?: Record<string, string>;
  /** Defaults to one keep-alive Pool on the origin; tests pass a MockAgent. */
  dispatcher?: Dispatcher;
  /** Names the upstream in log lines (`mx-data`, `mx-sso`). */
  upstream?: string;
  /** Awaited before each attempt, within its time limit (e.g. a gate holding a call for its slot); a throw fails the attempt. */
  beforeSend?: (call: MxCallSite, signal: AbortSignal) => Promise<void>;
  /**
   * This host's budget, shared by the container's transports to it; each attempt spends one. An app's budget shortens
   * the breaker's hold. One of another host is refused: a host's calls never spend another's.
   */
  budget?: Pick<MxCallBudget, 'take'> & Partial<Pick<MxCallBudget, 'priority' | 'upstream'>>;
  log: Log;
  clock?: Clock;
  metrics: MxMetrics;
}

type AnyMxCall = Omit<MxCall<string, z.ZodMiniType>, 'params'> & { params?: Record<string, string> };

/** What one exchange sends. */
export type MxExchange = Pick<AnyMxCall, 'method' | 'route' | 'params' | 'query' | 'headers' | 'body'>;

/** What every log line of a call says. */
type CallFields = MxCallSite & { upstream: string; latency_ms: number; attempts: number };

/** The default keep-alive pool: connecting gets one attempt's limit. */
export const mxPool = (baseUrl: string, timeoutMs: number): Pool =>
  new Pool(new URL(baseUrl).origin, { connect: { timeout: timeoutMs } });

/** A successful call this slow (or retried) is logged at info; quicker ones at debug, to spare a warm read a log line. */
export const SLOW_CALL_MS = 1_000;

/**
 * HTTP to one MX origin, retried as the policy allows. Every failure is an MxError; every call is logged once by route
 * pattern — never the concrete path, a header value or a body.
 */
export class MxTransport {
  readonly #origin: string;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #retry: RetryPolicy;
  readonly #defaultHeaders: Record<string, string>;
  readonly #dispatcher: Dispatcher;
  readonly #upstream: string;
  readonly #log: Log;
  readonly #clock: Clock;
  readonly #metrics: MxMetrics;
  readonly #beforeSend: MxTransportOptions['beforeSend'];
  readonly #breaker: CircuitBreaker;
  readonly #budget: MxTransportOptions['budget'];

  constructor(options: MxTransportOptions) {
    const base = new URL(options.baseUrl);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#retry = options.retry;
    this.#defaultHeaders = options.defaultHeaders ?? {};
    this.#dispatcher = options.dispatcher ?? mxPool(options.baseUrl, options.timeoutMs);
    this.#upstream = options.upstream ?? base.host;
    this.#log = options.log;
    this.#clock = options.clock ?? systemClock;
    this.#metrics = options.metrics;
    this.#beforeSend = options.beforeSend;
    if (options.budget?.upstream !== undefined && options.budget.upstream !== this.#upstream) {
      const message = `An MX transport to ${this.#upstream} was given ${options.budget.upstream}'s call budget`;
      throw new NexusRelayError('MX_BUDGET_OF_ANOTHER_HOST', message);
    }
    this.#budget = options.budget;
    // Per container and host (decision 0021); `exchange` goes around it.
    this.#breaker = new CircuitBreaker({
      upstream: this.#upstream as 'mx-data',
      priority: options.budget?.priority,
      clock: this.#clock,
      log: this.#log,
      metrics: this.#metrics,
    });
  }

  /** This upstream's circuit breaker state in this container. */
  get circuit(): BreakerState {
    return this.#breaker.state;
  }

  async request<Route extends string, Schema extends z.ZodMiniType = z.ZodMiniUnknown>(
    typedCall: MxCall<Route, Schema>,
    options: MxRequestOptions = {},
  ): Promise<MxResponse<z.output<Schema>>> {
    const call = typedCall as AnyMxCall;
    return this.#request(call, options, (answer, site) => decodeJson(answer, site, call.schema)) as Promise<
      MxResponse<z.output<Schema>>
    >;
  }

  /** The same call, with MX's 2xx JSON text handed back unparsed, for bodies relayed unchanged (see `jsonText`). */
  async requestText<Route extends string>(
    typedCall: Omit<MxCall<Route>, 'schema'>,
    options: MxRequestOptions = {},
  ): Promise<MxResponse<string>> {
    return this.#request(typedCall as AnyMxCall, options, jsonText);
  }

  /**
   * One attempt, its answer handed back whatever its status, for diagnostics (`nexus-relay mx check`): no breaker, retry,
   * log line or metric. No answer at all throws MxError.
   */
  async exchange(call: MxExchange): Promise<MxAnswer> {
    return this.#send(this.#requestOf(call), { method: call.method, route: call.route }, this.#timeoutMs);
  }

  #requestOf(call: MxExchange): Dispatcher.RequestOptions {
    return {
      origin: this.#origin,
      path: this.#basePath + buildPath(call.route, call.params) + buildQuery(call.query),
      method: call.method,
      headers: call.headers ? { ...this.#defaultHeaders, ...call.headers } : this.#defaultHeaders,
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
    };
  }

  async #request<Body>(call: AnyMxCall, options: MxRequestOptions, decode: Decoder<Body>): Promise<MxResponse<Body>> {
    const site: MxCallSite = { method: call.method, route: call.route };
    this.#admit(site);
    const request = this.#requestOf(call);
    const idempotent = call.idempotent ?? call.method === 'GET';
    const deadline = options.deadline ?? this.#retry.newDeadline();
    const startedAt = this.#retry.timer.now();
    let attempts = 0;
    try {
      const response = await this.#retry.run(
        async (attempt) => {
          attempts = attempt;
          await this.#spendBudget(site);
          return this.#attempt(request, site, deadline, decode);
        },
        {
          deadline,
          isRetryable: (error) => (error as MxError).code !== 'MX_BUDGET_SPENT' && isRetryableFailure(error, idempotent),
          onRetry: (error, attempt, delayMs) => this.#retrying(call.kind, site, error as MxError, attempt, delayMs),
        },
      );
      this.#breaker.record(true);
      const fields = { ...this.#callFields(site, startedAt, attempts), status: response.status };
      this.#countCall(call.kind, response.status, undefined, fields.latency_ms);
      if (attempts > 1 || fields.latency_ms >= SLOW_CALL_MS) this.#log.info('mx call', fields);
      else this.#log.debug('mx call', fields);
      return response;
    } catch (error) {
      throw this.#failed(call.kind, error as MxError, this.#callFields(site, startedAt, attempts));
    }
  }

  /** The breaker first: a call it holds spends no budget. */
  #admit(site: MxCallSite): void {
    const heldMs = this.#breaker.admit();
    if (heldMs <= 0) return;
    this.#metrics.add('MxCircuitRefusals', 1, { upstream: this.#upstream as 'mx-data' });
    const retryAfterSeconds = Math.ceil(heldMs / 1000);
    const message = `MX is failing: calls to ${this.#upstream} are held for ${retryAfterSeconds} s`;
    throw new MxError('MX_CIRCUIT_OPEN', message, { ...site, retryAfterSeconds });
  }

  #retrying(kind: MxRouteClass, site: MxCallSite, error: MxError, attempt: number, delayMs: number): void {
    const { status, code } = error;
    this.#countFailedAttempt(error);
    this.#metrics.add('MxRetries', 1, { route: kind, status_class: statusClass(status, code) });
    const retryInMs = Math.round(delayMs);
    this.#log.debug('mx attempt failed', {
      upstream: this.#upstream,
      ...site,
      attempt,
      status,
      error_code: code,
      retry_in_ms: retryInMs,
    });
  }

  #failed(kind: MxRouteClass, error: MxError, fields: CallFields): MxError {
    // Refused by the budget before reaching MX: no outcome of MX's, and the probe (if this was it) is free.
    if (error.code === 'MX_BUDGET_SPENT' && fields.attempts <= 1) this.#breaker.release();
    else this.#breaker.record(error.code !== 'MX_BUDGET_SPENT' && classifyFailure(error) === 'final');
    this.#countFailedAttempt(error);
    this.#countCall(kind, error.status, error.code, fields.latency_ms);
    this.#log.warn('mx call failed', { ...fields, status: error.status, error_code: error.code, mx_code: error.mxCode });
    return error;
  }

  #callFields(site: MxCallSite, startedAt: number, attempts: number): CallFields {
    const latencyMs = Math.round(this.#retry.timer.now() - startedAt);
    return { upstream: this.#upstream, ...site, latency_ms: latencyMs, attempts };
  }

  async #spendBudget(site: MxCallSite): Promise<void> {
    try {
      await this.#budget?.take();
    } catch (error) {
      if (!(error instanceof MxBudgetSpent)) throw error;
      const retryAfterSeconds = Math.ceil(error.retryAfterMs / 1000);
      throw new MxError('MX_BUDGET_SPENT', `The relay's MX call budget is spent for the next ${retryAfterSeconds} s`, {
        ...site,
        retryAfterSeconds,
        cause: error,
      });
    }
  }

  #countCall(kind: MxRouteClass, status: number | undefined, code: string | undefined, latencyMs: number): void {
    const dimensions = { route: kind, status_class: statusClass(status, code) };
    this.#metrics.add('MxCallLatency', latencyMs, dimensions);
  }

  /** MX's 429s, each attempt's, with the Retry-After it gave. */
  #countFailedAttempt(error: MxError): void {
    if (error.status !== 429) return;
    const upstream = this.#upstream as 'mx-data';
    this.#metrics.add('MxThrottled', 1, { upstream });
    if (error.retryAfterSeconds !== undefined) this.#metrics.add('MxRetryAfter', error.retryAfterSeconds, { upstream });
  }

  /** A deadline of the policy's whole budget, to share among the calls of one logical operation. */
  newDeadline(): Deadline {
    return this.#retry.newDeadline();
  }

  /** Closes the default pool's sockets (for tests and the local runtime; a Lambda keeps its pool). */
  async close(): Promise<void> {
    await this.#dispatcher.close();
  }

  /** One attempt. Throws only MxError. */
  async #attempt<Body>(
    request: Dispatcher.RequestOptions,
    site: MxCallSite,
    deadline: Deadline,
    decode: Decoder<Body>,
  ): Promise<MxResponse<Body>> {
    const timeoutMs = Math.min(this.#timeoutMs, deadline.remainingMs());
    if (timeoutMs <= 0) {
      throw new MxError('MX_TIMEOUT', `No time left in the budget to call ${site.method} ${site.route}`, site);
    }
    const answer = await this.#send(request, site, timeoutMs);
    const { status } = answer;
    if (status < 200 || status > 299) throw mxErrorFromResponse({ ...answer, body: answer.text }, site, this.#clock.now());
    return { status, body: decode(answer, site) };
  }

  /** Sends `request` and reads its whole answer within `timeoutMs`. Throws only MxError. */
  async #send(request: Dispatcher.RequestOptions, site: MxCallSite, timeoutMs: number): Promise<MxAnswer> {
    // Not undici's headersTimeout/bodyTimeout: coarse, and each bounds one wait, not the whole exchange.
    // Not AbortSignal.timeout(): its timer cannot be cleared.
    const attempt = new AbortController();
    const { signal } = attempt;
    const timeout = setTimeout(() => attempt.abort(timedOut()), Math.ceil(timeoutMs));
    try {
      if (this.#beforeSend) await this.#beforeSend(site, signal);
      const response = await dispatch(this.#dispatcher, { ...request, signal });
      return { status: response.statusCode, headers: response.headers, text: await response.body.text() };
    } catch (error) {
      throw transportFailure(error, site, signal.aborted);
    } finally {
      clearTimeout(timeout);
    }
  }
}

/** The DOMException AbortSignal.timeout() gives. */
const timedOut = () => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

function buildPath(route: string, params: Record<string, string> = {}): string {
  return expandPathTemplate(route, (name) => {
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
  const pairs = Object.entries(query).flatMap(([key, value]) =>
    value === undefined
      ? []
      : (Array.isArray(value) ? value : [value]).map((one) => `${encodeURIComponent(key)}=${encodeURIComponent(String(one))}`),
  );
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`;
}

function transportFailure(error: unknown, site: MxCallSite, timedOut: boolean): MxError {
  const code = networkErrorCode(error);
  if (timedOut || networkFailure(code) === 'timeout') {
    return new MxError('MX_TIMEOUT', `MX did not answer ${site.method} ${site.route} in time`, { ...site, cause: error });
  }
  const reason = code === undefined ? '' : ` (${code})`;
  return new MxError('MX_NETWORK_ERROR', `${site.method} ${site.route} could not reach MX${reason}`, { ...site, cause: error });
}
