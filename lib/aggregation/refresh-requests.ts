import type { DigestKeys } from '../digest-keys.ts';
import { UseCaseNotPermittedError } from './pfm-refusals-repo.ts';
import type { Clock } from '../clock.ts';
import { ConflictError, UserErasedError } from '../errors.ts';
import type { HeldKey, IdempotencyKeys } from '../idempotency-keys.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { AGGREGATION_METRICS } from './aggregation-metrics.ts';
import type { QUEUE_METRICS } from '../queue/queue-metrics.ts';
import { MxError } from '../mx/errors.ts';
import { classifyFailure } from '../mx/retry-policy.ts';
import { eventIds } from '../events.ts';
import type { AggregationEvent, AggregationEvents } from './aggregation-events.ts';
import type { DeadLetterQueue } from '../queue/dead-letter-queue.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { QueueMessage } from '../queue/sqs-record-handler.ts';
import { isRateLimited } from './refresh-rate-limiter.ts';
import {
  type DeferredRefreshRequest,
  type ParsedRefreshRequest,
  parseRefreshRequestMessage,
  type RefreshRequestBody,
} from './refresh-request-message.ts';
import type { RefreshService } from './refresh-service.ts';

/** Why a message went to the dead-letter queue (its `reason` attribute). */
type DeadLetterReason =
  'invalid_json' | 'invalid_request' | 'idempotency_key_reused' | 'member_not_found' | 'upstream_rejected' | 'user_erased';

/** Why a request was handed back to the queue for later. */
type DeferReason = 'rate_capped' | 'key_in_progress' | 'member_busy' | 'mx_rate_limited' | 'mx_unavailable';

type DeadLettered = { kind: 'dead_lettered'; reason: DeadLetterReason; detail: string; field?: string };
type Outcome =
  | { kind: 'started' | 'joined'; jobId: string }
  | { kind: 'rejected'; mxCode?: number }
  | { kind: 'deferred'; reason: DeferReason }
  | DeadLettered;

/** MX answered (or the member's running job was joined): the key is spent, a repeat of the request does nothing. */
const isAnswered = (outcome: Outcome): boolean =>
  outcome.kind === 'started' || outcome.kind === 'joined' || outcome.kind === 'rejected';

type ValidRequest = Extract<ParsedRefreshRequest, { ok: true }>;
type LogContext = Record<string, unknown>;

export interface RefreshRequestsDeps {
  /** Whose aggregate calls wait for the rate cap's permits. */
  refresh: Pick<RefreshService, 'refresh'>;
  /** With a lease of twice the function timeout. */
  idempotency: Pick<IdempotencyKeys, 'claim'>;
  digests: () => Promise<DigestKeys>;
  events: AggregationEvents;
  /** The `refresh-requests` queue itself, for deferred requests. */
  queue: Pick<DelayedQueue<DeferredRefreshRequest>, 'scheduleIn'>;
  deadLetters: Pick<DeadLetterQueue, 'send'>;
  clock: Clock;
  log: Log;
  random?: () => number;
  metrics: MetricsSink<typeof AGGREGATION_METRICS & typeof QUEUE_METRICS>;
}

/** Twice the function timeout. */
export const REFRESH_REQUEST_KEY_LEASE_MS = 60_000;
/** Deferred requests come back after 1 s, then within up to 2, 4, 8 … this many seconds. */
const MAX_DEFERRAL_SPREAD_SECONDS = 30;

/**
 * Refreshes asked for through the `refresh-requests` queue, behind a cap on aggregations started per second. Each message
 * ends in exactly one of: started or joined, rejected (an event), deferred, dead-lettered, or a throw (SQS retries it).
 */
export class RefreshRequests {
  readonly #random: () => number;

  constructor(private readonly deps: RefreshRequestsDeps) {
    this.#random = deps.random ?? Math.random;
  }

  async handle(message: QueueMessage): Promise<void> {
    const parsed = parseRefreshRequestMessage(message.body, message.messageId);
    if (!parsed.ok) {
      await this.#deadLetter(message, { kind: 'dead_lettered', ...parsed }, { message_id: message.messageId });
      return;
    }
    const context = {
      message_id: message.messageId,
      source_id: parsed.sourceId,
      member_guid: parsed.request.member_guid,
      correlation_id: parsed.request.correlation_id,
    };

    const key = await this.#claimKey(parsed.request);
    if (key === 'duplicate') {
      this.deps.log.info('refresh request duplicate dropped', { ...context, outcome: 'duplicate' });
      return;
    }
    if (key === 'reused' || key === 'busy') {
      await this.#settle(message, parsed, key === 'reused' ? reusedKey() : deferred('key_in_progress'), context);
      return;
    }
    try {
      const outcome = await this.#run(parsed.request);
      await this.#settle(message, parsed, outcome, context);
      // Only after the outcome's effects, so that a retry after a failure redoes them.
      if (key) await (isAnswered(outcome) ? key.complete(outcome) : key.release());
    } catch (error) {
      this.deps.log.warn('refresh request failed; SQS will retry it', { ...context, outcome: 'retry', error: describe(error) });
      await key?.release().catch((releaseError: unknown) => {
        this.deps.log.warn('idempotency key release failed; its lease will free it', { ...context, error: String(releaseError) });
      });
      throw error;
    }
  }

  async #run(request: RefreshRequestBody): Promise<Outcome> {
    try {
      const { job, joined } = await this.deps.refresh.refresh({
        userId: request.user_id,
        memberGuid: request.member_guid,
        includeHoldings: request.include_holdings,
        includeTransactions: request.include_transactions,
        correlationId: request.correlation_id,
      });
      return { kind: joined ? 'joined' : 'started', jobId: job.id };
    } catch (error) {
      const outcome = outcomeOfFailure(error);
      if (outcome) return outcome;
      throw error;
    }
  }

  async #settle(message: QueueMessage, parsed: ValidRequest, outcome: Outcome, context: LogContext): Promise<void> {
    const { log } = this.deps;
    switch (outcome.kind) {
      case 'started':
      case 'joined':
        log.info('refresh request handled', { ...context, outcome: outcome.kind, job_id: outcome.jobId });
        return;
      case 'rejected':
        await this.deps.events.publish(
          rejectedEvent(parsed.request, parsed.sourceId, outcome.mxCode, this.deps.clock.now(), await this.deps.digests()),
        );
        log.info('refresh request rejected by MX', { ...context, outcome: 'rejected', mx_code: outcome.mxCode });
        return;
      case 'deferred': {
        const delayMs = this.#deferralDelayMs(parsed.deferrals);
        await this.deps.queue.scheduleIn(
          { deferred: parsed.request, source_id: parsed.sourceId, deferrals: parsed.deferrals + 1 },
          delayMs,
        );
        this.deps.metrics.add('RefreshRequestsDeferred', 1, { reason: outcome.reason });
        log.debug('refresh request deferred', { ...context, outcome: 'deferred', reason: outcome.reason, delay_ms: delayMs });
        return;
      }
      case 'dead_lettered':
        await this.#deadLetter(message, outcome, context);
    }
  }

  async #deadLetter(message: QueueMessage, outcome: DeadLettered, context: LogContext): Promise<void> {
    await this.deps.deadLetters.send(
      message.body,
      { reason: outcome.reason, error_field: outcome.field, detail: outcome.detail, source_message_id: message.messageId },
      message.attributes,
    );
    this.deps.metrics.add('MessagesDeadLettered', 1, { queue: 'refresh-requests', reason: outcome.reason });
    this.deps.log.warn('refresh request dead-lettered', {
      ...context,
      outcome: 'dead_lettered',
      reason: outcome.reason,
      error_field: outcome.field,
      detail: outcome.detail,
    });
  }

  /** Undefined without a key. */
  async #claimKey(request: RefreshRequestBody): Promise<HeldKey<Outcome> | 'busy' | 'duplicate' | 'reused' | undefined> {
    if (request.idempotency_key === undefined) return undefined;
    const claim = await this.deps.idempotency.claim<Outcome>(
      ['refresh-requests', request.idempotency_key],
      [request.user_id, request.member_guid, request.include_holdings, request.include_transactions],
      request.user_id,
    );
    switch (claim.state) {
      case 'claimed':
        return claim.key;
      case 'reused':
        return 'reused';
      case 'in_progress':
        return 'busy';
      // Answered, or gone in between (its holder deferred or failed, and its own message carries the request on).
      case 'completed':
      case 'vanished':
        return 'duplicate';
    }
  }

  /** Growing spreads, so a burst far over the cap comes back thinned out rather than all at once. */
  #deferralDelayMs(deferrals: number): number {
    const spreadSeconds = Math.min(2 ** deferrals, MAX_DEFERRAL_SPREAD_SECONDS);
    return 1000 * (1 + Math.floor(this.#random() * spreadSeconds));
  }
}

/** What a failed refresh means for the request; undefined when it is transient and SQS should retry it. */
function outcomeOfFailure(error: unknown): Outcome | undefined {
  if (isRateLimited(error)) return deferred('rate_capped');
  if (error instanceof MxError) {
    switch (error.code) {
      case 'MX_FORBIDDEN':
        return { kind: 'rejected', mxCode: error.mxCode };
      case 'MX_RATE_LIMITED':
        return deferred('mx_rate_limited');
      case 'MX_NOT_FOUND':
        return deadLettered('member_not_found', 'MX has no such member for this user.');
      case 'MX_BAD_REQUEST':
      case 'MX_UNPROCESSABLE':
        return deadLettered('upstream_rejected', `MX rejected the request (HTTP ${error.status ?? '?'}).`);
      default:
        // MX failing (5xx, timeouts, its calls held): the request waits on its queue, never for its dead-letter queue.
        return classifyFailure(error) === 'final' ? undefined : deferred('mx_unavailable');
    }
  }
  if (error instanceof UseCaseNotPermittedError) return { kind: 'rejected' };
  if (error instanceof ConflictError) return deferred('member_busy');
  if (error instanceof UserErasedError) return deadLettered('user_erased', 'The user was erased: it is never refreshed again.');
  return undefined;
}

const deferred = (reason: DeferReason): Outcome => ({ kind: 'deferred', reason });
const deadLettered = (reason: DeadLetterReason, detail: string): Outcome => ({ kind: 'dead_lettered', reason, detail });
const reusedKey = (): Outcome => ({
  kind: 'dead_lettered',
  reason: 'idempotency_key_reused',
  detail: 'This idempotency_key was used for a different request within 24 h; use a new key.',
  field: 'idempotency_key',
});

/** MX refused to aggregate the member (no PFM). A redelivered or deferred request publishes the same event id. */
export function rejectedEvent(
  request: RefreshRequestBody,
  sourceId: string,
  mxCode: number | undefined,
  nowMs: number,
  digests: DigestKeys,
): AggregationEvent<'aggregation.rejected'> {
  const origin = request.idempotency_key === undefined ? `source:${sourceId}` : `key:${request.idempotency_key}`;
  return {
    id: eventIds.rejected(digests.of('event user', request.user_id), digests.of('event origin', origin)),
    type: 'aggregation.rejected',
    timestamp: new Date(nowMs).toISOString(),
    data: {
      request: {
        user_id: request.user_id,
        member_guid: request.member_guid,
        ...(request.correlation_id === undefined ? {} : { correlation_id: request.correlation_id }),
      },
      reason: 'use_case_not_permitted',
      ...(mxCode === undefined ? {} : { mx_code: mxCode }),
    },
  };
}

const describe = (error: unknown) =>
  error instanceof Error ? { name: error.name, code: (error as { code?: unknown }).code, message: error.message } : String(error);
