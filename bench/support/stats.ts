/** Small statistics helpers shared by the benchmarks. */

export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);
export const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);
export const mean = (values: readonly number[]): number => (values.length === 0 ? Number.NaN : sum(values) / values.length);
export const min = (values: readonly number[]): number => values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);
export const max = (values: readonly number[]): number => values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);

/** A seeded PRNG (the simulator's mulberry32): every benchmark draws its schedule from one, so reruns replay the same workload. */
export { createSeededRandom as seededRandom } from '../../sim/seeded-random.ts';

/**
 * The 95 % interval of `median(a) / median(b)` for paired samples (`a[i]` and `b[i]` measured in the same round, so a
 * round's load weighs on both): the percentile bootstrap, resampling whole rounds with replacement.
 */
export function ratioOfMediansInterval(
  a: readonly number[],
  b: readonly number[],
  random: () => number,
  resamples = 2_000,
): { low: number; high: number } {
  if (a.length !== b.length || a.length === 0) return { low: Number.NaN, high: Number.NaN };
  const ratios: number[] = [];
  const pickedA = new Array<number>(a.length);
  const pickedB = new Array<number>(b.length);
  for (let resample = 0; resample < resamples; resample++) {
    for (let i = 0; i < a.length; i++) {
      const round = Math.floor(random() * a.length);
      pickedA[i] = a[round]!;
      pickedB[i] = b[round]!;
    }
    ratios.push(median(pickedA) / median(pickedB));
  }
  return { low: quantile(ratios, 0.025), high: quantile(ratios, 0.975) };
}

/**
 * The 95 % interval of any statistic by the percentile bootstrap: `statistic` is computed `resamples` times, each time
 * with `draw` handing it a resample (with replacement, the same size) of whatever sample it asks for.
 *
 * @example
 * bootstrapInterval((draw) => median(draw(relay)) - median(draw(direct)), seededRandom(1))
 */
export function bootstrapInterval(
  statistic: (draw: <T>(sample: readonly T[]) => T[]) => number,
  random: () => number,
  resamples = 1_000,
): { low: number; high: number } {
  const draw = <T>(sample: readonly T[]): T[] => Array.from(sample, () => sample[Math.floor(random() * sample.length)]!);
  const values = Array.from({ length: resamples }, () => statistic(draw)).filter(Number.isFinite);
  return { low: quantile(values, 0.025), high: quantile(values, 0.975) };
}

/**
 * The 95 % interval of a statistic over samples taken in paired blocks (block `i` of each sample measured side by side,
 * in time order): each resample draws whole blocks with replacement, the same ones for every sample it asks for, then
 * resamples each drawn block's values. Drift between a run's blocks widens the interval, as resampling the values
 * alone would not.
 *
 * @example
 * blocksBootstrapInterval((draw) => median(draw(relayBlocks)) - median(draw(directBlocks)), seededRandom(1))
 */
export function blocksBootstrapInterval(
  statistic: (draw: (blocks: readonly (readonly number[])[]) => number[]) => number,
  random: () => number,
  resamples = 1_000,
): { low: number; high: number } {
  const values = Array.from({ length: resamples }, () => {
    let chosen: number[] | undefined;
    return statistic((blocks) => {
      chosen ??= blocks.map(() => Math.floor(random() * blocks.length));
      if (blocks.length !== chosen.length) throw new Error('paired samples need as many blocks each');
      return chosen.flatMap((b) => {
        const block = blocks[b] ?? [];
        return Array.from(block, () => block[Math.floor(random() * block.length)]!);
      });
    });
  }).filter(Number.isFinite);
  return { low: quantile(values, 0.025), high: quantile(values, 0.975) };
}

/** A copy of `values` in a uniformly random order (Fisher–Yates), drawn from `random`. */
export function shuffled<T>(values: readonly T[], random: () => number): T[] {
  const out = [...values];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A standard normal draw (Box–Muller) from a uniform source. */
export function normal(random: () => number): number {
  const u = Math.max(random(), Number.MIN_VALUE);
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** The standard normal quantile function (Acklam's rational approximation; |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

export const fmt = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';

export const kib = (bytes: number): string => `${fmt(bytes / 1024, 1)} KiB`;

export const pct = (ratio: number, digits = 0): string => `${fmt(ratio * 100, digits)} %`;

export const verdict = (met: boolean): string => (met ? '**met**' : '**missed**');
