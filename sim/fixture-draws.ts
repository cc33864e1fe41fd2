import { type GuidFactory, createGuidFactory } from './identifiers.ts';
import { type RandomSource, createSeededRandom } from './seeded-random.ts';

/** The random choices the seeded-data generators make, all from one seeded stream so a seed replays them exactly. */
export interface FixtureDraws {
  newGuid: GuidFactory;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** A money amount in [min, max], in whole cents. */
  amount(min: number, max: number): number;
  chance(probability: number): boolean;
  pick<T>(items: readonly T[]): T;
  pickWeighted<T extends { weight: number }>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  /** A base64 string of `count` random bytes. */
  base64(count: number): string;
}

/** From a seed, or from a stream the caller builds (a scripted member's, seeded from its guid). */
export function createFixtureDraws(seed: number | RandomSource): FixtureDraws {
  const random = typeof seed === 'number' ? createSeededRandom(seed) : seed;
  const int = (maxExclusive: number) => Math.floor(random() * maxExclusive);
  return {
    newGuid: createGuidFactory(random),
    int,
    amount: (min, max) => Math.round((min + random() * (max - min)) * 100) / 100,
    chance: (probability) => random() < probability,
    pick: (items) => items[int(items.length)]!,
    pickWeighted(items) {
      let remaining = random() * items.reduce((total, item) => total + item.weight, 0);
      return items.find((item) => (remaining -= item.weight) < 0) ?? items[items.length - 1]!;
    },
    shuffle(items) {
      const shuffled = [...items];
      for (let index = shuffled.length - 1; index > 0; index -= 1) {
        const other = int(index + 1);
        [shuffled[index], shuffled[other]] = [shuffled[other]!, shuffled[index]!];
      }
      return shuffled;
    },
    base64: (count) => Buffer.from(Array.from({ length: count }, () => int(256))).toString('base64'),
  };
}
