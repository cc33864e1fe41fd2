import type { Command } from 'commander';
import { integerArg } from '../arguments.ts';
import { action } from '../context.ts';
import { jobLines, statusText } from '../job-view.ts';
import { table, type Terminal } from '../output.ts';

export function registerJobs(program: Command, terminal: Terminal): void {
  const jobs = program.command('jobs').description('aggregation jobs');

  jobs
    .command('get')
    .description('one job')
    .argument('<job_id>', 'job_…')
    .action(
      action(terminal, async ({ output, api }, jobId: string) => {
        const job = await api().jobs.get(jobId);
        output.result({ job }, () => jobLines(job, output.style));
      }),
    );

  jobs
    .command('list')
    .description('a user’s jobs, newest first')
    .argument('<user_id>', 'the partner’s user id')
    .option('--per-page <n>', 'jobs per page (1–100, default 25)', integerArg(1, 100))
    .option('--cursor <cursor>', 'continue from a previous page’s next_cursor')
    .action(
      action(terminal, async ({ output, api }, userId: string, options: { perPage?: number; cursor?: string }) => {
        const page = await api().jobs.list({ user_id: userId, limit: options.perPage, cursor: options.cursor }).firstPage();
        const body = { jobs: page.items, ...(page.next_cursor === undefined ? {} : { next_cursor: page.next_cursor }) };
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
