import type { Clock } from '../clock.ts';
import type { Log } from '../logger.ts';
import { type MxWebhook, parseMxWebhook } from '../mx/webhook-payload.ts';
import type { DelayedQueue } from '../queue/delayed-queue.ts';
import type { PollMessage } from '../queue/poll-message.ts';
import type { JobsRepository } from '../aggregation/jobs-repo.ts';
import type { Job } from '../aggregation/job.ts';
import type { PushCoverage } from './push-coverage.ts';

export interface MxPushDeps {
  jobs: Pick<JobsRepository, 'activeJobIdsOfMember' | 'get'>;
  pollQueue: Pick<DelayedQueue<PollMessage>, 'schedule'>;
  clock: Clock;
  log: Log;
  /** Told of every push, so the poll loop knows MX is pushing (optional: without it, polls stay dense). */
  coverage?: Pick<PushCoverage, 'recordPush'>;
}

export type PushOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'no_active_job'; memberGuid: string }
  | { kind: 'polled'; jobId: string; step: number }
  | { kind: 'failed'; memberGuid: string };

/**
 * MX's webhooks as hints. A push for a member with an active job sends that job an immediate poll for its current
 * step: the poll worker reads the member and decides, with the same step rules as every poll, so a push never ends
 * a job by itself and a duplicate or late push changes nothing. Nothing here throws: MX resends whatever is not
 * answered 2xx, and the poll loop remains the fallback for a push that could not be acted on.
 */
export class MxPush {
  constructor(private readonly deps: MxPushDeps) {}

  async receive(body: string | undefined): Promise<PushOutcome> {
    const parsed = parseMxWebhook(parseJson(body));
    if (!parsed.ok) {
      this.deps.log.warn('MX webhook ignored', { reason: parsed.reason });
      return { kind: 'ignored', reason: parsed.reason };
    }
    try {
      return await this.#pollNow(parsed.webhook);
    } catch (error) {
      this.deps.log.error('MX webhook could not nudge the poll loop; the loop will catch up', {
        member_guid: parsed.webhook.memberGuid,
        error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      });
      return { kind: 'failed', memberGuid: parsed.webhook.memberGuid };
    } finally {
      // After the nudge, which is what the push is waited on for; never throws. MX's own background aggregations
      // announce no job of ours: they do not count towards coverage.
      if (!(parsed.webhook.type === 'AGGREGATION' && parsed.webhook.isBackground)) await this.deps.coverage?.recordPush();
    }
  }

  async #pollNow(webhook: MxWebhook): Promise<PushOutcome> {
    const { jobs, pollQueue, clock, log } = this.deps;
    const now = clock.now();
    let job: Job | undefined;
    for (const jobId of await jobs.activeJobIdsOfMember(webhook.memberGuid, now)) {
      const found = await jobs.get(jobId);
      if (found?.status === 'aggregating') job = found;
    }
    if (!job) {
      log.debug('MX webhook for a member without an active job', describe(webhook));
      return { kind: 'no_active_job', memberGuid: webhook.memberGuid };
    }
    await pollQueue.schedule({ job_id: job.id, step: job.step, due_at: now, trigger: 'push' });
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
  ...(webhook.type === 'CONNECTION_STATUS' ? { connection_status: webhook.connectionStatus } : { job_guid: webhook.jobGuid }),
});
