import { fields, type Styles } from './output.ts';

/** A job as the API shows it (`GET /jobs/{job_id}`). `polls` is shown when the API reports it. */
export interface JobView {
  id: string;
  user_id: string;
  member_guid: string;
  status: string;
  connection_status: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  polls?: number;
  correlation_id?: string;
  challenges?: { guid: string; label: string | null; type: string | null; field_name?: string | null }[];
}

/** Exit codes of `refresh --watch`: 0 succeeded, 2 the user must act (MFA, credentials…), 1 failed or timed out. */
export const WATCH_EXIT_CODES: Record<string, number> = { succeeded: 0, action_required: 2, failed: 1, timed_out: 1 };

export const isTerminal = (status: string) => status !== 'aggregating';

export function statusText(status: string, style: Styles): string {
  if (status === 'succeeded') return style.green(status);
  if (status === 'action_required') return style.yellow(status);
  if (status === 'aggregating') return style.cyan(status);
  return style.red(status);
}

export function jobLines(job: JobView, style: Styles): string[] {
  return [
    ...fields(
      [
        ['job', style.bold(job.id)],
        ['user', job.user_id],
        ['member', job.member_guid],
        ['status', statusText(job.status, style)],
        ['connection', job.connection_status ?? '-'],
        ['polls', job.polls === undefined ? undefined : String(job.polls)],
        ['correlation', job.correlation_id],
        ['created', job.created_at],
        ['finished', job.finished_at],
      ],
      style,
    ),
    ...challengeLines(job, style),
  ];
}

/** For an action_required job: what MX asks, and how to answer. */
export function challengeLines(job: JobView, style: Styles): string[] {
  if (job.status !== 'action_required') return [];
  const lines = (job.challenges ?? []).map(
    (challenge) =>
      `  ${style.yellow('?')} ${challenge.label ?? challenge.type ?? 'challenge'} ${style.dim(`(${challenge.guid})`)}`,
  );
  if (lines.length === 0) return [`The member needs its user (connection status ${job.connection_status ?? 'unknown'}).`];
  return [
    'MX asks:',
    ...lines,
    style.dim(`answer: PUT /users/${job.user_id}/members/${job.member_guid}/resume {"challenges":[{"guid","value"}]}`),
  ];
}
