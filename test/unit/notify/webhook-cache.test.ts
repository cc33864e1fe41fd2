import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { WEBHOOK_CACHE_MS, WebhookCache } from '../../../lib/notify/webhook-cache.ts';
import type { Webhook } from '../../../lib/notify/webhooks-repo.ts';

const webhook = (id: string, url = `https://example.com/${id}`) => ({ id, url, status: 'enabled' }) as Webhook;

/** A repository stand-in counting reads, whose changes are announced as WebhooksRepository.onChange does. */
function repository(initial: Webhook[]) {
  let stored = initial;
  const listeners: ((id: string) => void)[] = [];
  let reads = 0;
  let beforeRead: (() => Promise<void>) | undefined;
  return {
    get reads() {
      return reads;
    },
    set beforeRead(hook: (() => Promise<void>) | undefined) {
      beforeRead = hook;
    },
    onChange: (listener: (id: string) => void) => void listeners.push(listener),
    change(next: Webhook) {
      stored = [...stored.filter((s) => s.id !== next.id), next];
      listeners.forEach((listener) => listener(next.id));
    },
    get: async (id: string) => {
      reads++;
      await beforeRead?.();
      return stored.find((s) => s.id === id);
    },
  };
}

describe('WebhookCache', () => {
  it('reads each webhook (or its absence) once per period', async () => {
    const clock = new ManualClock(1_000_000);
    const repo = repository([webhook('wh_a')]);
    const cache = new WebhookCache(repo, clock);
    await cache.get('wh_a');
    await cache.get('wh_a');
    expect(await cache.get('wh_missing')).toBeUndefined();
    await cache.get('wh_missing');
    expect(repo.reads).toBe(2);
    clock.advance(WEBHOOK_CACHE_MS);
    await cache.get('wh_a');
    expect(repo.reads).toBe(3);
  });

  it('a change made through the repository is seen at once', async () => {
    const repo = repository([webhook('wh_a')]);
    const cache = new WebhookCache(repo, new ManualClock(1_000_000));
    await cache.get('wh_a');
    repo.change(webhook('wh_a', 'https://example.com/new'));
    expect((await cache.get('wh_a'))?.url).toBe('https://example.com/new');
  });

  it('a read that a change overtook is not kept', async () => {
    const repo = repository([webhook('wh_a')]);
    const cache = new WebhookCache(repo, new ManualClock(1_000_000));
    repo.beforeRead = async () => {
      repo.beforeRead = undefined;
      repo.change(webhook('wh_a', 'https://example.com/new'));
    };
    // This read began before the change and may return either state; the next one must see the change.
    await cache.get('wh_a');
    expect((await cache.get('wh_a'))?.url).toBe('https://example.com/new');
  });
});
