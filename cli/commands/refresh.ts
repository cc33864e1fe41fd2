import type { Command } from 'commander';
import { action } from '../context.ts';
import { addWatchFlags, printOrFollow, type WatchFlags } from '../job-watch.ts';
import type { Terminal } from '../output.ts';

interface RefreshOptions extends WatchFlags {
  includeTransactions?: boolean;
  includeHoldings?: boolean;
}

export function registerRefresh(program: Command, terminal: Terminal): void {
  const command = program
    .command('refresh')
    .description(
      'refresh (aggregate) a member and print its job; with --watch follow it to the end ' +
        '(exit 0 succeeded, 2 action_required, 1 failed/timed_out)',
    )
    .argument('<user_id>', 'the partner’s user id')
    .argument('<member_guid>', 'MBR-…')
    .option('--include-transactions', 'ask MX to aggregate transactions')
    .option('--no-include-transactions', 'ask MX not to aggregate transactions')
    .option('--include-holdings', 'ask MX to aggregate holdings')
    .option('--no-include-holdings', 'ask MX not to aggregate holdings');
  addWatchFlags(command).action(
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
      return printOrFollow({ api: client, output, job, startedAt, flags: options });
    }),
  );
}
