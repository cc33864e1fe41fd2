import { type BoundedCache, boundedCache } from '../bounded-cache.ts';
import type { Clock } from '../clock.ts';
import type { Webhook, WebhooksRepository } from './webhooks-repo.ts';

/** How long a container trusts a webhook it read: a change made elsewhere reaches its attempts within this. */
export const WEBHOOK_CACHE_MS = 5_000;

/**
 * Webhooks as attempts read them, kept per container. A change made in another container is seen within `ttlMs`: an
 * attempt may go out under the old URL or secrets until then. Whatever must see the latest state reads the repository.
 */
export class WebhookCache {
  readonly #byId: BoundedCache<string, { webhook: Webhook | null }>;
  /** A read that began before a change must not be kept after it. */
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
