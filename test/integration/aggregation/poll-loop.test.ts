import { randomUUID } from 'node:crypto';
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalEngines, startEngines } from '../../../infra/local/engines.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { RetryLaterError } from '../../../lib/aggregation/poll-service.ts';
import { STALLED_AFTER_MS } from '../../../lib/aggregation/sweeper.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { deliveryMessageSchema } from '../../../lib/notify/delivery-message.ts';
import { generateSecret } from '../../../lib/notify/signing.ts';
import { type PollMessage, pollMessageSchema } from '../../../lib/queue/poll-message.ts';
import { localServicesConfig } from '../../../infra/local/local-services.ts';
import { type Relay, relayOf } from '../../../infra/local/relay.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';
import { createSealedWebhook } from '../../../bench/support/sealed-webhook.ts';

/**
 * The poll loop over real dynalite, fauxqs and the MX simulator, with ONE ManualClock shared by the services and
 * the simulator: time moves only when the test says so, and SQS messages are taken off the queues by hand.
 */
let engines: LocalEngines;
let simulator: MxSimulator;
let sqs: SQSClient;
let relay: Relay;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
// Starts at real time: receivers check webhook timestamps against their own clock (5-minute tolerance).
const clock = new ManualClock(Date.now());

beforeAll(async () => {
  engines = await startEngines();
  simulator = await startMxSimulator({ clock });
  sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  const config = localServicesConfig(engines, simulator.url, { AGGREGATION_DEADLINE_SECONDS: '60' });
  // Every message is sent without a delay: the test, not SQS, decides when it is handled.
  sqs.middlewareStack.add((next) => (args) => next({ ...args, input: { ...args.input, DelaySeconds: 0 } as typeof args.input }), {
    step: 'initialize',
    name: 'sendWithoutDelay',
  });
  relay = relayOf(config, { clock, sqs });
  receiver = await startWebhookReceiver();
  const secret = generateSecret();
  await createSealedWebhook(relay.workerDeliver.notifier, { url: receiver.url, eventTypes: ['*'], secret });
  receiver.useSecret(secret);
});

afterAll(async () => {
  await receiver.close();
  sqs.destroy();
  await simulator.close();
  await engines.stop();
});

async function take(queueUrl: string): Promise<unknown[]> {
  const bodies: unknown[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
    if (Messages.length === 0) return bodies;
    for (const message of Messages) {
      bodies.push(JSON.parse(message.Body!));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
}
const takePolls = async () => (await take(engines.queueUrls.poll)).map((body) => pollMessageSchema.parse(body));

/** Runs the delivery worker over everything queued and returns how many webhook requests reached the receiver. */
async function deliverAll(): Promise<void> {
  for (const body of await take(engines.queueUrls.delivery))
    await relay.workerDeliver.notifier.deliverer.handle(deliveryMessageSchema.parse(body));
}

async function memberAt(aggregation: {
  duration_ms: number;
  final_status: string;
  challenge?: { label: string; answer: string };
}) {
  const userId = `user-${randomUUID().slice(0, 8)}`;
  const response = await fetch(`${simulator.url}/_sim/members`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: userId, aggregation }),
  });
  const { member } = (await response.json()) as { member: { guid: string } };
  return { userId, memberGuid: member.guid };
}

const memberReads = async () => {
  const { calls } = (await (await fetch(`${simulator.url}/_sim/stats`)).json()) as { calls: Record<string, number> };
  return calls['GET /members/{member_guid}'] ?? 0;
};

describe('refresh', () => {
  it('joins the running job instead of starting another, and frees the member when it ends', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 2_000, final_status: 'FAILED' });
    const first = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    const second = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    expect(second).toMatchObject({ joined: true, job: { id: first.job.id } });
    const [step0] = await takePolls();
    clock.set(step0!.due_at);
    await relay.workerPoll.poll.handle(step0!);
    expect(await relay.apiJobs.jobs.get(first.job.id)).toMatchObject({ status: 'failed', connectionStatus: 'FAILED' });
    const third = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    expect(third.joined).toBe(false);
    expect(third.job.id).not.toBe(first.job.id);
    await takePolls();
  });

  it('leaves neither a job nor an active pointer when the aggregation is refused (the member lacks PFM)', async () => {
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const created = await fetch(`${simulator.url}/_sim/members`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: userId, use_cases: ['MONEY_MOVEMENT'] }),
    });
    const { member } = (await created.json()) as { member: { guid: string } };
    // Never seen before, the member is read: its use cases leave out PFM, so MX is not asked to aggregate it.
    await expect(relay.apiRefresh.refresh.refresh({ userId, memberGuid: member.guid })).rejects.toMatchObject({
      code: 'USE_CASE_NOT_PERMITTED',
    });
    expect(await relay.apiJobs.pointers.activeJobId({ userId, memberGuid: member.guid }, clock.now())).toBeUndefined();
    expect(await relay.apiJobs.jobs.latestForMember(member.guid, clock.now())).toBeUndefined();
    expect(await takePolls()).toEqual([]);
  });
});

describe('poll loop: duplicate and stale deliveries change nothing', () => {
  it('the same terminal poll message delivered twice (at once, then again) and a stale step → one terminal webhook', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 2_000, final_status: 'CONNECTED' });
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    const [first] = await takePolls();
    expect(first).toEqual({ job_id: job.id, step: 0, due_at: job.nextPollAt });
    expect(await relay.apiJobs.jobs.get(job.id)).toMatchObject({ status: 'aggregating', connectionStatus: 'RECONNECTED' });

    clock.set(first!.due_at);
    await Promise.all([relay.workerPoll.poll.handle(first!), relay.workerPoll.poll.handle(first!)]);
    await relay.workerPoll.poll.handle(first!);
    await relay.workerPoll.poll.handle({ ...first!, step: 7 });

    expect(await takePolls()).toEqual([]);
    const finished = await relay.apiJobs.jobs.get(job.id);
    expect(finished).toMatchObject({ status: 'succeeded', connectionStatus: 'CONNECTED', step: 0 });
    expect(await relay.apiJobs.pointers.activeJobId({ userId, memberGuid }, clock.now())).toBeUndefined();

    await deliverAll();
    await deliverAll();
    const terminal = receiver.events.filter((event) => event.data.job?.id === job.id && event.type !== 'aggregation.started');
    expect(terminal.map((event) => event.type)).toEqual(['aggregation.succeeded']);
  });

  it('a duplicate of an applied step is handed back, then resends the next step only once that is overdue', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 60_000, final_status: 'CONNECTED' });
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    const [step0] = await takePolls();
    clock.set(step0!.due_at);
    const readsBefore = await memberReads();

    await relay.workerPoll.poll.handle(step0!);
    const [step1] = await takePolls();
    expect(step1).toMatchObject({ job_id: job.id, step: 1 });
    expect(await memberReads()).toBe(readsBefore + 1);

    // The duplicate of step 0 cannot tell yet whether step 1 was sent: it goes back to SQS, without touching MX.
    await expect(relay.workerPoll.poll.handle(step0!)).rejects.toBeInstanceOf(RetryLaterError);
    expect(await memberReads()).toBe(readsBefore + 1);
    expect(await takePolls()).toEqual([]);

    // Once step 1 is overdue and the job still waits at it, its message was lost: step 0's retry sends it again.
    clock.set(step1!.due_at + 5_000);
    await relay.workerPoll.poll.handle(step0!);
    const [resent] = await takePolls();
    expect(resent).toMatchObject({ job_id: job.id, step: 1 });

    // Both copies of step 1 arrive: one applies, the other is handed back; the loop goes on with one step 2.
    await relay.workerPoll.poll.handle(step1!);
    await expect(relay.workerPoll.poll.handle(resent as PollMessage)).rejects.toBeInstanceOf(RetryLaterError);
    const next = await takePolls();
    expect(next.map((message) => message.step)).toEqual([2]);
    expect(await relay.apiJobs.jobs.get(job.id)).toMatchObject({ status: 'aggregating', step: 2, polls: 2 });
  });

  it('a job past its deadline ends timed_out at its next poll, exactly once', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 3_600_000, final_status: 'CONNECTED' });
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    const [step0] = await takePolls();
    clock.set(job.deadlineAt);
    await Promise.all([relay.workerPoll.poll.handle(step0!), relay.workerPoll.poll.handle(step0!)]);
    expect(await relay.apiJobs.jobs.get(job.id)).toMatchObject({ status: 'timed_out' });
    await deliverAll();
    const terminal = receiver.events.filter((event) => event.data.job?.id === job.id && event.type !== 'aggregation.started');
    expect(terminal.map((event) => event.type)).toEqual(['aggregation.timed_out']);
  });
});

describe('MFA', () => {
  const challenged = { duration_ms: 2_000, final_status: 'CONNECTED', challenge: { label: 'Favorite color?', answer: 'blue' } };

  async function untilChallenged() {
    const { userId, memberGuid } = await memberAt(challenged);
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    const [step0] = await takePolls();
    clock.set(step0!.due_at);
    await relay.workerPoll.poll.handle(step0!);
    return { userId, memberGuid, jobId: job.id };
  }

  async function runLoop(jobId: string) {
    for (let polls = await takePolls(); polls.length > 0; polls = await takePolls()) {
      for (const message of polls) {
        clock.set(Math.max(clock.now(), message.due_at));
        await relay.workerPoll.poll.handle(message);
      }
    }
    await deliverAll();
    return receiver.events.filter((event) => event.data.job?.id === jobId && event.type !== 'aggregation.started');
  }

  it('a challenge ends action_required with the questions; the right answer resumes the same job to succeeded', async () => {
    const { userId, memberGuid, jobId } = await untilChallenged();
    const challengedJob = await relay.apiJobs.jobs.get(jobId);
    expect(challengedJob).toMatchObject({ status: 'action_required', connectionStatus: 'CHALLENGED' });
    const [question] = challengedJob!.challenges!;
    expect(question).toMatchObject({ label: 'Favorite color?', type: 'TEXT' });

    const resumed = await relay.apiRefresh.resume.resume({
      userId,
      memberGuid,
      answers: [{ guid: question!.guid, value: 'blue' }],
    });
    expect(resumed).toMatchObject({ id: jobId, status: 'aggregating', step: 1 });
    const terminal = await runLoop(jobId);
    expect(terminal.map((event) => event.type)).toEqual(['aggregation.action_required', 'aggregation.succeeded']);
    expect(terminal[0]!.data.job.challenges).toEqual(challengedJob!.challenges);
    expect(await relay.apiJobs.jobs.get(jobId)).toMatchObject({ status: 'succeeded', connectionStatus: 'CONNECTED' });
  });

  it('a wrong answer ends the job action_required again (REJECTED); resuming a job not waiting for answers is a conflict', async () => {
    const { userId, memberGuid, jobId } = await untilChallenged();
    const [question] = (await relay.apiJobs.jobs.get(jobId))!.challenges!;
    await relay.apiRefresh.resume.resume({ userId, memberGuid, answers: [{ guid: question!.guid, value: 'red' }] });
    const terminal = await runLoop(jobId);
    expect(terminal.map((event) => event.type)).toEqual(['aggregation.action_required', 'aggregation.action_required']);
    expect(await relay.apiJobs.jobs.get(jobId)).toMatchObject({ status: 'action_required', connectionStatus: 'REJECTED' });
    await expect(
      relay.apiRefresh.resume.resume({ userId, memberGuid, answers: [{ guid: question!.guid, value: 'blue' }] }),
    ).rejects.toMatchObject({ name: 'ConflictError', code: 'CONFLICT' });
  });
});

// These move the shared clock minutes ahead, past what webhook receivers tolerate against real time: keep them last.
describe('sweeper', () => {
  it('finds a job whose poll message was lost and puts it back on the loop, which then ends it', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 2_000, final_status: 'CONNECTED' });
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    await takePolls(); // the first poll message is lost

    clock.set(job.nextPollAt + STALLED_AFTER_MS - 1);
    await relay.sweeper.sweeper.sweep();
    expect((await takePolls()).filter((message) => message.job_id === job.id)).toEqual([]);

    clock.set(job.nextPollAt + STALLED_AFTER_MS + 1);
    const report = await relay.sweeper.sweeper.sweep();
    expect(report.repolled).toBeGreaterThanOrEqual(1);
    const repolled = (await takePolls()).filter((message) => message.job_id === job.id);
    expect(repolled).toEqual([{ job_id: job.id, step: 0, due_at: clock.now(), detected_by: 'sweeper' }]);
    await relay.workerPoll.poll.handle(repolled[0]!);
    expect(await relay.apiJobs.jobs.get(job.id)).toMatchObject({ status: 'succeeded' });
    expect(await relay.apiJobs.pointers.activeJobId({ userId, memberGuid }, clock.now())).toBeUndefined();
  });

  it('re-drives the terminal event of a job that ended but was never announced, once it is STALLED_AFTER_MS late', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 2_000, final_status: 'CONNECTED' });
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    await takePolls();
    await take(engines.queueUrls.delivery); // the started event
    // The job ends, but whatever was to publish its event dies before doing so: no event, the member still held.
    const finishedAt = clock.now();
    expect(await relay.apiJobs.jobs.finish(job.id, 0, { status: 'succeeded', polled: true, now: finishedAt })).toBe(true);

    clock.set(finishedAt + STALLED_AFTER_MS);
    expect(await relay.sweeper.sweeper.sweep()).toMatchObject({ renotified: 0 });
    expect((await takePolls()).filter((message) => message.job_id === job.id)).toEqual([]);
    expect(await relay.apiJobs.pointers.activeJobId({ userId, memberGuid }, clock.now())).toBe(job.id);

    clock.set(finishedAt + STALLED_AFTER_MS + 1);
    expect((await relay.sweeper.sweeper.sweep()).renotified).toBeGreaterThanOrEqual(1);
    const redriven = (await takePolls()).filter((message) => message.job_id === job.id);
    expect(redriven).toEqual([{ job_id: job.id, step: 0, due_at: clock.now(), detected_by: 'sweeper' }]);
    await relay.workerPoll.poll.handle(redriven[0]!);

    const deliveries = (await take(engines.queueUrls.delivery)).map((body) => deliveryMessageSchema.parse(body));
    expect(deliveries.map((delivery) => delivery.msg_id)).toEqual([`msg_${job.id}_s0_succeeded`]);
    expect(await relay.apiJobs.pointers.activeJobId({ userId, memberGuid }, clock.now())).toBeUndefined();
    // Announced now: later sweeps leave it alone.
    clock.advance(STALLED_AFTER_MS * 2);
    await relay.sweeper.sweeper.sweep();
    expect((await takePolls()).filter((message) => message.job_id === job.id)).toEqual([]);
  });

  it('a job past its deadline with no message left ends timed_out after one sweep', async () => {
    const { userId, memberGuid } = await memberAt({ duration_ms: 3_600_000, final_status: 'CONNECTED' });
    const { job } = await relay.apiRefresh.refresh.refresh({ userId, memberGuid });
    await takePolls();
    clock.set(job.deadlineAt + STALLED_AFTER_MS + 1);
    await relay.sweeper.sweeper.sweep();
    for (const message of (await takePolls()).filter((m) => m.job_id === job.id)) await relay.workerPoll.poll.handle(message);
    expect(await relay.apiJobs.jobs.get(job.id)).toMatchObject({ status: 'timed_out' });
  });
});
