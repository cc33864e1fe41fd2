import type { Job } from '@nexus-relay/client';
import { fields, type Styles } from './output.ts';
import { suggest } from './suggest.ts';

/** Exit codes of `refresh --watch`: 0 succeeded, 2 the user must act (MFA, credentials…), 1 failed or timed out. */
export const WATCH_EXIT_CODES: Record<string, number> = { succeeded: 0, action_required: 2, failed: 1, timed_out: 1 };

export function statusText(status: string, style: Styles): string {
  if (status === 'succeeded') return style.green(status);
  if (status === 'action_required') return style.yellow(status);
  if (status === 'aggregating') return style.cyan(status);
  return style.red(status);
}

export function jobLines(job: Job, style: Styles): string[] {
  return [
    ...fields(
      [
        ['job', style.bold(job.id)],
        ['user', job.user_id],
        ['member', job.member_guid],
        ['kind', job.kind],
        ['status', statusText(job.status, style)],
        ['connection', job.connection_status ?? '-'],
        ['polls', String(job.polls)],
        ['correlation', job.correlation_id],
        ['created', job.created_at],
        ['finished', job.finished_at],
      ],
      style,
    ),
    ...challengeLines(job, style),
  ];
}

/**
 * For an action_required job: what MX asks, and how to answer it — a `resume` command line to complete, and the
 * same answers as a JSON document (valid JSON: `--answers-file` takes it, and so does `PUT …/resume`).
 */
export function challengeLines(job: Job, style: Styles): string[] {
  if (job.status !== 'action_required') return [];
  const challenges = job.challenges ?? [];
  if (challenges.length === 0) return nextStepLines(job);
  const answers = { challenges: challenges.map((challenge) => ({ guid: challenge.guid, value: '' })) };
  return [
    'MX asks:',
    ...challenges.map(
      (challenge) =>
        `  ${style.yellow('?')} ${challenge.label ?? challenge.type ?? 'challenge'} ${style.dim(`(${challenge.guid})`)}`,
    ),
    `answer: ${suggest(`resume ${job.user_id} ${job.member_guid} ${challenges.map((challenge) => `--answer ${challenge.guid}=…`).join(' ')} --watch`)}`,
    style.dim(`   or: ${suggest(`resume ${job.user_id} ${job.member_guid} --answers-file answers.json`)}, with answers.json:`),
    style.dim(`       ${JSON.stringify(answers)}`),
  ];
}

/** The command that starts a job of each kind again. */
const AGAIN: Record<Job['kind'], string> = {
  aggregation: 'refresh',
  verification: 'verify',
  identification: 'identify',
  history: 'extend-history',
  balance: 'check-balance',
};

/**
 * An action_required job without questions: what the user does next. REJECTED is a wrong MFA answer — the job is
 * over (resume answers 409): a new job of its kind asks again. Any other status needs the user's credentials or consent:
 * they reconnect the member in MX's Connect widget.
 */
function nextStepLines(job: Job): string[] {
  const status = job.connection_status ?? 'unknown';
  if (status === 'REJECTED') {
    return [
      'MX rejected the MFA answer (connection status REJECTED); this job is over.',
      `ask again: ${suggest(`${AGAIN[job.kind]} ${job.user_id} ${job.member_guid} --watch`)}`,
    ];
  }
  return [
    `The member needs its user (connection status ${status}): they reconnect it in MX's Connect widget.`,
    `widget URL: ${suggest(`connect-url ${job.user_id} --member ${job.member_guid}`)}`,
  ];
}
