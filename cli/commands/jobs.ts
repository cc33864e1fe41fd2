import type { Command } from 'commander';
import { integerArg } from '../arguments.ts';
import { action } from '../context.ts';
import { jobLines, type JobView, statusText } from '../job-view.ts';
import { table, type Terminal } from '../output.ts';

export function registerJobs(program: Command, terminal: Terminal): void {
  const jobs = program.command('jobs').description('aggregation jobs');

  jobs
    .command('get')
    .description('one job')
    .argument('<job_id>', 'job_…')
    .action(
      action(terminal, async ({ output, api }, jobId: string) => {
        const body = await api().call<{ job: JobView }>('GET', `/jobs/${encodeURIComponent(jobId)}`);
        output.result(body, () => jobLines(body.job, output.style));
      }),
    );

  jobs
    .command('list')
    .description('a user’s jobs, newest first')
    .argument('<user_id>', 'the partner’s user id')
    .option('--limit <n>', 'jobs per page (1–100, default 25)', integerArg(1, 100))
    .option('--cursor <cursor>', 'continue from a previous page’s next_cursor')
    .action(
      action(terminal, async ({ output, api }, userId: string, options: { limit?: number; cursor?: string }) => {
        const body = await api().call<{ jobs: JobView[]; next_cursor?: string }>(
          'GET',
          `/users/${encodeURIComponent(userId)}/jobs`,
          {
            query: { limit: options.limit, cursor: options.cursor },
          },
        );
        output.result(body, () => [
          ...(body.jobs.length === 0
            ? [`No jobs for ${userId}.`]
            : table(
                ['JOB', 'MEMBER', 'STATUS', 'CONNECTION', 'CREATED', 'FINISHED'],
                body.jobs.map((job) => [
                  job.id,
                  job.member_guid,
                  statusText(job.status, output.style),
                  job.connection_status ?? '-',
                  job.created_at,
                  job.finished_at ?? '-',
                ]),
                output.style,
              )),
          ...(body.next_cursor ? [output.style.dim(`more: --cursor ${body.next_cursor}`)] : []),
        ]);
      }),
    );
}
