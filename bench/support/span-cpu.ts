import { Session } from 'node:inspector/promises';
import packageJson from '../../package.json' with { type: 'json' };
import { type CpuProfile, ownerOfPath, ownersOfNodes } from './attribution.ts';

/** Fine enough for a unit of work of a fraction of a millisecond of CPU, done thirty times. */
const SAMPLING_INTERVAL_US = 100;
const GC = 'V8: garbage collection';
/** What a function's bundle holds: the project's lib/ and functions/, and the production dependencies. */
const SHIPPED = new Set(Object.keys(packageJson.dependencies).map((name) => ownerOfPath(`node_modules/${name}/`)));
const shipped = (owner: string) => owner.startsWith('project: lib') || owner === 'project: functions' || SHIPPED.has(owner);
const micros = () => Number(process.hrtime.bigint() / 1000n);

/** Marks spans of this process's time by kind of work and reads what of its CPU the shipped code spent in each. */
export interface SpanCpu {
  /** Ends the open span; opens one of `kind` when given. */
  mark(kind?: string): void;
  /** CPU ms by kind. */
  stop(): Promise<Map<string, number>>;
}

/**
 * The functions' own CPU where engines share their process (dynalite, fauxqs, the MX simulator, the bench): V8's
 * sampling profiler over the spans, each sample counted for its owner (attribution.ts: Node's work for its nearest
 * caller with one) when that is shipped code; garbage collection in a span by the shipped code's share of it. Node's
 * own parsing of HTTP answers has no caller on the stack and is left out: a lower bound.
 */
export async function startSpanCpu(): Promise<SpanCpu> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await session.post('Profiler.start');
  const spans: { kind: string; from: number; to: number }[] = [];
  let open: { kind: string; from: number } | undefined;
  const mark = (kind?: string) => {
    const now = micros();
    if (open) spans.push({ ...open, to: now });
    open = kind === undefined ? undefined : { kind, from: now };
  };
  return {
    mark,
    async stop() {
      mark();
      const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
      session.disconnect();
      const owners = ownersOfNodes(profile);
      const byKind = new Map<string, { shipped: number; other: number; gc: number }>();
      let at = profile.startTime ?? 0;
      let span = 0;
      profile.samples.forEach((nodeId, i) => {
        at += profile.timeDeltas[i] ?? 0;
        while (span < spans.length && spans[span]!.to <= at) span += 1;
        const current = spans[span];
        if (!current || current.from > at) return;
        const owner = owners.get(nodeId) ?? 'unknown';
        if (owner === 'V8: (idle)' || owner === 'V8: (root)' || owner === 'V8: (program)') return;
        const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
        const sums = byKind.get(current.kind) ?? { shipped: 0, other: 0, gc: 0 };
        if (owner === GC) sums.gc += ms;
        else if (shipped(owner)) sums.shipped += ms;
        else sums.other += ms;
        byKind.set(current.kind, sums);
      });
      return new Map(
        [...byKind].map(([kind, { shipped, other, gc }]) => [kind, shipped + (gc * shipped) / (shipped + other || 1)]),
      );
    },
  };
}
