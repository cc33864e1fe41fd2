import { describe, expect, it } from 'vitest';
import { median, ratioOfMediansInterval, seededRandom } from '../../../bench/support/stats.ts';

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

  it('is undefined for unpaired or empty samples', () => {
    expect(ratioOfMediansInterval([1, 2], [1], seededRandom(4)).low).toBeNaN();
    expect(ratioOfMediansInterval([], [], seededRandom(4)).high).toBeNaN();
  });
});
