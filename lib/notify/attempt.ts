import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { type Clock, toEpochSeconds } from '../clock.ts';
import { request } from '../undici.ts';
import { BlockedAddressError } from './address-guard.ts';
import { networkErrorCode, networkFailure } from '../network-error.ts';
import { webhookHeaders } from './signing.ts';

export const USER_AGENT = 'nexus-relay-webhooks/0.1';
/** How much of a receiver's answer is kept in the delivery log. */
export const RESPONSE_EXCERPT_BYTES = 1024;

/** Why an attempt got no answer. `blocked_address`: the host resolved to an address webhooks may not reach. */
export type AttemptError = 'timeout' | 'dns' | 'connection' | 'tls' | 'blocked_address' | 'other';

export interface AttemptRequest {
  url: string;
  msgId: string;
  /** Sent byte for byte. */
  payload: string;
  /** Signing secrets, newest first. */
  secrets: readonly string[];
}

export interface AttemptOutcome {
  /** A 2xx answer within the timeout. */
  ok: boolean;
  statusCode?: number;
  latencyMs: number;
  error?: AttemptError;
  /** The low-level code behind `error`, for logs. */
  errorCode?: string;
  responseExcerpt?: string;
  /** No answer within the patience: given up, not an attempt's outcome. */
  slow?: true;
}

export interface WebhookSenderOptions {
  timeoutMs: number;
  clock: Clock;
  /** Deployed, an agent connecting only to allowed addresses. */
  dispatcher: Dispatcher;
}

/**
 * One signed POST; never throws for the endpoint's sake. Redirects are not followed: a 3xx is a failed attempt. The
 * timeout bounds the whole exchange.
 */
export class WebhookSender {
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #dispatcher: Dispatcher;

  constructor(options: WebhookSenderOptions) {
    this.#timeoutMs = options.timeoutMs;
    this.#clock = options.clock;
    this.#dispatcher = options.dispatcher;
  }

  /** Past `patienceMs`, or on `giveUp`, the exchange is given up as `slow`: the endpoint may have received the request. */
  async send(attempt: AttemptRequest, options: { patienceMs?: number; giveUp?: AbortSignal } = {}): Promise<AttemptOutcome> {
    const { patienceMs, giveUp } = options;
    const headers = webhookHeaders(attempt.msgId, toEpochSeconds(this.#clock.now()), attempt.payload, attempt.secrets);
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const patienceTimer = patienceMs !== undefined && patienceMs < this.#timeoutMs ? AbortSignal.timeout(patienceMs) : undefined;
    const patience = patienceTimer && giveUp ? AbortSignal.any([patienceTimer, giveUp]) : (patienceTimer ?? giveUp);
    try {
      const url = new URL(attempt.url);
      const response = await request(this.#dispatcher, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        signal: patience ? AbortSignal.any([timeout, patience]) : timeout,
        headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...headers },
        body: attempt.payload,
      });
      const latencyMs = latency();
      const responseExcerpt = await readExcerpt(response.body);
      const ok = response.statusCode >= 200 && response.statusCode < 300;
      return { ok, statusCode: response.statusCode, latencyMs, ...(responseExcerpt ? { responseExcerpt } : {}) };
    } catch (error) {
      if (patience?.aborted && !timeout.aborted) return { ok: false, latencyMs: latency(), slow: true };
      const errorCode = networkErrorCode(error);
      return { ok: false, latencyMs: latency(), error: classify(error), ...(errorCode ? { errorCode } : {}) };
    }
  }
}

/** The status decides the outcome, so a body failing midway only shortens the excerpt. */
async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= RESPONSE_EXCERPT_BYTES) break;
    }
  } catch {
    // an aborted or reset body: keep what arrived
  } finally {
    body.destroy();
  }
  return utf8Prefix(Buffer.concat(chunks), RESPONSE_EXCERPT_BYTES);
}

/** At most `maxBytes` once encoded: invalid bytes become U+FFFD (3 bytes each), hence the second cut. */
function utf8Prefix(bytes: Buffer, maxBytes: number): string {
  const decode = (input: Buffer) => new TextDecoder().decode(input.subarray(0, maxBytes), { stream: true });
  const text = decode(bytes);
  return Buffer.byteLength(text) <= maxBytes ? text : decode(Buffer.from(text));
}

function causesOf(error: unknown): Error[] {
  const causes: Error[] = [];
  for (let current = error; current instanceof Error; current = current.cause) causes.push(current);
  return causes;
}

function classify(error: unknown): AttemptError {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timeout';
  if (causesOf(error).some((cause) => cause instanceof BlockedAddressError)) return 'blocked_address';
  return networkFailure(networkErrorCode(error)) ?? 'other';
}
