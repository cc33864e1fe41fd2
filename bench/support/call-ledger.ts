import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fmt } from './stats.ts';
import { table } from './report.ts';

/**
 * Every DynamoDB and SQS call of a load run, by the function that made it and the operation behind it (the labelled
 * repository or queue method, see operation-labels.ts): the per-job call table. A run can be kept as the baseline
 * the next runs are compared with (`BENCH_SCALE_BASELINE=write`), so a change's table shows before and after.
 */
export interface LedgerRow {
  fn: string;
  operation: string;
  command: string;
  calls: number;
  failedConditions: number;
  /** Write units in all, and of them those of the indexes. */
  wru: number;
  indexWru: number;
  rru: number;
}

export interface LedgerBaseline {
  commit: string;
  measuredAt: string;
  jobs: number;
  costPerMillion: number;
  rows: LedgerRow[];
}

export class CallLedger {
  readonly #rows = new Map<string, LedgerRow>();

  record(call: Omit<LedgerRow, 'calls' | 'failedConditions'> & { failedCondition?: boolean }): void {
    const key = `${call.fn}\t${call.operation}\t${call.command}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = {
        fn: call.fn,
        operation: call.operation,
        command: call.command,
        calls: 0,
        failedConditions: 0,
        wru: 0,
        indexWru: 0,
        rru: 0,
      };
      this.#rows.set(key, row);
    }
    row.calls++;
    if (call.failedCondition) row.failedConditions++;
    row.wru += call.wru;
    row.indexWru += call.indexWru;
    row.rru += call.rru;
  }

  get rows(): LedgerRow[] {
    return [...this.#rows.values()];
  }
}

/** The per-job table of `rows` (calls, write and read units per job), beside a baseline's when one is given. */
export function perJobCallTable(rows: LedgerRow[], jobs: number, baseline?: LedgerBaseline): string {
  const key = (row: Pick<LedgerRow, 'fn' | 'operation' | 'command'>) => `${row.fn}\t${row.operation}\t${row.command}`;
  const now = new Map(rows.map((row) => [key(row), row]));
  const before = new Map((baseline?.rows ?? []).map((row) => [key(row), row]));
  const keys = [...new Set([...now.keys(), ...before.keys()])];
  const weight = (row: LedgerRow | undefined, perJobs: number) => (row ? (row.wru + row.rru / 5) / perJobs : 0);
  keys.sort((a, b) => {
    const [fnA] = a.split('\t');
    const [fnB] = b.split('\t');
    if (fnA !== fnB) return fnA! < fnB! ? -1 : 1;
    return (
      weight(now.get(b), jobs) +
      weight(before.get(b), baseline?.jobs ?? 1) -
      weight(now.get(a), jobs) -
      weight(before.get(a), baseline?.jobs ?? 1)
    );
  });
  const cells = (row: LedgerRow | undefined, perJobs: number) =>
    row
      ? [
          fmt(row.calls / perJobs, 2),
          row.indexWru > 0 ? `${fmt(row.wru / perJobs, 2)} (${fmt(row.indexWru / perJobs, 2)})` : fmt(row.wru / perJobs, 2),
          fmt(row.rru / perJobs, 2),
        ]
      : ['–', '–', '–'];
  const total = (list: LedgerRow[], perJobs: number, pick: (row: LedgerRow) => number) =>
    fmt(list.reduce((sum, row) => sum + pick(row), 0) / perJobs, 2);
  const totals = (list: LedgerRow[], perJobs: number) => [
    `**${total(list, perJobs, (row) => row.calls)}**`,
    `**${total(list, perJobs, (row) => row.wru)} (${total(list, perJobs, (row) => row.indexWru)})**`,
    `**${total(list, perJobs, (row) => row.rru)}**`,
  ];
  const header = ['function', 'operation', 'call', 'calls / job', 'WRU / job (of which indexes)', 'RRU / job'];
  const body = keys.map((k) => {
    const row = now.get(k) ?? before.get(k)!;
    return [
      `\`${row.fn}\``,
      `\`${row.operation}\``,
      row.command.replace('Command', ''),
      ...(baseline ? cells(before.get(k), baseline.jobs) : []),
      ...cells(now.get(k), jobs),
    ];
  });
  if (!baseline) return table(header, [...body, ['**all**', '', '', ...totals(rows, jobs)]]);
  return table(
    [
      'function',
      'operation',
      'call',
      'before: calls',
      'before: WRU (indexes)',
      'before: RRU',
      'now: calls',
      'now: WRU (indexes)',
      'now: RRU',
    ],
    [...body, ['**all** (per job)', '', '', ...totals(baseline.rows, baseline.jobs), ...totals(rows, jobs)]],
  );
}

export function readBaseline(path: string): LedgerBaseline | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LedgerBaseline) : undefined;
}

export function writeBaseline(path: string, baseline: LedgerBaseline): void {
  writeFileSync(path, `${JSON.stringify(baseline, null, 2)}\n`);
}
