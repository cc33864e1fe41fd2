import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEngines, startEngines } from '../../../infra/local/engines.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { DeliveriesRepository } from '../../../lib/notify/deliveries-repo.ts';
import { canMove, DELIVERY_MOVES, DELIVERY_STATUSES, type DeliveryStatus } from '../../../lib/notify/delivery.ts';
import { DELIVERY_LOG_SHARDS } from '../../../lib/store/table.ts';

/**
 * The persistence follows the domain's moves: each conditional write of DeliveriesRepository succeeds from exactly
 * the states DELIVERY_MOVES lets its move start from, on real dynalite.
 */
let engines: LocalEngines;
let repo: DeliveriesRepository;
const clock = new ManualClock(Date.parse('2026-11-25T00:00:00Z'));
let sequence = 0;

beforeAll(async () => {
  engines = await startEngines();
  repo = new DeliveriesRepository({ client: createDocumentClient(engines), tableName: engines.tableName }, clock);
});
afterAll(async () => {
  await engines?.stop();
});

/** A webhook's log over shards, as every new webhook's is. */
const log = { id: 'wh_moves', logShards: DELIVERY_LOG_SHARDS };
const record = { at: '2026-11-25T00:00:00.000Z', statusCode: 500, latencyMs: 1 };

/** A new delivery, brought to `status` by the repository's own moves; its attempt count. */
async function deliveryIn(status: DeliveryStatus): Promise<{ msgId: string; attemptCount: number }> {
  const msgId = `msg_moves_${++sequence}`;
  await repo.createIfAbsent(log, { msgId, eventType: 'aggregation.succeeded', payload: '{}' });
  if (status === 'delivered') await repo.recordAttempt(log, msgId, 1, record, { status: 'delivered' });
  if (status === 'failed') await repo.markFailed(log, msgId, 'webhook_deleted');
  if (status === 'pending_endpoint') await repo.markPendingEndpoint(log, msgId, 0);
  expect((await repo.get(log, msgId))?.status).toBe(status);
  return { msgId, attemptCount: status === 'delivered' ? 1 : 0 };
}

describe('a delivery moves only from the states DELIVERY_MOVES allows', () => {
  it.each(DELIVERY_STATUSES)('from %s', async (status) => {
    const attempt = await deliveryIn(status);
    const nextAttemptAt = clock.now() + 60_000;
    expect(
      await repo.recordAttempt(log, attempt.msgId, attempt.attemptCount + 1, record, {
        status: 'pending',
        nextAttemptAt,
      }),
    ).toBe(canMove('attempt', status));

    const kept = await deliveryIn(status);
    expect(await repo.markPendingEndpoint(log, kept.msgId, kept.attemptCount)).toBe(canMove('keptForEndpoint', status));

    const deleted = await deliveryIn(status);
    expect(await repo.markFailed(log, deleted.msgId, 'webhook_deleted')).toBe(canMove('webhookDeleted', status));

    const round = await deliveryIn(status);
    if (canMove('replay', status) || canMove('resume', status)) {
      expect(await repo.startRound(log, round.msgId, { status, attemptCount: round.attemptCount })).toBe(true);
      expect((await repo.get(log, round.msgId))?.status).toBe('pending');
    }
  });

  it('every move starts from states a delivery has', () => {
    for (const states of Object.values(DELIVERY_MOVES)) {
      for (const state of states) expect(DELIVERY_STATUSES).toContain(state);
    }
  });
});
