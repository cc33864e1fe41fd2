import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { secretsEqual } from '../../../lib/http/auth.ts';

/**
 * Does the time a comparison takes depend on how long a prefix the wrong value shares with the right one? Each round
 * times one batch of calls per candidate — the right value itself and wrong values sharing no byte, half, and all but
 * the last byte of it — in a shuffled order, so drift, other processes and GC spread over all candidates alike; the
 * medians of the per-batch times are then compared. The same measurement run on a naive early-exit compare must see
 * the leak, which shows the method can fail.
 */
const LENGTH = 4096;
const ROUNDS = 300;
const WARM_UP_ROUNDS = 30;
const BATCH = 40;

type Compare = (given: string, expected: string) => boolean;

/** Byte by byte, returning at the first difference: what a hand-written compare of secrets tends to be. */
const naiveEqual: Compare = (given, expected) => {
  if (given.length !== expected.length) return false;
  for (let i = 0; i < given.length; i++) if (given.charCodeAt(i) !== expected.charCodeAt(i)) return false;
  return true;
};

const RIGHT = randomBytes(LENGTH).toString('base64url').slice(0, LENGTH);
/** `RIGHT`'s first `shared` characters, then different ones (each position differs from `RIGHT`'s). */
const sharing = (shared: number) =>
  RIGHT.slice(0, shared) + [...RIGHT.slice(shared)].map((c) => (c === 'A' ? 'B' : 'A')).join('');

const CANDIDATES = { right: RIGHT, prefix0: sharing(0), prefixHalf: sharing(LENGTH / 2), prefixAllButLast: sharing(LENGTH - 1) };
type Candidate = keyof typeof CANDIDATES;
const NAMES = Object.keys(CANDIDATES) as Candidate[];

let sink = 0;

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Median nanoseconds per batch of `BATCH` calls, per candidate. */
function measure(compare: Compare): Record<Candidate, number> {
  const times = Object.fromEntries(NAMES.map((name) => [name, [] as number[]])) as Record<Candidate, number[]>;
  for (let round = 0; round < WARM_UP_ROUNDS + ROUNDS; round++) {
    for (const name of shuffle([...NAMES])) {
      const given = CANDIDATES[name];
      const start = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) if (compare(given, RIGHT)) sink++;
      const elapsed = Number(process.hrtime.bigint() - start);
      if (round >= WARM_UP_ROUNDS) times[name].push(elapsed);
    }
  }
  return Object.fromEntries(NAMES.map((name) => [name, median(times[name])])) as Record<Candidate, number>;
}

/** Each candidate's median over the no-shared-prefix one's. */
const ratios = (medians: Record<Candidate, number>) =>
  Object.fromEntries(NAMES.map((name) => [name, medians[name] / medians.prefix0])) as Record<Candidate, number>;

describe('comparing secrets takes the same time whatever prefix a wrong value shares', () => {
  it('the candidates are what they claim', () => {
    const sharedPrefix = (value: string) => [...value].findIndex((c, i) => c !== RIGHT[i]);
    expect(NAMES.map((name) => [name, CANDIDATES[name].length, sharedPrefix(CANDIDATES[name])])).toEqual([
      ['right', LENGTH, -1],
      ['prefix0', LENGTH, 0],
      ['prefixHalf', LENGTH, LENGTH / 2],
      ['prefixAllButLast', LENGTH, LENGTH - 1],
    ]);
    expect(NAMES.map((name) => secretsEqual(CANDIDATES[name], RIGHT))).toEqual([true, false, false, false]);
    expect(NAMES.map((name) => naiveEqual(CANDIDATES[name], RIGHT))).toEqual([true, false, false, false]);
  });

  it(`secretsEqual: per-batch medians within ±25% of each other (${LENGTH}-character secrets)`, () => {
    const medians = measure(secretsEqual);
    const found = ratios(medians);
    const report = JSON.stringify({ medians, ratios: found });
    for (const name of NAMES) {
      expect(found[name], report).toBeGreaterThan(0.8);
      expect(found[name], report).toBeLessThan(1.25);
    }
    expect(sink).toBeGreaterThan(0);
  });

  it('the same measurement sees a naive early-exit compare leak the shared prefix length', () => {
    const medians = measure(naiveEqual);
    const found = ratios(medians);
    const report = JSON.stringify({ medians, ratios: found });
    // Half the prefix costs well over the band above; all but the last byte, more again.
    expect(found.prefixHalf, report).toBeGreaterThan(2);
    expect(found.prefixAllButLast, report).toBeGreaterThan(found.prefixHalf * 1.3);
    expect(found.right, report).toBeGreaterThan(2);
  });
});
