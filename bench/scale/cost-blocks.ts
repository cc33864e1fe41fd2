import { mean } from '../support/stats.ts';
import { scaleCost } from './cost.ts';
import type { Counted, JobCounters } from './meters.ts';

/** The run is cut into this many blocks of its jobs, by terminal webhook. */
const BLOCKS = 10;
const CHECK_EVERY_MS = 100;

type Shared = Pick<Counted, 'functions' | 'unattributed' | 'logs'>;
/** The run's counters and the process's CPU as a block ends. */
interface Snapshot extends Shared {
  notified: number;
  cpu: NodeJS.CpuUsage;
}

const snapshot = ({ functions, unattributed, logs }: Counted, notified: number): Snapshot => ({
  functions: new Map([...functions].map(([name, c]) => [name, { ...c, ms: [] }])),
  unattributed: new Map([...unattributed].map(([key, c]) => [key, { ...c }])),
  logs: { ...logs },
  notified,
  cpu: process.cpuUsage(),
});

const minus = <T extends object>(a: T, b: T | undefined): T =>
  Object.fromEntries(
    Object.entries(a).map(([key, value]) => [key, typeof value === 'number' ? value - Number(b?.[key as keyof T] ?? 0) : value]),
  ) as T;
const mapMinus = <K, V extends object>(a: ReadonlyMap<K, V>, b: ReadonlyMap<K, V>): Map<K, V> =>
  new Map([...a].map(([key, value]) => [key, minus(value, b.get(key))]));

/**
 * Cuts the run into blocks of a tenth of its jobs (by terminal webhook), keeping what each block's stretch of the run
 * spent — invocations, shared calls, SQS receives, log bytes, the stack's CPU — so the cost's interval resamples
 * stretches of the run (its drift, its batching) rather than the jobs' own writes, which every job makes alike.
 */
export function recordCostBlocks(counted: Counted, notified: () => number, jobsTotal: number): { stop(): Snapshot[] } {
  const snapshots = [snapshot(counted, notified())];
  const tenth = jobsTotal / BLOCKS;
  let next = tenth;
  const timer = setInterval(() => {
    const done = notified();
    if (done < next) return;
    snapshots.push(snapshot(counted, done));
    // Past several tenths in one tick: one block of them, the next ends at the tenth after `done`.
    next = (Math.floor(done / tenth) + 1) * tenth;
  }, CHECK_EVERY_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (notified() > snapshots.at(-1)!.notified) snapshots.push(snapshot(counted, notified()));
      return snapshots;
    },
  };
}

/** A block's cost per 1M aggregations, and the jobs it holds (its weight). */
export interface BlockCost {
  usd: number;
  jobs: number;
}

/** Each block's cost per 1M aggregations: its own stretch of the run, its jobs' own calls at the run's mean a job. */
export function blockCosts(snapshots: readonly Snapshot[], perJob: readonly JobCounters[]): BlockCost[] {
  const meanJob = Object.fromEntries(
    Object.keys(perJob[0] ?? {}).map((key) => [key, mean(perJob.map((job) => job[key as keyof JobCounters]))]),
  ) as unknown as JobCounters;
  return snapshots.slice(1).flatMap((end, i) => {
    const start = snapshots[i]!;
    const jobs = end.notified - start.notified;
    if (jobs <= 0 || perJob.length === 0) return [];
    const block = {
      functions: mapMinus(end.functions, start.functions),
      unattributed: mapMinus(end.unattributed, start.unattributed),
      logs: minus(end.logs, start.logs),
    };
    const cpu = { user: end.cpu.user - start.cpu.user, system: end.cpu.system - start.cpu.system };
    return [{ usd: scaleCost(block, Array<JobCounters>(jobs).fill(meanJob), cpu).total, jobs }];
  });
}
