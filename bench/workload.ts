import { seededRandom } from './support/stats.ts';

/**
 * The day the capacity and cost benchmarks are sized for (issue 77): what apps and MX make the relay do at a million
 * users. Each figure is at least the floor and names its source; a figure is raised where a public source says
 * more, never lowered without one. The benchmark measures what each unit of this work costs and multiplies.
 */
export interface Workload {
  users: number;
  membersPerUser: number;
  /** Members in a status needing their user at any time: MX does not aggregate them, the reconcile reads them. */
  needingUserShare: number;
  transactionsPerMemberMonth: number;
  /** Transactions first pending, then posted: MX deletes the pending one and creates the posted one. */
  pendingShare: number;
  /** MX aggregates every member it may once a night, in one wave of this many hours; the users' sessions long expired. */
  waveHours: number;
  /** Users whose apps sync transactions, and their syncs a day. */
  syncingShare: number;
  syncsPerDay: number;
  /** Reads of Nexus an app makes for a user a day (accounts, budgets, …), over its opens a day. */
  readsPerUserDay: number;
  appOpensPerDay: number;
  /** Refreshes apps ask for, per user a day, and the busiest hour against the average one. */
  refreshesPerUserDay: number;
  peakFactor: number;
  /** MX's TRANSACTIONS and other webhooks on (one a transaction), or off: the reconcile finds the wave. */
  webhooks: 'on' | 'off';
  mxLatencyMs: { p50: number; p99: number };
  /** The month the storage is counted for: transactions of every month so far (a syncing user's stay). */
  month: number;
}

export const WORKLOAD: Workload = {
  users: 1_000_000,
  membersPerUser: 3,
  needingUserShare: 0.1,
  transactionsPerMemberMonth: 60,
  pendingShare: 1 / 3,
  waveHours: 6,
  syncingShare: 0.5,
  syncsPerDay: 4,
  readsPerUserDay: 5,
  appOpensPerDay: 4,
  refreshesPerUserDay: 1,
  peakFactor: 10,
  webhooks: 'on',
  mxLatencyMs: { p50: 300, p99: 2_000 },
  month: 12,
};

/** MX's slow day: every call at this median. */
export const SLOW_DAY_MX_P50_MS = 1_000;

/** Where each figure comes from: the floor, and a public source where one says as much or more. */
export const SOURCES: Record<keyof Workload, string> = {
  users: 'the target (issue 77)',
  membersPerUser:
    'issue 77. Consumers hold 4 financial relationships on average ([Datos Insights](https://datos-insights.com/reports/understanding-u-s-banking-preferences-for-strategic-growth-a-financial-behavior-series-report)), "at least 5 to 7 financial accounts with different providers" ([MX](https://mx.com/blog/is-financial-primacy-possible)): held, not linked in one app; the × 2 row covers them',
  needingUserShare:
    'issue 77 (issue 55 took 3 %). Public figures are lower: "1-5% of connections needing re-authentication monthly" ([nextbuild](https://nextbuild.co/blog/open-banking-apis-integration-complexity))',
  transactionsPerMemberMonth:
    'issue 77. Consumers make 48 payments a month ([Atlanta Fed, 2024 diary](https://www.atlantafed.org/research-and-data/surveys/survey-and-diary-of-consumer-payment-choice)), 68 in 2020 by the older method: 16–23 a member at 3 members',
  pendingShare:
    'issue 77; no published share found. Cards are 62 % of payments ([Atlanta Fed, 2023](https://www.atlantafed.org/research-and-data/surveys/survey-and-diary-of-consumer-payment-choice/2023-survey-and-diary)) and most show pending first: the measured night posts 1 for 2 new (a half), the × 2 row two thirds',
  waveHours:
    '"MX automatically aggregates each member approximately every 24 hours" ([MX, background aggregation](https://docs.mx.com/api-reference/platform-api/overview/background-foreground)); one wave, its hours assumed',
  syncingShare:
    "issue 77. Fintech apps' daily actives are 22 % of monthly ([CleverTap](https://clevertap.com/blog/fintech-best-practices-improve-dau-mau)): lower",
  syncsPerDay: 'issue 77',
  readsPerUserDay: 'issue 77',
  appOpensPerDay: "assumed: as many as the syncs; each open finds the session lapsed (MX's lasts 30 minutes after its last call)",
  refreshesPerUserDay: 'assumed (issue 55: 1M refreshes a day)',
  peakFactor: 'assumed (issue 55: the peak hour 10× the average)',
  webhooks:
    'issue 77: every type on, and off. "Transaction webhooks notify you when a transaction is created, updated, or deleted" ([MX](https://docs.mx.com/resources/webhooks/transactions)): one a change, as the simulator pushes them',
  mxLatencyMs:
    'issue 77. "200-600ms typically, but can reach 2-5 seconds for slow institutions" ([nextbuild](https://nextbuild.co/blog/open-banking-apis-integration-complexity))',
  month: 'issue 77: the twelfth month of operation',
};

/** The workload as BENCHMARKS.md opens with it: each figure, its source, and the day it makes. */
export function workloadMarkdown(w: Workload = WORKLOAD): string {
  const day = dailyVolumes(w);
  const n = (x: number) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x.toLocaleString('en', { maximumFractionDigits: 2 }));
  const value = (key: keyof Workload) => {
    const v = w[key];
    if (key === 'mxLatencyMs')
      return `p50 ${w.mxLatencyMs.p50} ms, p99 ${w.mxLatencyMs.p99} ms; slow day p50 ${SLOW_DAY_MX_P50_MS} ms`;
    return typeof v === 'number' ? (key.endsWith('Share') ? `${(v * 100).toFixed(0)} %` : n(v)) : String(v);
  };
  return [
    '## The workload',
    '',
    "What the capacity and cost figures (section 8) are sized for: `bench/workload.ts`, at least as heavy as issue 77 asks, each figure raised where a public source says more. Section 8 shows the month's cost and the ceiling at half and double each.",
    '',
    '| figure | value | source |',
    '| :-- | :-- | :-- |',
    ...(Object.keys(SOURCES) as (keyof Workload)[]).map((key) => `| ${key} | ${value(key)} | ${SOURCES[key]} |`),
    '',
    `**The day it makes:** ${n(day.aggregated)} members aggregated by MX in the nightly wave (each with its webhooks); ${n(day.refreshes)} refreshes; ${n(day.syncs)} syncs; ${n(day.reads + day.readsOpeningSession)} reads (${n(day.readsOpeningSession)} of them opening a session); ${n(day.transactions)} new transactions, ${n(day.posted)} of them posted after pending.`,
  ].join('\n');
}

/** What the workload makes happen in a day, in units of work the benchmark measures. */
export interface DailyVolumes {
  /** Members MX aggregates in the nightly wave (those not needing their user). */
  aggregated: number;
  refreshes: number;
  /** Apps' syncs, and their reads of Nexus with a session already open, and those that open one. */
  syncs: number;
  reads: number;
  readsOpeningSession: number;
  /** New transactions a day, and the posted ones replacing pending ones. */
  transactions: number;
  posted: number;
}

export function dailyVolumes(w: Workload): DailyVolumes {
  const members = w.users * w.membersPerUser;
  const syncing = w.users * w.syncingShare;
  // A syncing user's opens each begin with a sync, which opens the session; other users' first read of an open does.
  const readsOpeningSession = Math.min(w.readsPerUserDay, w.appOpensPerDay) * (w.users - syncing);
  const transactions = (members * w.transactionsPerMemberMonth) / DAYS_PER_MONTH;
  return {
    aggregated: members * (1 - w.needingUserShare),
    refreshes: w.users * w.refreshesPerUserDay,
    syncs: syncing * w.syncsPerDay,
    reads: w.users * w.readsPerUserDay - readsOpeningSession,
    readsOpeningSession,
    transactions,
    posted: transactions * w.pendingShare,
  };
}

/** A night's held reads per user, by hour from the wave's start: at the night's last report, or at a turn. */
export interface HeldReads {
  perUser: number;
  /** Read as the user's last report comes (on member-reports). */
  night: number[];
  /** Read at a reconcile turn, the first held three quarters of an interval before (on reconcile). */
  turn: number[];
  /** Of all, each hour's share. */
  hourShares: number[];
}

const sampledHeldReads = new Map<string, HeldReads>();

/**
 * With MX_BACKGROUND_AT_TURN, the reads a user's nightly reports take: its members are each aggregated
 * (1 − needingUserShare) at an even time of the wave, those needing their user never (the relay knows them so); its
 * turns come every `intervalHours` from a phase of its own. The report that brings every member to come is read at once
 * with the ones held before it; a turn reads what is held once the first has waited three quarters of an interval
 * (`readsHeld`). Sampled (a fixed seed: the same figures every run); a fractional member count is that share of users
 * with one member more.
 *
 * @example heldReads(WORKLOAD, 6).perUser // ≈ 1.0 at 3 members, 90 % aggregated, a 6-h wave and 6-h turns
 */
export function heldReads(w: Workload, intervalHours: number, samples = 50_000): HeldReads {
  // The capacity model asks again for each user count it tries: the same inputs, the same figures.
  const key = [w.membersPerUser, w.needingUserShare, w.waveHours, intervalHours, samples].join();
  const known = sampledHeldReads.get(key);
  if (known) return known;
  const p = 1 - w.needingUserShare;
  const random = seededRandom(1);
  const slots = Math.ceil(w.membersPerUser);
  const hours = Math.ceil(w.waveHours + 2 * intervalHours);
  const night = new Array<number>(hours).fill(0);
  const turn = new Array<number>(hours).fill(0);
  for (let i = 0; i < samples; i++) {
    const last = w.membersPerUser - (slots - 1);
    const times: number[] = [];
    for (let slot = 0; slot < slots; slot++) {
      const present = slot < slots - 1 || random() < last;
      if (present && random() < p) times.push(random() * w.waveHours);
    }
    if (times.length === 0) continue;
    times.sort((a, b) => a - b);
    let first: number | undefined;
    let at = random() * intervalHours;
    for (const time of times) {
      // Turns before this report: one reads what is held if the first has waited long enough.
      for (; at < time; at += intervalHours) {
        if (first !== undefined && at - first >= 0.75 * intervalHours) {
          turn[Math.floor(at)]! += 1 / samples;
          first = undefined;
        }
      }
      first ??= time;
    }
    night[Math.floor(times[times.length - 1]!)]! += 1 / samples;
  }
  const perUser = [...night, ...turn].reduce((a, b) => a + b, 0);
  const figures = { perUser, night, turn, hourShares: night.map((n, h) => (n + turn[h]!) / perUser) };
  sampledHeldReads.set(key, figures);
  return figures;
}

export const DAYS_PER_MONTH = 30.4;

/** The workload with one figure halved and doubled: the rows of the sensitivity table. */
export const SENSITIVE: readonly (keyof Workload)[] = [
  'users',
  'membersPerUser',
  'needingUserShare',
  'transactionsPerMemberMonth',
  'syncingShare',
  'syncsPerDay',
  'readsPerUserDay',
  'refreshesPerUserDay',
];

export function scaled(w: Workload, field: keyof Workload, factor: number): Workload {
  const value = w[field] as number;
  const raised = value * factor;
  // A share stays a share.
  return { ...w, [field]: field.endsWith('Share') ? Math.min(1, raised) : raised };
}
