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

/** MX's premium jobs, each a command like refresh: `verify`, `identify`, `extend-history`, `check-balance`. */
const PREMIUM_COMMANDS = [
  { name: 'verify', what: 'verify a member (MX: account and routing numbers)', transactions: true },
  { name: 'identify', what: 'identify a member (MX: its accounts’ owners)', transactions: true },
  { name: 'extend-history', what: 'extend a member’s transaction history (MX: up to 24 months)', transactions: false },
  { name: 'check-balance', what: 'check a member’s balances (MX: balances only)', transactions: false },
] as const;

export function registerPremiumJobs(program: Command, terminal: Terminal): void {
  for (const premium of PREMIUM_COMMANDS) {
    const command = program
      .command(premium.name)
      .description(
        `${premium.what} and print its job; with --watch follow it to the end ` +
          '(exit 0 succeeded, 2 action_required, 1 failed/timed_out)',
      )
      .argument('<user_id>', 'the partner’s user id')
      .argument('<member_guid>', 'MBR-…');
    if (premium.transactions) command.option('--include-transactions', 'ask MX to gather transactions too');
    addWatchFlags(command).action(
      action(terminal, async ({ output, api, calls }, userId: string, memberGuid: string, options: RefreshOptions) => {
        const startedAt = performance.now();
        const client = api();
        const ids = { user_id: userId, member_guid: memberGuid };
        const query = options.includeTransactions === undefined ? {} : { include_transactions: options.includeTransactions };
        const job =
          premium.name === 'verify'
            ? await client.members.verify({ ...ids, ...query }, calls)
            : premium.name === 'identify'
              ? await client.members.identify({ ...ids, ...query }, calls)
              : premium.name === 'extend-history'
                ? await client.members.extendHistory(ids, calls)
                : await client.members.checkBalance(ids, calls);
        return printOrFollow({ api: client, output, job, startedAt, flags: options });
      }),
    );
  }
}
