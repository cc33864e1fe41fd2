import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { LocalEngines } from '../infra/local/engines.ts';
import { lambdaContext } from '../infra/local/lambda-context.ts';
import { localServicesConfig } from '../infra/local/local-services.ts';
import { relayOf } from '../infra/local/relay.ts';
import { createSqsClient } from '../lib/aws/sqs-client.ts';
import { ManualClock } from '../lib/clock.ts';
import { LEASE_MS } from '../lib/mx/call-budget.ts';
import { MX_WORK_QUEUES, QUEUE_NAMES, type QueueName } from '../lib/queue/queue-names.ts';
import { startMxSimulator } from '../sim/server.ts';
import { sqsRecord } from './support/sqs-record.ts';

const MINUTE = 60_000;
export const OUTAGE_MS = 120 * MINUTE;
/** Members MX aggregates on its own during the outage, each announced by its webhook at a random moment of it. */
export const OUTAGE_MEMBERS = 100;
/** As deployed (infra/constructs/work-queue.ts): six times worker-poll's 30 s timeout, and 5 receives to the DLQ. */
const VISIBILITY_MS = 180_000;
const MAX_RECEIVES = 5;
const TICK_MS = 5_000;
const BATCH_SIZE = 10;
/** Gives up on the drain this long after MX is back. */
const DRAIN_LIMIT_MS = 60 * MINUTE;

interface Held {
  queue: QueueName;
  body: string;
  visibleAt: number;
  receives: number;
  id: string;
}

export interface OutageFigures {
  members: number;
  /** Members whose aggregation ended `succeeded` as a job once MX was back (each reached the app as its event). */
  reached: number;
  deadLettered: number;
  /** MX back → the MX work queues empty. */
  drainedMs: number | undefined;
  /** Most MX calls in one budget period after MX came back, against what the period allows. */
  busiestPeriodCalls: number;
  periodCalls: number;
  /** Member reports sent back to wait for MX, in all. */
  waits: number;
}

/**
 * MX down for OUTAGE_MS on an injected clock (the relay's and the simulator's), while it aggregates members on its own
 * and announces each by its webhook: mx-events queues the report, worker-poll (its composition, handed batches as
 * Lambda hands them) finds MX failing and sends it back to wait. The MX work queues are held here, with SQS's rules
 * as deployed (a delay, a visibility timeout after a failed receive, the dead-letter queue at the fifth receive);
 * handlers take no simulated time, so the drain measures the waits, not throughput (the capacity figures do that).
 */
export async function simulateOutage(engines: LocalEngines, perSecond: number): Promise<OutageFigures> {
  const start = Date.UTC(2026, 11, 10, 2);
  const clock = new ManualClock(start);
  const simulator = await startMxSimulator({ clock, log: () => {} });
  const sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  const held: Held[] = [];
  let sent = 0;
  let waits = 0;
  const queueOf = new Map<string, QueueName>(QUEUE_NAMES.map((queue) => [engines.queueUrls[queue], queue]));
  const hold = (queue: QueueName, body: string, delaySeconds = 0) => {
    held.push({ queue, body, visibleAt: clock.now() + delaySeconds * 1000, receives: 0, id: `m${++sent}` });
    if (queue === 'member-reports' && (JSON.parse(body) as { mx_waits?: number }).mx_waits) waits++;
  };
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as {
        QueueUrl?: string;
        MessageBody?: string;
        DelaySeconds?: number;
        Entries?: { Id: string; MessageBody: string; DelaySeconds?: number }[];
      };
      const queue = queueOf.get(input.QueueUrl ?? '');
      if (!queue) return next(args);
      if (context.commandName === 'SendMessageCommand') {
        hold(queue, input.MessageBody!, input.DelaySeconds);
        return { output: { MessageId: `m${sent}`, $metadata: {} }, response: {} } as never;
      }
      if (context.commandName === 'SendMessageBatchCommand') {
        for (const entry of input.Entries ?? []) hold(queue, entry.MessageBody, entry.DelaySeconds);
        const successful = (input.Entries ?? []).map((entry) => ({ Id: entry.Id, MessageId: entry.Id, MD5OfMessageBody: '' }));
        return { output: { Successful: successful, Failed: [], $metadata: {} }, response: {} } as never;
      }
      return next(args);
    },
    { step: 'initialize', name: 'outageQueues' },
  );
  const simOrigin = new URL(simulator.url).origin;
  const callsByPeriod = new Map<number, number>();
  const onRequest = (message: unknown) => {
    const { request } = message as { request: { origin: unknown; path: string } };
    if (String(request.origin) !== simOrigin || request.path.startsWith('/_sim/')) return;
    const period = Math.floor(clock.now() / LEASE_MS);
    callsByPeriod.set(period, (callsByPeriod.get(period) ?? 0) + 1);
  };
  subscribe('undici:request:create', onRequest);
  try {
    const config = localServicesConfig(engines, simulator.url, {
      MX_CALLS_PER_SECOND: String(perSecond),
      // Each call's own retries take real time here (the clock is injected); the breaker is what holds MX's load.
      MX_RETRY_BUDGET_MS: '500',
    });
    const relay = relayOf(config, { clock, sqs });
    const control = async (path: string, body: unknown) => {
      const answer = await fetch(`${simulator.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
      if (!answer.ok) throw new Error(`simulator ${path}: ${answer.status} ${await answer.text()}`);
      return (await answer.json()) as { member: { guid: string; user_guid: string } };
    };
    // Members the relay knows (their users' sessions made), before MX goes down.
    const members = [];
    for (let i = 0; i < OUTAGE_MEMBERS; i++) {
      const userId = `outage-${i}`;
      const { member } = await control('/_sim/members', {
        user_id: userId,
        use_cases: ['PFM'],
        aggregation: { duration_ms: 1_000, final_status: 'CONNECTED' },
      });
      await relay.apiRead.nexus.listMembers(userId);
      members.push({ userId, memberGuid: member.guid, userGuid: member.user_guid, announceAt: 0 });
    }
    let seed = 17;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const outageStart = clock.now() + MINUTE;
    const outageEnd = outageStart + OUTAGE_MS;
    for (const member of members) member.announceAt = outageStart + Math.floor(random() * (OUTAGE_MS - 5 * MINUTE));
    members.sort((a, b) => a.announceAt - b.announceAt);

    const { handler } = relay.workerPoll;
    let next = 0;
    let down = false;
    let deadLettered = 0;
    let drainedMs: number | undefined;
    for (let now = clock.now(); now <= outageEnd + DRAIN_LIMIT_MS; now += TICK_MS) {
      clock.set(now);
      if (!down && now >= outageStart && now < outageEnd) {
        await control('/_sim/faults', { error_rate: 1, status: 503 });
        down = true;
      }
      if (down && now >= outageEnd) {
        await control('/_sim/faults', {});
        down = false;
      }
      // MX's own aggregation of each member due now, and its webhook to /mx/webhooks.
      for (; next < members.length && members[next]!.announceAt <= now; next++) {
        const { memberGuid, userId, userGuid } = members[next]!;
        await control(`/_sim/members/${memberGuid}/background_aggregation`, {});
        clock.set(now + 2_000);
        await relay.mxEvents.push.receive(
          JSON.stringify({
            action: 'member_data_updated',
            completed_at: Math.floor(clock.now() / 1000),
            completed_on: new Date(clock.now()).toISOString().slice(0, 10),
            is_background: true,
            job_guid: `JOB-outage-${next}`,
            member_guid: memberGuid,
            transactions_created_count: 0,
            transactions_updated_count: 0,
            type: 'AGGREGATION',
            user_guid: userGuid,
            user_id: userId,
          }),
        );
        clock.set(now);
      }
      // What SQS shows now of worker-poll's queues, handed over in batches; deliveries are left held (counted apart).
      for (const queue of MX_WORK_QUEUES) {
        const visible = held.filter((message) => message.queue === queue && message.visibleAt <= now);
        for (let b = 0; b < visible.length; b += BATCH_SIZE) {
          const batch = visible.slice(b, b + BATCH_SIZE);
          for (const message of batch) message.receives++;
          const { batchItemFailures } = await handler(
            { Records: batch.map((message) => sqsRecord(queue, message.id, message.body, message.receives)) },
            lambdaContext('worker-poll'),
          );
          const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
          for (const message of batch) {
            const index = held.indexOf(message);
            if (!failed.has(message.id)) held.splice(index, 1);
            else if (message.receives >= MAX_RECEIVES) {
              held.splice(index, 1);
              deadLettered++;
            } else message.visibleAt = now + VISIBILITY_MS;
          }
        }
      }
      const pending = held.some((message) => message.queue !== 'delivery');
      if (now >= outageEnd && next === members.length && !pending) {
        drainedMs = now - outageEnd;
        break;
      }
    }
    let reached = 0;
    for (const { memberGuid } of members) {
      const job = await relay.workerPoll.jobs.latestForMember(memberGuid, clock.now());
      if (job?.status === 'succeeded' && job.trigger === 'mx_background') reached++;
    }
    const after = [...callsByPeriod].filter(([period]) => period * LEASE_MS >= outageEnd).map(([, calls]) => calls);
    return {
      members: members.length,
      reached,
      deadLettered,
      drainedMs,
      busiestPeriodCalls: Math.max(0, ...after),
      periodCalls: (perSecond * LEASE_MS) / 1000,
      waits,
    };
  } finally {
    unsubscribe('undici:request:create', onRequest);
    sqs.destroy();
    await simulator.close();
  }
}
