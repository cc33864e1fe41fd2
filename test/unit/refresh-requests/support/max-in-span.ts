/** The most of `times` (ms) inside any half-open span of `spanMs`: what "calls per second" means for a rate cap. */
export function maxInAnySpan(times: number[], spanMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let first = 0, last = 0; last < sorted.length; last += 1) {
    while (sorted[last]! - sorted[first]! >= spanMs) first += 1;
    max = Math.max(max, last - first + 1);
  }
  return max;
}
