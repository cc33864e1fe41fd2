import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import type { NotifyMetrics } from './notify-metrics.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';

/** An endpoint whose attempts have all failed for this long is disabled (Svix's rule). */
export const FAILING_DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
/** Failures in a row, as one container saw them, that open an endpoint's breaker. */
export const BREAKER_FAILURES_TO_OPEN = 10;
/** ...or timeouts in a row: each held a worker the whole timeout. */
export const BREAKER_TIMEOUTS_TO_OPEN = 3;
/** The first hold; each next one in a row twice the last. */
export const BREAKER_FIRST_OPEN_MS = 30_000;
export const BREAKER_MAX_OPEN_MS = 15 * 60_000;
/** How long a container sends an endpoint that did not answer within the patience straight to the slow lane. */
export const SLOW_ENDPOINT_MEMORY_MS = 5 * 60_000;
/** ...and one given up as its batch's straggler: a weaker sign. */
export const STRAGGLER_MEMORY_MS = 30_000;

/** What an endpoint's breaker lets through now: every attempt, none, or one probe. */
export type BreakerState = 'closed' | 'open' | 'probing';

export function breakerState(webhook: Pick<Webhook, 'breaker'>, nowMs: number): BreakerState {
  const openUntil = webhook.breaker?.openUntil;
  if (openUntil === undefined) return 'closed';
  return Date.parse(openUntil) > nowMs ? 'open' : 'probing';
}

export interface EndpointHealthDeps {
  webhooks: Pick<WebhooksRepository, 'markFailing' | 'markHealthy' | 'disable' | 'openBreaker' | 'takeProbe'>;
  /** Queues every delivery waiting for the endpoint, now. */
  resume: (webhook: Pick<Webhook, 'id'>) => Promise<number>;
  /** One attempt and its lease. */
  probeLeaseMs: number;
  clock: Clock;
  log: Log;
  metrics: NotifyMetrics;
}

/**
 * A failure streak disables a webhook after FAILING_DISABLE_AFTER_MS; a circuit breaker makes a dead or slow endpoint
 * cost only its own deliveries. Failures are counted per container (no write per attempt); at the threshold the breaker
 * opens for every container, holding deliveries; then one attempt probes: a success closes it and sends what waits.
 */
export class EndpointHealth {
  /** A success forgets both counts. */
  readonly #failuresInARow = new Map<string, { failures: number; timeouts: number }>();
  readonly #slowUntil = new Map<string, number>();

  constructor(private readonly deps: EndpointHealthDeps) {}

  /** As read (a cached read may be seconds old). While the breaker probes, one attempt at a time may: it takes the probe. */
  async admits(webhook: Pick<Webhook, 'id' | 'breaker'>): Promise<boolean> {
    const now = this.deps.clock.now();
    const state = breakerState(webhook, now);
    if (state === 'closed') return true;
    if (state === 'open') return false;
    return this.deps.webhooks.takeProbe(webhook.id, now, now + this.deps.probeLeaseMs);
  }

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

/** Then a container starts over: far more than any stack has. */
const MAX_ENDPOINTS_COUNTED = 10_000;
