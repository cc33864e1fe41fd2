import type { SyncPage, SyncedTransaction } from '@nexus-relay/client';
import type { Command } from 'commander';
import { integerArg } from '../arguments.ts';
import { action } from '../context.ts';
import { table, type Terminal } from '../output.ts';

type Merged = Omit<SyncPage, 'has_more'> & { reset: boolean };

export function registerTransactions(program: Command, terminal: Terminal): void {
  const transactions = program.command('transactions').description('a user’s transactions');

  transactions
    .command('sync')
    .description('what changed since the cursor (every page, until has_more is false); prints the cursor to keep')
    .argument('<user_id>', 'the partner’s user id')
    .option('--cursor <cursor>', 'a next_cursor from an earlier sync (absent: every transaction, as added)')
    .option('--per-page <n>', 'changes per page (1–500, default 100)', integerArg(1, 500))
    .action(
      action(terminal, async ({ output, api }, userId: string, options: { cursor?: string; perPage?: number }) => {
        const merged: Merged = {
          added: [],
          modified: [],
          removed: [],
          next_cursor: options.cursor ?? '',
          reset: false,
          historical_update_complete: false,
        };
        let pages = 0;
        for await (const page of api().transactions.sync({ user_id: userId, cursor: options.cursor, count: options.perPage })) {
          pages += 1;
          // The cursor had expired: sync started over, and everything comes again as added.
          if (page.reset) Object.assign(merged, { added: [], modified: [], removed: [], reset: true });
          merged.added.push(...page.added);
          merged.modified.push(...page.modified);
          merged.removed.push(...page.removed);
          merged.next_cursor = page.next_cursor;
          merged.historical_update_complete = page.historical_update_complete;
        }
        const row = (change: string, t: SyncedTransaction) => [
          change,
          t.guid,
          String(t.member_guid ?? '-'),
          String(t.amount ?? '-'),
          String(t.updated_at ?? '-'),
        ];
        const rows = [
          ...merged.added.map((t) => row('added', t)),
          ...merged.modified.map((t) => row('modified', t)),
          ...merged.removed.map((t) => ['removed', t.guid, '-', '-', '-']),
        ];
        output.result({ ...merged, pages }, () => [
          ...(merged.reset ? [output.style.yellow('The cursor had expired: this is a full sync (replace what you hold).')] : []),
          ...(rows.length === 0
            ? [`No changes for ${userId}.`]
            : table(['CHANGE', 'TRANSACTION', 'MEMBER', 'AMOUNT', 'UPDATED'], rows, output.style)),
          `${merged.added.length} added, ${merged.modified.length} modified, ${merged.removed.length} removed` +
            (merged.historical_update_complete ? '; the extended history of every member is in' : ''),
          output.style.dim(`next time: --cursor ${merged.next_cursor}`),
        ]);
      }),
    );
}
