import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { MetricsSink } from '../metrics.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';

/** An endpoint whose attempts have all failed for this long is disabled (Svix's rule). */
export const FAILING_DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
/** Attempts to an endpoint one container saw fail in a row (errors, timeouts, non-2xx) that open its breaker. */
export const BREAKER_FAILURES_TO_OPEN = 10;
/** ...or timeouts in a row: each held a worker the whole timeout. */
export const BREAKER_TIMEOUTS_TO_OPEN = 3;
/** The first hold; each next one in a row twice the last, up to BREAKER_MAX_OPEN_MS. */
export const BREAKER_FIRST_OPEN_MS = 30_000;
export const BREAKER_MAX_OPEN_MS = 15 * 60_000;
/** How long a container sends an endpoint that did not answer within the patience straight to the slow lane. */
export const SLOW_ENDPOINT_MEMORY_MS = 5 * 60_000;
/** ...and one given up as its batch's straggler: a weaker sign (a loaded moment can make any answer late). */
export const STRAGGLER_MEMORY_MS = 30_000;

/** What an endpoint's breaker lets through now: every attempt, none (its deliveries are held), or one probe. */
export type BreakerState = 'closed' | 'open' | 'probing';

export function breakerState(webhook: Pick<Webhook, 'breaker'>, nowMs: number): BreakerState {
  const openUntil = webhook.breaker?.openUntil;
  if (openUntil === undefined) return 'closed';
  return Date.parse(openUntil) > nowMs ? 'open' : 'probing';
}

export interface EndpointHealthDeps {
  webhooks: Pick<WebhooksRepository, 'markFailing' | 'markHealthy' | 'disable' | 'openBreaker' | 'takeProbe'>;
  /** Queues every delivery waiting for the endpoint, now (Redelivery.resumeWaiting). */
  resume: (webhook: Pick<Webhook, 'id'>) => Promise<number>;
  /** How long a probe may take: one attempt and its lease. */
  probeLeaseMs: number;
  clock: Clock;
  log: Log;
  metrics: MetricsSink;
}

/**
 * Each endpoint's health, from its attempts: a failure streak (`failing_since`) from the first failure after a
 * success, which disables the webhook after FAILING_DISABLE_AFTER_MS (counted from its last enabling, if later); and
 * a circuit breaker, so that a dead or slow endpoint costs only its own deliveries. Each container counts the
 * failures in a row of its own attempts to each endpoint (no write per attempt; a flaky endpoint's successes keep
 * resetting it); at BREAKER_FAILURES_TO_OPEN, or BREAKER_TIMEOUTS_TO_OPEN of them timeouts, it opens the endpoint's
 * breaker for every container: its deliveries are held (`pending_endpoint`), taking no worker's time, for 30 s, then
 * twice as long each time in a row, up to 15 minutes. Then one attempt probes it (the sweeper sends one held delivery if none is due): a success closes the
 * breaker and sends every delivery waiting for the endpoint (held, or retrying later) at once; a failure opens it
 * for the next hold. Endpoints slow to answer are remembered too (`isSlow`): the Deliverer sends them to the slow lane.
 */
export class EndpointHealth {
  /** This container's failures in a row per endpoint (webhook id), and how many of them timed out; a success forgets both. */
  readonly #failuresInARow = new Map<string, { failures: number; timeouts: number }>();
  /** Endpoints this container saw not answer within the patience, until when it remembers that. */
  readonly #slowUntil = new Map<string, number>();

  constructor(private readonly deps: EndpointHealthDeps) {}

  /**
   * Whether an attempt may go to `webhook`'s endpoint now (as read: a cached read may be seconds old). While the breaker
   * probes, one attempt at a time may: it takes the probe.
   */
  async admits(webhook: Pick<Webhook, 'id' | 'breaker'>): Promise<boolean> {
    const now = this.deps.clock.now();
    const state = breakerState(webhook, now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.deps.webhooks.takeProbe(webhook.id, now, now + this.deps.probeLeaseMs);
  }

  /** Whether this container saw `webhookId`'s endpoint not answer within the patience lately. */
  isSlow(webhookId: string): boolean {
    const until = this.#slowUntil.get(webhookId);
    if (until === undefined) return false;
    if (until > this.deps.clock.now()) return true;
    this.#slowUntil.delete(webhookId);
    return false;
  }

  /** `straggler`: given up as its batch's straggler, not at the whole patience. */
  markSlow(webhookId: string, straggler = false): void {
    if (this.#slowUntil.size >= MAX_ENDPOINTS_COUNTED) this.#slowUntil.clear();
    this.#slowUntil.set(webhookId, this.deps.clock.now() + (straggler ? STRAGGLER_MEMORY_MS : SLOW_ENDPOINT_MEMORY_MS));
  }

  /** `webhook` as read before the attempt. */
  async succeeded(webhook: Pick<Webhook, 'id' | 'failingSince' | 'breaker'>): Promise<void> {
    this.#failuresInARow.delete(webhook.id);
    if (webhook.failingSince === undefined && webhook.breaker === undefined) return;
    if (!(await this.deps.webhooks.markHealthy(webhook.id))) return;
    if (webhook.breaker === undefined) return;
    this.deps.metrics.add('WebhookBreakerChanges', 1, { to: 'closed' });
    const resumed = await this.deps.resume(webhook);
    this.deps.log.info('webhook endpoint answers again: breaker closed', { webhook_id: webhook.id, resumed });
  }

  /** `webhook` as read before the attempt; `timedOut`: the endpoint did not answer within the timeout. */
  async failed(webhook: Pick<Webhook, 'id' | 'failingSince' | 'enabledAt' | 'breaker'>, timedOut = false): Promise<void> {
    const { clock, metrics, log } = this.deps;
    const now = clock.now();
    const previous = this.#failuresInARow.get(webhook.id) ?? { failures: 0, timeouts: 0 };
    const inARow = { failures: previous.failures + 1, timeouts: previous.timeouts + (timedOut ? 1 : 0) };
    if (this.#failuresInARow.size >= MAX_ENDPOINTS_COUNTED) this.#failuresInARow.clear();
    this.#failuresInARow.set(webhook.id, inARow);
    // A failed probe holds the endpoint again, twice as long; a closed breaker opens at the count.
    const state = breakerState(webhook, now);
    const due = inARow.failures >= BREAKER_FAILURES_TO_OPEN || inARow.timeouts >= BREAKER_TIMEOUTS_TO_OPEN;
    if (state === 'probing' || (state === 'closed' && due)) {
      const opens = webhook.breaker?.opens ?? 0;
      const holdMs = Math.min(BREAKER_MAX_OPEN_MS, BREAKER_FIRST_OPEN_MS * 2 ** Math.min(opens, 10));
      if (await this.deps.webhooks.openBreaker(webhook.id, webhook.breaker?.openUntil, now + holdMs)) {
        metrics.add('WebhookBreakerChanges', 1, { to: 'open' });
        log.warn('webhook endpoint failing: breaker open, deliveries held', {
          webhook_id: webhook.id,
          failures_in_a_row: inARow.failures,
          timeouts_in_a_row: inARow.timeouts,
          held_ms: holdMs,
        });
      }
    }
    const failingSince = webhook.failingSince ?? (await this.deps.webhooks.markFailing(webhook.id));
    if (failingSince === undefined) return;
    const counted = Math.max(Date.parse(failingSince), webhook.enabledAt === undefined ? 0 : Date.parse(webhook.enabledAt));
    if (now - counted < FAILING_DISABLE_AFTER_MS) return;
    if (await this.deps.webhooks.disable(webhook.id, 'endpoint_failing')) {
      metrics.add('WebhookEndpointsDisabled', 1, {});
      log.warn('webhook disabled: endpoint failing', { webhook_id: webhook.id, failing_since: failingSince });
    }
  }
}

/** Endpoints one container keeps a count for at most (then it starts over): far more than any stack has. */
const MAX_ENDPOINTS_COUNTED = 10_000;
