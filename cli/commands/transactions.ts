import type { Command } from 'commander';
import { integerArg } from '../arguments.ts';
import { action } from '../context.ts';
import { table, type Terminal } from '../output.ts';

interface SyncedTransaction {
  guid: string;
  member_guid?: string;
  amount?: number;
  description?: string;
  updated_at?: string;
}

interface SyncPage {
  added: SyncedTransaction[];
  modified: SyncedTransaction[];
  removed: { guid: string }[];
  next_cursor: string;
  has_more: boolean;
}

export function registerTransactions(program: Command, terminal: Terminal): void {
  const transactions = program.command('transactions').description('a user’s transactions');

  transactions
    .command('sync')
    .description('what changed since the cursor (every page, until has_more is false); prints the cursor to keep')
    .argument('<user_id>', 'the partner’s user id')
    .option('--cursor <cursor>', 'a next_cursor from an earlier sync (absent: every transaction, as added)')
    .option('--count <n>', 'changes per page (1–500, default 100)', integerArg(1, 500))
    .action(
      action(terminal, async ({ output, api }, userId: string, options: { cursor?: string; count?: number }) => {
        const merged: SyncPage = { added: [], modified: [], removed: [], next_cursor: options.cursor ?? '', has_more: false };
        let pages = 0;
        for (let cursor = options.cursor; ; pages++) {
          const page = await api().call<SyncPage>('GET', `/users/${encodeURIComponent(userId)}/transactions/sync`, {
            query: { cursor, count: options.count },
          });
          merged.added.push(...page.added);
          merged.modified.push(...page.modified);
          merged.removed.push(...page.removed);
          merged.next_cursor = page.next_cursor;
          cursor = page.next_cursor;
          if (!page.has_more) break;
        }
        const rows = [
          ...merged.added.map((t) => ['added', t.guid, t.member_guid ?? '-', String(t.amount ?? '-'), t.updated_at ?? '-']),
          ...merged.modified.map((t) => ['modified', t.guid, t.member_guid ?? '-', String(t.amount ?? '-'), t.updated_at ?? '-']),
          ...merged.removed.map((t) => ['removed', t.guid, '-', '-', '-']),
        ];
        output.result({ ...merged, pages: pages + 1 }, () => [
          ...(rows.length === 0
            ? [`No changes for ${userId}.`]
            : table(['CHANGE', 'TRANSACTION', 'MEMBER', 'AMOUNT', 'UPDATED'], rows, output.style)),
          `${merged.added.length} added, ${merged.modified.length} modified, ${merged.removed.length} removed`,
          output.style.dim(`next time: --cursor ${merged.next_cursor}`),
        ]);
      }),
    );
}
