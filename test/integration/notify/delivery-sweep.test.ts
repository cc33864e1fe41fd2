import { noMetrics } from '../../../lib/metrics.ts';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { beforeEach, describe, expect, it } from 'vitest';
import { Sweeper } from '../../../lib/aggregation/sweeper.ts';
import type { WebhookEvent } from '../../../lib/notify/events.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import type { DeliveryMessage } from '../../../lib/notify/delivery-message.ts';
import type { PollMessage } from '../../../lib/queue/poll-message.ts';
import { ActiveJobsRepository } from '../../../lib/aggregation/active-jobs-repo.ts';
import { JobsRepository } from '../../../lib/aggregation/jobs-repo.ts';
import { SweepCheckpointsRepository } from '../../../lib/notify/sweep-checkpoints-repo.ts';
import { DeliverySweep, SWEPT_RETRY_LOOKAHEAD_MS } from '../../../lib/notify/delivery-sweep.ts';
import { deliveryKey } from '../../../lib/notify/deliveries-repo.ts';
import { WebhooksRepository } from '../../../lib/notify/webhooks-repo.ts';
import type { Receiver } from '../../unit/notify/support/receiver.ts';
import { logOf, type NotifyHarness, useNotifyHarness } from './harness.ts';
import { jobEventData } from '../../support/job-events.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

/**
 * Deliveries are swept like jobs: the table is the truth, queue messages are hints. A delivery whose message is gone
 * — lost in a crash between record and send, dead-lettered, dropped by an engine — is found once it is overdue by
 * the stall window (a first attempt through the webhook's log and the sweeper's mark, a later one through
 * GSI2) and sent again under the same webhook-id, over real dynalite and fauxqs.
 */
const STALL_MS = 5 * 60_000;
let harness: NotifyHarness;
let receiver: Receiver;
let sweeper: Sweeper;
let sequence = 0;

function sweeperWith(options: { maxSettleChecks?: number } = {}): Sweeper {
  return new Sweeper({
    metrics: noMetrics,
    jobs: new JobsRepository(harness.table),
    pointers: new ActiveJobsRepository(harness.table),
    // No job is active in these tests: the poll queue is never written.
    pollQueue: new DelayedQueue<PollMessage>(harness.sqs, harness.engines.queueUrls.poll, harness.clock),
    clock: harness.clock,
    log: { debug() {}, info() {}, warn() {}, error() {} },
    deliveries: new DeliverySweep({
      metrics: noMetrics,
      deliveries: harness.deliveries,
      deliveryLog: harness.deliveryLog,
      waiting: harness.waiting,
      webhooks: new WebhooksRepository(harness.table, harness.clock),
      checkpoints: new SweepCheckpointsRepository(harness.table),
      queue: new DelayedQueue<DeliveryMessage>(harness.sqs, harness.queueUrl, harness.clock),
      stalledAfterMs: STALL_MS,
      clock: harness.clock,
      log: { debug() {}, info() {}, warn() {}, error() {} },
      ...options,
    }),
  });
}

/** The delivery's GSI2 (due) key as stored, if it has one. */
async function dueKeyOf(webhookId: string, msgId: string): Promise<string | undefined> {
  const { Item } = await harness.table.client.send(
    new GetCommand({ TableName: harness.table.tableName, Key: deliveryKey(logOf(webhookId), msgId), ConsistentRead: true }),
  );
  return Item?.gsi2sk as string | undefined;
}

useNotifyHarness((started) => {
  ({ harness, receiver } = started);
  sweeper = sweeperWith();
});
beforeEach(async () => {
  // Leave every delivery of earlier tests behind the stall window: each test sees only its own.
  harness.clock.advance(STALL_MS * 10);
  await sweeper.sweep();
  await harness.drain();
  receiver.requests.length = 0;
});

async function publishOne(webhookId?: string): Promise<{ webhookId: string; event: WebhookEvent }> {
  const webhook = webhookId
    ? { id: webhookId }
    : await createSealedWebhook(harness.notifier, { url: receiver.url(), eventTypes: ['*'], secret: generateSecret() });
  sequence += 1;
  const event: WebhookEvent = {
    id: `msg_job_sweep${sequence}_succeeded`,
    type: 'aggregation.succeeded',
    timestamp: new Date(harness.clock.now()).toISOString(),
    data: jobEventData(`job_sweep${sequence}`),
  };
  await harness.publisher.publish(event);
  return { webhookId: webhook.id, event };
}

describe('the sweeper and webhook deliveries', () => {
  it('re-drives a delivery whose first message was lost, once it is overdue by the stall window', async () => {
    const { webhookId, event } = await publishOne();
    expect(await harness.takeMessages()).toHaveLength(1); // the message is lost

    harness.clock.advance(STALL_MS - 1_000);
    expect((await sweeper.sweep()).redelivered).toBe(0);
    expect(await harness.takeMessages()).toEqual([]);

    harness.clock.advance(2_000);
    expect((await sweeper.sweep()).redelivered).toBe(1);
    await harness.drain();
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([event.id]);
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });

    // Delivered: no longer due, later sweeps leave it alone.
    harness.clock.advance(STALL_MS * 3);
    expect((await sweeper.sweep()).redelivered).toBe(0);
  });

  it('re-drives a retry whose delayed message was lost, and not before it is due plus the stall window', async () => {
    receiver.respond = (_, response) => response.writeHead(503).end();
    const { webhookId, event } = await publishOne();
    const [first] = await harness.takeMessages();
    await harness.notifier.deliverer.handle(first!); // attempt 1 fails; attempt 2 is scheduled 5 s later
    const pending = (await harness.deliveries.get(logOf(webhookId), event.id))!;
    expect(pending).toMatchObject({ status: 'pending', attemptCount: 1 });
    expect(await harness.takeMessages()).toMatchObject([{ attempt: 2 }]); // and its message is lost
    const retryDue = pending.nextAttemptAt!;

    receiver.respond = (_, response) => response.writeHead(204).end();
    harness.clock.set(retryDue + STALL_MS - 1_000);
    expect((await sweeper.sweep()).redelivered).toBe(0);
    harness.clock.set(retryDue + STALL_MS + 1_000);
    expect((await sweeper.sweep()).redelivered).toBe(1);
    const [message] = await harness.takeMessages();
    expect(message).toMatchObject({ webhook_id: webhookId, msg_id: event.id, attempt: 2 });
    await harness.notifier.deliverer.handle(message!);
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered', attemptCount: 2 });
  });

  it('sends a retry due further out than SQS delays once, delayed to its due time, as it falls due', async () => {
    receiver.respond = (_, response) => response.writeHead(503).end();
    const { webhookId, event } = await publishOne();
    // Attempts 1 to 3 fail; the 2nd and 3rd come 5 s and 5 minutes later, each through its queue message.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [message] = await harness.takeMessages();
      expect(message).toMatchObject({ attempt });
      harness.clock.set(Math.max(harness.clock.now(), message!.due_at));
      await harness.notifier.deliverer.handle(message!);
    }
    // The 4th is due in about 30 minutes: no message waits for it; its due key names it.
    expect(await harness.takeMessages()).toEqual([]);
    const retryDue = (await harness.deliveries.get(logOf(webhookId), event.id))!.nextAttemptAt!;
    expect(await dueKeyOf(webhookId, event.id)).toBe(`${new Date(retryDue).toISOString()}#${webhookId}#${event.id}#4`);

    expect((await sweeper.sweep()).retried).toBe(0);
    harness.clock.set(retryDue - SWEPT_RETRY_LOOKAHEAD_MS + 1_000);
    expect((await sweeper.sweep()).retried).toBe(1);
    expect((await sweeper.sweep()).retried).toBe(0);
    const [message] = await harness.takeMessages();
    expect(message).toEqual({ webhook_id: webhookId, msg_id: event.id, attempt: 4, due_at: retryDue });

    receiver.respond = (_, response) => response.writeHead(204).end();
    harness.clock.set(retryDue);
    await harness.notifier.deliverer.handle(message!);
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered', attemptCount: 4 });
  });

  it('an attempt that reached the receiver but was never recorded is sent again under the same webhook-id', async () => {
    const { webhookId, event } = await publishOne();
    const [first] = await harness.takeMessages();
    // The worker claims the attempt and sends it, then dies before recording it.
    expect(await harness.deliveries.claimAttempt(logOf(webhookId), event.id, 1, 12_000)).toMatchObject({ msgId: event.id });
    harness.clock.advance(STALL_MS / 2);
    expect((await sweeper.sweep()).redelivered).toBe(0);

    harness.clock.advance(STALL_MS);
    expect((await sweeper.sweep()).redelivered).toBe(1);
    const [again] = await harness.takeMessages();
    expect(again).toMatchObject({ webhook_id: first!.webhook_id, msg_id: first!.msg_id, attempt: 1 });
    await harness.notifier.deliverer.handle(again!);
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([event.id]);
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('leaves alone a delivery whose attempt is under way (its lease), and duplicates of a re-driven message', async () => {
    const { webhookId, event } = await publishOne();
    await harness.takeMessages();
    harness.clock.advance(STALL_MS + 1_000);
    expect(await harness.deliveries.claimAttempt(logOf(webhookId), event.id, 1, 60_000)).toMatchObject({ msgId: event.id });
    expect((await sweeper.sweep()).redelivered).toBe(0);

    harness.clock.advance(61_000);
    expect((await sweeper.sweep()).redelivered).toBe(1);
    expect((await sweeper.sweep()).redelivered).toBe(1); // still overdue: a second message for the same attempt
    const messages = await harness.takeMessages();
    expect(messages).toHaveLength(2);
    for (const message of messages) await harness.notifier.deliverer.handle(message);
    expect(receiver.requests).toHaveLength(1);
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
  });

  it('does not re-drive pending_endpoint, failed or delivered deliveries', async () => {
    const { webhookId, event } = await publishOne();
    await harness.takeMessages();
    await harness.notifier.webhooks.disable(webhookId, 'endpoint_failing');
    await harness.notifier.deliverer.handle({ webhook_id: webhookId, msg_id: event.id, attempt: 1, due_at: harness.clock.now() });
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'pending_endpoint' });
    harness.clock.advance(STALL_MS * 2);
    expect((await sweeper.sweep()).redelivered).toBe(0);
  });

  it('sends a delivery held for an endpoint that takes deliveries again, which the enable did not find', async () => {
    const { webhookId, event } = await publishOne();
    await harness.takeMessages();
    await harness.notifier.webhooks.disable(webhookId, 'manual');
    await harness.notifier.deliverer.handle({ webhook_id: webhookId, msg_id: event.id, attempt: 1, due_at: harness.clock.now() });
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'pending_endpoint' });
    // Enabled without sending what waits: as when the held index had not caught up with this delivery yet.
    await harness.notifier.webhooks.enable(webhookId);
    expect(await sweeper.sweep()).toMatchObject({ resumed: 1 });
    await harness.drain();
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([event.id]);
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered' });
    expect(await sweeper.sweep()).toMatchObject({ resumed: 0 });
  });

  it('a first attempt that settles the delivery writes no due key, and the sweeps after it write nothing', async () => {
    const { webhookId, event } = await publishOne();
    expect(await dueKeyOf(webhookId, event.id)).toBeUndefined();
    await harness.drain();
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered' });

    harness.clock.advance(STALL_MS + 1_000);
    expect(await sweeper.sweep()).toMatchObject({ tracked: 0, redelivered: 0 });
    expect(await dueKeyOf(webhookId, event.id)).toBeUndefined();
    // The webhook's mark has moved past it: the next sweep does not read it again.
    const marks = await new SweepCheckpointsRepository(harness.table).deliveries();
    expect(marks.get(webhookId)).toBe(new Date(harness.clock.now() - STALL_MS).toISOString());
  });

  it('a delivery still pending a stall window after it was published gets a due key, due when it was published', async () => {
    const { webhookId, event } = await publishOne();
    const publishedAt = harness.clock.now();
    await harness.takeMessages(); // lost
    harness.clock.advance(STALL_MS + 1_000);
    expect(await sweeper.sweep()).toMatchObject({ tracked: 1, redelivered: 1 });
    expect(await dueKeyOf(webhookId, event.id)).toBe(`${new Date(publishedAt).toISOString()}#${webhookId}#${event.id}`);
    await harness.drain();
    expect(await harness.deliveries.get(logOf(webhookId), event.id)).toMatchObject({ status: 'delivered', attemptCount: 1 });
    // Settled: its due key is gone with the attempt's record.
    expect(await dueKeyOf(webhookId, event.id)).toBeUndefined();
  });

  it('walks a backlog larger than one sweep may read over several sweeps, oldest mark first, losing none', async () => {
    const small = sweeperWith({ maxSettleChecks: 2 });
    const first = await publishOne();
    await publishOne(first.webhookId);
    await publishOne(first.webhookId);
    await publishOne(); // a second webhook: this event goes to both
    expect(await harness.takeMessages()).toHaveLength(5); // all lost
    harness.clock.advance(STALL_MS + 1_000);

    const reports = [await small.sweep(), await small.sweep(), await small.sweep(), await small.sweep()];
    expect(reports.map((report) => report.tracked)).toEqual([2, 2, 1, 0]);
    await harness.drain();
    expect(receiver.requests).toHaveLength(5);
    expect(new Set(receiver.requests.map((request) => request.headers['webhook-id'])).size).toBe(4);
  });
});
