import type { Clock } from '../clock.ts';
import { digestOf } from '../hash.ts';
import type { Log } from '../logger.ts';
import type { MxEventsMetrics } from './mx-events-metrics.ts';
import { type MxWebhook, parseMxWebhook } from '../mx/webhook-payload.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { MemberReport } from '../queue/poll-message.ts';
import type { MemberJobs } from '../aggregation/member-jobs.ts';
import type { PushCoverage } from '../aggregation/push-coverage.ts';
import type { MxWebhookReplays } from './mx-webhook-replays-repo.ts';

export interface MxPushDeps {
  memberJobs: Pick<MemberJobs, 'pollNow'>;
  /** Members no job follows, for worker-poll to read from MX. */
  reports: Pick<DelayedQueue<MemberReport>, 'schedule'>;
  replays: Pick<MxWebhookReplays, 'first'>;
  clock: Clock;
  log: Log;
  metrics: MxEventsMetrics;
  /** Without it, polls stay dense. */
  coverage?: Pick<PushCoverage, 'recordPush'>;
}

export type PushOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'replayed' }
  | { kind: 'coalesced'; jobId: string; step: number }
  | { kind: 'reported'; memberGuid: string }
  | { kind: 'polled'; jobId: string; step: number }
  | { kind: 'failed'; memberGuid: string };

/**
 * MX's webhooks as hints: anyone holding MX's webhook credentials can send one, and HTTP Basic carries no timestamp. A
 * push never ends a job by itself: it nudges one poll per step, or reports the member for a read of MX. Nothing here
 * throws: MX resends whatever is not answered 2xx, and the poll loop and the reconcile remain the fallback.
 */
export class MxPush {
  constructor(private readonly deps: MxPushDeps) {}

  async receive(body: string | undefined): Promise<PushOutcome> {
    const { log, metrics } = this.deps;
    const json = parseJson(body);
    const parsed = parseMxWebhook(json);
    if (!parsed.ok) {
      log.warn('MX webhook ignored', { reason: parsed.reason });
      metrics.add('MxWebhooks', 1, { outcome: 'ignored' });
      return { kind: 'ignored', reason: parsed.reason };
    }
    const { webhook } = parsed;
    if (webhook.type === 'TRANSACTIONS' && webhook.action !== 'deleted') {
      // Every sync reads these itself; a read per webhook (one per transaction) would only run ahead of the end. Not
      // counted: a metric line each is a third of MX's webhooks' log (Lambda's Invocations count them with the rest).
      return { kind: 'ignored', reason: `TRANSACTIONS ${webhook.action}: the sync reads MX itself` };
    }
    // A CONNECTION_STATUS body names no time: the same change again a day later is MX's news, not a replay (its
    // reads coalesce per user all the same).
    if (webhook.type !== 'CONNECTION_STATUS' && !(await this.#first(json))) {
      log.info('MX webhook replayed: nothing more done', describe(webhook));
      metrics.add('MxWebhooks', 1, { outcome: 'replayed' });
      return { kind: 'replayed' };
    }
    metrics.add('MxWebhooks', 1, { outcome: 'taken' });
    if (webhook.type === 'TRANSACTIONS' || webhook.type === 'MEMBER') return this.#report(webhook);
    try {
      return await this.#pollNow(webhook);
    } catch (error) {
      this.deps.log.error('MX webhook could not nudge the poll loop; the loop will catch up', {
        member_guid: parsed.webhook.memberGuid,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return { kind: 'failed', memberGuid: parsed.webhook.memberGuid };
    } finally {
      // After the nudge, which the push waits on. Background aggregations announce no job: counted apart.
      await this.deps.coverage?.recordPush(webhook.type !== 'CONNECTION_STATUS' && webhook.isBackground);
    }
  }

  /** A deletion: not an aggregation's end, so the poll loop and push coverage are not told. */
  async #report(webhook: Extract<MxWebhook, { type: 'TRANSACTIONS' | 'MEMBER' }>): Promise<PushOutcome> {
    try {
      await this.deps.reports.schedule({
        member_report: {
          kind: webhook.type === 'MEMBER' ? 'member_deleted' : 'transactions',
          member_guid: webhook.memberGuid,
          ...(webhook.userId ? { user_id: webhook.userId } : {}),
          ...(webhook.userGuid ? { user_guid: webhook.userGuid } : {}),
          ...(webhook.type === 'TRANSACTIONS'
            ? { transaction: { guid: webhook.transactionGuid, action: 'deleted' as const } }
            : {}),
        },
        due_at: this.deps.clock.now(),
      });
      this.deps.log.info('MX webhook: reported', describe(webhook));
      return { kind: 'reported', memberGuid: webhook.memberGuid };
    } catch (error) {
      this.deps.log.error('MX webhook could not be reported; the next aggregation and the sync catch up', {
        ...describe(webhook),
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return { kind: 'failed', memberGuid: webhook.memberGuid };
    }
  }

  /** A failed look counts it new: the hint is still only a hint. */
  async #first(json: unknown): Promise<boolean> {
    try {
      return await this.deps.replays.first(digestOf(json), this.deps.clock.now());
    } catch (error) {
      this.deps.log.warn('MX webhook replay check failed; taken as new', {
        error: error instanceof Error ? error.name : 'unexpected',
      });
      return true;
    }
  }

  async #pollNow(webhook: Exclude<MxWebhook, { type: 'TRANSACTIONS' | 'MEMBER' }>): Promise<PushOutcome> {
    const { memberJobs, clock, log } = this.deps;
    const job = await memberJobs.pollNow({ memberGuid: webhook.memberGuid }, 'push');
    if (!job) {
      await this.deps.reports.schedule({
        member_report: {
          kind: webhook.type === 'CONNECTION_STATUS' ? 'connection_status' : 'aggregation',
          member_guid: webhook.memberGuid,
          ...(webhook.type !== 'CONNECTION_STATUS' && webhook.userId ? { user_id: webhook.userId } : {}),
          ...(webhook.userGuid ? { user_guid: webhook.userGuid } : {}),
          ...(webhook.type === 'CONNECTION_STATUS' ? {} : { is_background: webhook.isBackground }),
        },
        due_at: clock.now(),
      });
      log.info('MX webhook for a member no job follows: reported', describe(webhook));
      return { kind: 'reported', memberGuid: webhook.memberGuid };
    }
    if (job.coalesced) {
      log.info('MX webhook: the job was polled for this push already', { ...describe(webhook), job_id: job.id, step: job.step });
      return { kind: 'coalesced', jobId: job.id, step: job.step };
    }
    log.info('MX webhook: immediate poll', { ...describe(webhook), job_id: job.id, step: job.step });
    return { kind: 'polled', jobId: job.id, step: job.step };
  }
}

function parseJson(body: string | undefined): unknown {
  if (body === undefined) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

const describe = (webhook: MxWebhook) => ({
  type: webhook.type,
  member_guid: webhook.memberGuid,
  action: webhook.action,
  ...(webhook.type === 'CONNECTION_STATUS'
    ? { connection_status: webhook.connectionStatus }
    : webhook.type === 'TRANSACTIONS'
      ? { transaction_guid: webhook.transactionGuid }
      : webhook.type === 'MEMBER'
        ? {}
        : { job_guid: webhook.jobGuid }),
});
