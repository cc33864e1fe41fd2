import { noMetrics } from '../../../lib/metrics.ts';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { AttemptOutcome } from '../../../lib/notify/attempt.ts';
import { Deliverer } from '../../../lib/notify/deliverer.ts';
import type { DeliveryMessage } from '../../../lib/notify/delivery-message.ts';
import { AttemptLimitError, Redelivery } from '../../../lib/notify/redelivery.ts';
import { MAX_ATTEMPTS_PER_DELIVERY } from '../../../lib/notify/retry-schedule.ts';
import type { AttemptResolution, Delivery } from '../../../lib/notify/delivery.ts';
import type { Webhook } from '../../../lib/notify/webhooks-repo.ts';

const webhook: Webhook = {
  id: 'wh_a',
  url: 'https://hooks.example.com/a',
  eventTypes: ['*'],
  status: 'enabled',
  secrets: [{ secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', createdAt: '2026-01-01T00:00:00.000Z' }],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

/** An endpoint whose breaker is closed and that this container does not know to be slow. */
const answeringEndpoint = {
  admits: async () => true,
  succeeded: async () => {},
  failed: async () => {},
  isSlow: () => false,
  markSlow: () => {},
};

const pending = (attemptCount: number, attemptsBeforeRound: number): Delivery => ({
  webhookId: 'wh_a',
  msgId: 'msg_1',
  eventType: 'aggregation.succeeded',
  payload: '{}',
  status: 'pending',
  attemptCount,
  attemptsBeforeRound,
  attempts: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** One attempt of `delivery` answered with `outcome`: what the deliverer recorded and queued. */
async function attemptOnce(delivery: Delivery, outcome: AttemptOutcome) {
  const clock = new ManualClock();
  const recorded: AttemptResolution[] = [];
  const queued: DeliveryMessage[] = [];
  let status = webhook.status;
  const deliverer = new Deliverer({
    metrics: noMetrics,
    secretBox: { open: async (secret: string) => secret }, // these webhooks' secrets are stored in clear
    webhooks: {
      get: async () => ({ ...webhook, status }),
      disable: async () => ((status = 'disabled'), true),
    },
    deliveries: {
      get: async () => delivery,
      claimAttempt: async () => delivery,
      recordAttempt: async (_w, _m, _a, _record, resolution) => (recorded.push(resolution), true),
      markFailed: async () => true,
      markPendingEndpoint: async () => true,
      startRound: async () => true,
      releaseClaim: async () => true,
    },
    queue: { deferIfEarly: async () => false, schedule: async (message) => void queued.push(message) },
    sender: { send: async () => outcome },
    health: answeringEndpoint,
    clock,
    log: silentLog,
    leaseMs: 40_000,
    random: () => 0.5,
  });
  const attempt = delivery.attemptCount + 1;
  await deliverer.handle({ webhook_id: 'wh_a', msg_id: 'msg_1', attempt, due_at: clock.now() });
  return { recorded, queued, now: clock.now() };
}

const failure: AttemptOutcome = { ok: false, statusCode: 500, latencyMs: 3 };

describe('Deliverer retry rounds', () => {
  it('times retries from the start of the current round (a replay starts the schedule again)', async () => {
    const { recorded, queued, now } = await attemptOnce(pending(8, 8), failure);
    expect(recorded).toEqual([{ status: 'pending', nextAttemptAt: now + 5_000 }]);
    expect(queued).toEqual([{ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 10, due_at: now + 5_000 }]);
  });

  it("fails after the round's 8th attempt", async () => {
    const { recorded, queued } = await attemptOnce(pending(15, 8), failure);
    expect(recorded).toEqual([{ status: 'failed', reason: 'attempts_exhausted' }]);
    expect(queued).toEqual([]);
  });

  it('fails at the per-delivery attempt limit, even mid-round', async () => {
    const { recorded } = await attemptOnce(pending(MAX_ATTEMPTS_PER_DELIVERY - 1, MAX_ATTEMPTS_PER_DELIVERY - 3), failure);
    expect(recorded).toEqual([{ status: 'failed', reason: 'attempts_exhausted' }]);
  });

  it('keeps the event for the endpoint after a 410, without a retry', async () => {
    const { recorded, queued } = await attemptOnce(pending(0, 0), { ok: false, statusCode: 410, latencyMs: 3 });
    expect(recorded).toEqual([{ status: 'pending_endpoint' }]);
    expect(queued).toEqual([]);
  });
});

describe('Deliverer reads', () => {
  /** A deliverer over an enabled webhook whose claim answers `claim`, counting the delivery reads and claims. */
  function counting(claim: Delivery | undefined, stored: Delivery) {
    const calls = { get: 0, claim: 0, sent: 0 };
    const deliverer = new Deliverer({
      metrics: noMetrics,
      secretBox: { open: async (secret: string) => secret },
      webhooks: { get: async () => webhook, disable: async () => true },
      deliveries: {
        get: async () => (calls.get++, stored),
        claimAttempt: async () => (calls.claim++, claim),
        recordAttempt: async () => true,
        markFailed: async () => true,
        markPendingEndpoint: async () => true,
        startRound: async () => true,
        releaseClaim: async () => true,
      },
      queue: { deferIfEarly: async () => false, schedule: async () => {} },
      sender: { send: async () => (calls.sent++, { ok: true, statusCode: 204, latencyMs: 1 }) },
      health: answeringEndpoint,
      clock: new ManualClock(),
      log: silentLog,
      leaseMs: 40_000,
    });
    return { calls, handle: () => deliverer.handle({ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 1, due_at: 0 }) };
  }

  it('makes the usual attempt from the claim alone: the claim answers the delivery, nothing is read before it', async () => {
    const { calls, handle } = counting(pending(0, 0), pending(0, 0));
    await handle();
    expect(calls).toEqual({ get: 0, claim: 1, sent: 1 });
  });

  it('a duplicate of an attempt under way: the claim fails, the delivery is read once, and it is neither claimed again nor sent', async () => {
    const { calls, handle } = counting(undefined, pending(0, 0));
    await handle();
    expect(calls).toEqual({ get: 1, claim: 1, sent: 0 });
  });
});

describe('Deliverer slow lane', () => {
  /** A deliverer with a slow lane over an enabled webhook; `outcome` answers every send. */
  function withSlowLane(options: { outcome: AttemptOutcome; knownSlow?: boolean; breaker?: Webhook['breaker'] }) {
    const clock = new ManualClock();
    const seen = { patience: [] as (number | undefined)[], released: 0, recorded: 0, markedSlow: 0, claimed: 0 };
    const delivery = { queued: [] as DeliveryMessage[], slow: [] as DeliveryMessage[] };
    const deliverer = new Deliverer({
      metrics: noMetrics,
      secretBox: { open: async (secret: string) => secret },
      webhooks: { get: async () => ({ ...webhook, breaker: options.breaker }), disable: async () => true },
      deliveries: {
        get: async () => pending(0, 0),
        claimAttempt: async () => (seen.claimed++, pending(0, 0)),
        recordAttempt: async () => (seen.recorded++, true),
        markFailed: async () => true,
        markPendingEndpoint: async () => true,
        startRound: async () => true,
        releaseClaim: async () => (seen.released++, true),
      },
      queue: { deferIfEarly: async () => false, schedule: async (message) => void delivery.queued.push(message) },
      slowLane: { queue: { schedule: async (message) => void delivery.slow.push(message) }, patienceMs: 2_000 },
      sender: { send: async (_request, sent) => (seen.patience.push(sent?.patienceMs), options.outcome) },
      health: {
        admits: async () => true,
        succeeded: async () => {},
        failed: async () => {},
        isSlow: () => options.knownSlow ?? false,
        markSlow: () => void seen.markedSlow++,
      },
      clock,
      log: silentLog,
      leaseMs: 40_000,
    });
    const handle = (lane: 'delivery' | 'delivery-slow') =>
      deliverer.handle({ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 1, due_at: clock.now() }, lane);
    return { seen, delivery, handle, now: clock.now() };
  }

  it('moves an attempt not answered within the patience to the slow lane, unrecorded and unclaimed', async () => {
    const { seen, delivery, handle, now } = withSlowLane({ outcome: { ok: false, latencyMs: 2_000, slow: true } });
    await handle('delivery');
    expect(seen).toMatchObject({ patience: [2_000], released: 1, recorded: 0, markedSlow: 1 });
    expect(delivery.slow).toEqual([{ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 1, due_at: now }]);
    expect(delivery.queued).toEqual([]);
  });

  it('waits the whole timeout on the slow lane, and records what happened there', async () => {
    const { seen, delivery, handle } = withSlowLane({ outcome: { ok: false, latencyMs: 10_000, error: 'timeout' } });
    await handle('delivery-slow');
    expect(seen).toMatchObject({ patience: [undefined], released: 0, recorded: 1, markedSlow: 0 });
    expect(delivery.slow).toEqual([]);
    expect(delivery.queued).toHaveLength(1); // the retry, on the delivery queue
  });

  it.each([
    ['an endpoint this container knows slow', { knownSlow: true }],
    ['an endpoint whose breaker probes', { breaker: { openUntil: '2000-01-01T00:00:00.000Z', opens: 1 } }],
  ])('sends %s straight to the slow lane, without claiming or sending', async (_name, options) => {
    const { seen, delivery, handle } = withSlowLane({ outcome: { ok: true, statusCode: 204, latencyMs: 1 }, ...options });
    await handle('delivery');
    expect(seen).toMatchObject({ patience: [], claimed: 0 });
    expect(delivery.slow).toHaveLength(1);
  });
});

describe('Redelivery', () => {
  it('refuses to replay a delivery at the attempt limit', async () => {
    const atLimit = { ...pending(MAX_ATTEMPTS_PER_DELIVERY, 96), status: 'failed' as const };
    const redelivery = new Redelivery({
      deliveries: {
        get: async () => atLimit,
        startRound: async () => expect.fail('started a round'),
      },
      waiting: { listWaiting: async () => [] },
      deliveryLog: { page: async () => ({ deliveries: [] }) },
      queue: { scheduleAllIn: async () => expect.fail('queued an attempt') },
      log: silentLog,
    });
    await expect(redelivery.replay(webhook, 'msg_1')).rejects.toBeInstanceOf(AttemptLimitError);
  });
});

describe("Deliverer and a subscription's rate", () => {
  /** One message to a webhook with a rate whose second is spent (the pace says wait 700 ms), its breaker `breaker`. */
  async function pacedOnce(breaker?: Webhook['breaker']) {
    const clock = new ManualClock();
    const queued: DeliveryMessage[] = [];
    let sent = 0;
    const paced = { ...webhook, maxDeliveriesPerSecond: 1, ...(breaker ? { breaker } : {}) };
    const deliverer = new Deliverer({
      metrics: noMetrics,
      secretBox: { open: async (secret: string) => secret },
      webhooks: { get: async () => paced, disable: async () => true },
      deliveries: {
        get: async () => pending(0, 0),
        claimAttempt: async () => pending(0, 0),
        recordAttempt: async () => true,
        markFailed: async () => true,
        markPendingEndpoint: async () => true,
        startRound: async () => true,
        releaseClaim: async () => true,
      },
      queue: { deferIfEarly: async () => false, schedule: async (message) => void queued.push(message) },
      sender: { send: async () => (sent++, { ok: true, statusCode: 204, latencyMs: 3 }) },
      health: answeringEndpoint,
      pace: { wait: async () => 700 },
      clock,
      log: silentLog,
      leaseMs: 40_000,
    });
    await deliverer.handle({ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 1, due_at: clock.now() });
    return { queued, sent, now: clock.now() };
  }

  it('sends an attempt past the rate back to its lane, due when its second comes, unattempted', async () => {
    const { queued, sent, now } = await pacedOnce();
    expect(sent).toBe(0);
    expect(queued).toEqual([{ webhook_id: 'wh_a', msg_id: 'msg_1', attempt: 1, due_at: now + 700 }]);
  });

  it("does not hold back a breaker's probe: it is the one attempt under way", async () => {
    const { queued, sent } = await pacedOnce({ openUntil: '2000-01-01T00:00:00.000Z', opens: 1 });
    expect(sent).toBe(1);
    expect(queued).toEqual([]);
  });
});
