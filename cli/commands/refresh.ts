import type { Command } from 'commander';
import { integerArg, numberArg } from '../arguments.ts';
import { action } from '../context.ts';
import { jobLines } from '../job-view.ts';
import { followJob } from '../job-watch.ts';
import type { Terminal } from '../output.ts';

interface RefreshOptions {
  watch?: boolean;
  includeTransactions?: boolean;
  includeHoldings?: boolean;
  interval: number;
  timeout?: number;
}

export function registerRefresh(program: Command, terminal: Terminal): void {
  program
    .command('refresh')
    .description(
      'refresh (aggregate) a member and print its job; with --watch follow it to the end ' +
        '(exit 0 succeeded, 2 action_required, 1 failed/timed_out)',
    )
    .argument('<user_id>', 'the partner’s user id')
    .argument('<member_guid>', 'MBR-…')
    .option('-w, --watch', 'follow the job until it ends: a live status line on a terminal, a line per change otherwise')
    .option('--include-transactions', 'ask MX to aggregate transactions')
    .option('--no-include-transactions', 'ask MX not to aggregate transactions')
    .option('--include-holdings', 'ask MX to aggregate holdings')
    .option('--no-include-holdings', 'ask MX not to aggregate holdings')
    .option('--interval <seconds>', 'with --watch: seconds between checks', numberArg(0.2, 60), 1)
    .option(
      '--timeout <seconds>',
      'with --watch: give up (exit 1) after this long; default: when the job ends',
      integerArg(1, 86_400),
    )
    .action(
      action(terminal, async ({ output, api, calls }, userId: string, memberGuid: string, options: RefreshOptions) => {
        const startedAt = performance.now();
        const client = api();
        const job = await client.members.refresh(
          {
            user_id: userId,
            member_guid: memberGuid,
            include_transactions: options.includeTransactions,
            include_holdings: options.includeHoldings,
          },
          calls,
        );
        if (!options.watch) {
          output.result({ job }, () => [
            ...jobLines(job, output.style),
            output.style.dim(`follow: nexus-relay jobs get ${job.id}`),
          ]);
          return;
        }

        return followJob({
          api: client,
          output,
          job,
          startedAt,
          intervalMs: options.interval * 1000,
          timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
        });
      }),
    );
}
