import { describe, expect, it } from 'vitest';
import { judge, verdictLines } from '../../../bench/support/report.ts';
import {
  blocksBootstrapInterval,
  bootstrapInterval,
  median,
  ratioOfMediansInterval,
  seededRandom,
  shuffled,
} from '../../../bench/support/stats.ts';

describe('ratioOfMediansInterval (the cold-start bench’s noise band)', () => {
  it('holds the ratio of medians, and narrows as the rounds agree', () => {
    const random = seededRandom(1);
    const floor = Array.from({ length: 25 }, () => 100 + 30 * random());
    const steady = floor.map((ms) => ms * 1.2);
    const noisy = floor.map((ms) => ms * (1.2 + 0.4 * (random() - 0.5)));
    const tight = ratioOfMediansInterval(steady, floor, seededRandom(2));
    const wide = ratioOfMediansInterval(noisy, floor, seededRandom(2));
    expect(tight.low).toBeCloseTo(1.2, 1);
    expect(tight.high).toBeCloseTo(1.2, 1);
    expect(wide.low).toBeLessThanOrEqual(median(noisy) / median(floor));
    expect(wide.high).toBeGreaterThanOrEqual(median(noisy) / median(floor));
    expect(wide.high - wide.low).toBeGreaterThan(tight.high - tight.low);
  });

  it('keeps each round’s pair together: a load that slows both in one round does not widen the band', () => {
    // Every round's function import is exactly 1.3× its floor's, whatever the round's load.
    const floor = [50, 120, 70, 200, 90, 60, 150, 80, 110, 65];
    const fn = floor.map((ms) => ms * 1.3);
    const band = ratioOfMediansInterval(fn, floor, seededRandom(3));
    expect(band.low).toBeCloseTo(1.3, 6);
    expect(band.high).toBeCloseTo(1.3, 6);
  });

  it('is the 95 % interval: over 25 rounds whose ratios are spread evenly, from about the 8th ratio to the 18th', () => {
    // The median of 25 rounds resampled falls below the 8th smallest or above the 18th about 2.5 % of the time each.
    const ratios = Array.from({ length: 25 }, (_, i) => 1 + i / 24);
    const band = ratioOfMediansInterval(
      ratios.map((ratio) => 100 * ratio),
      ratios.map(() => 100),
      seededRandom(2),
    );
    expect(band.low).toBeGreaterThanOrEqual(ratios[6]!);
    expect(band.low).toBeLessThanOrEqual(ratios[8]!);
    expect(band.high).toBeGreaterThanOrEqual(ratios[16]!);
    expect(band.high).toBeLessThanOrEqual(ratios[18]!);
  });

  it('is undefined for unpaired or empty samples', () => {
    expect(ratioOfMediansInterval([1, 2], [1], seededRandom(4)).low).toBeNaN();
    expect(ratioOfMediansInterval([], [], seededRandom(4)).high).toBeNaN();
  });
});

describe('bootstrapInterval', () => {
  it('holds the statistic of two samples resampled apart, and narrows as they grow', () => {
    const random = seededRandom(6);
    const sample = (n: number, shift: number) => Array.from({ length: n }, () => shift + 10 * random());
    const small = bootstrapInterval((draw) => median(draw(sample(20, 2))) - median(draw(sample(20, 0))), seededRandom(7));
    const [a, b] = [sample(2_000, 2), sample(2_000, 0)];
    const large = bootstrapInterval((draw) => median(draw(a)) - median(draw(b)), seededRandom(7));
    expect(large.low).toBeLessThan(median(a) - median(b));
    expect(large.high).toBeGreaterThan(median(a) - median(b));
    expect(large.high - large.low).toBeLessThan(small.high - small.low);
  });

  it('is a point for a sample with one value', () => {
    expect(bootstrapInterval((draw) => median(draw([4, 4, 4])), seededRandom(8))).toEqual({ low: 4, high: 4 });
  });
});

describe('blocksBootstrapInterval', () => {
  const blocksOf = (levels: number[], random: () => number) =>
    levels.map((level) => Array.from({ length: 40 }, () => level + random()));

  it('widens with drift between blocks that resampling the values alone misses', () => {
    const random = seededRandom(9);
    // Nine blocks where both sides agree, one where the relay's side ran 3 slower.
    const direct = blocksOf(Array(10).fill(10), random);
    const relay = blocksOf([...Array(9).fill(10), 13], random);
    const pooled = bootstrapInterval((draw) => median(draw(relay.flat())) - median(draw(direct.flat())), seededRandom(10), 300);
    const blocked = blocksBootstrapInterval((draw) => median(draw(relay)) - median(draw(direct)), seededRandom(10), 300);
    expect(blocked.high - blocked.low).toBeGreaterThan(2 * (pooled.high - pooled.low));
  });

  it('draws the same blocks for every sample: a load that moves both sides of a block alike does not widen it', () => {
    const levels = [10, 40, 15, 90, 20, 60, 12, 30];
    const direct = levels.map((level) => [level, level, level]);
    const relay = levels.map((level) => [level + 1, level + 1, level + 1]);
    expect(blocksBootstrapInterval((draw) => median(draw(relay)) - median(draw(direct)), seededRandom(11))).toEqual({
      low: 1,
      high: 1,
    });
  });
});

describe('judge', () => {
  it('is met or missed only with the whole interval on one side of the target, else undecided', () => {
    expect(judge(0.4, { low: 0.3, high: 0.45 }, 0.5, 'at most')).toEqual({ met: true });
    expect(judge(0.6, { low: 0.55, high: 0.7 }, 0.5, 'at most')).toEqual({ met: false });
    expect(judge(0.47, { low: 0.41, high: 0.55 }, 0.5, 'at most')).toEqual({ met: true, undecided: true });
    expect(judge(0.53, { low: 0.41, high: 0.55 }, 0.5, 'at most')).toEqual({ met: false, undecided: true });
    expect(judge(2.1, { low: 1.9, high: 2.3 }, 2, 'at least')).toEqual({ met: true, undecided: true });
    expect(judge(2.5, { low: 2.3, high: 2.7 }, 2, 'at least')).toEqual({ met: true });
  });

  it('a figure without an interval (none measured, or a point) is judged on the figure', () => {
    expect(judge(0.5, { low: 0.5, high: 0.5 }, 0.5, 'at most')).toEqual({ met: true });
    expect(judge(Number.NaN, { low: Number.NaN, high: Number.NaN }, 0.5, 'at most')).toEqual({ met: false });
  });
});

describe('verdictLines', () => {
  it('lists an undecided target apart from the missed ones, whichever side its figure is on', () => {
    const row = (target: string, met: boolean, undecided?: boolean) => ({ target, measured: 'x', met, undecided });
    expect(verdictLines([row('a', true), row('b', false), row('c', false, true), row('d', true, true)])).toEqual([
      '**Missed:** b (x).',
      '',
      '**Undecided (the target within the interval):** c (x); d (x).',
      '',
    ]);
    expect(verdictLines([row('a', true)])).toEqual(['**All targets met.**']);
  });
});

describe('shuffled', () => {
  it('puts each value first about equally often (the sort by a random key it replaces does not)', () => {
    const random = seededRandom(5);
    const firsts = new Map<number, number>();
    for (let draw = 0; draw < 20_000; draw++) {
      const first = shuffled([0, 1, 2, 3, 4], random)[0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    for (let value = 0; value < 5; value++) expect(Math.abs(firsts.get(value)! - 4_000)).toBeLessThan(300);
  });
});
