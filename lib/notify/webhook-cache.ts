import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import type { Clock } from '../clock.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';

/** How long a container trusts a webhook it read: a change made elsewhere reaches its attempts within this. */
export const WEBHOOK_CACHE_MS = 5_000;

/**
 * Webhooks as the delivery worker reads them — one at each attempt — kept per container for `ttlMs`, so a busy
 * worker reads each once every few seconds instead of once per attempt. A change made through this container's
 * repository drops it at once; one made in another container (the API's function) is seen within `ttlMs`: an
 * attempt may still go out under the old URL or secrets, or to a webhook just disabled or deleted, for that
 * long (docs/api.md → Delivery). Which webhooks an event goes to is always read afresh (EventPublisher), so a
 * new webhook gets every event published after it; and whatever must see the latest state — an enable racing a
 * marking a delivery pending its endpoint, the API — reads the repository itself.
 */
export class WebhookCache {
  readonly #byId: BoundedCache<string, { webhook: Webhook | null }>;
  /** Moves on at every change: a read that began before a change must not be kept after it. */
  #generation = 0;

  constructor(
    private readonly webhooks: Pick<WebhooksRepository, 'get' | 'onChange'>,
    clock: Clock,
    ttlMs = WEBHOOK_CACHE_MS,
  ) {
    this.#byId = boundedCache({ max: 1_000, ttlMs, clock });
    webhooks.onChange((id) => {
      this.#generation++;
      this.#byId.delete(id);
    });
  }

  async get(id: string): Promise<Webhook | undefined> {
    const cached = this.#byId.get(id);
    if (cached) return cached.webhook ?? undefined;
    const generation = this.#generation;
    const webhook = await this.webhooks.get(id);
    if (generation === this.#generation) this.#byId.set(id, { webhook: webhook ?? null });
    return webhook;
  }
}
