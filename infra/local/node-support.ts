/**
 * When each Node major the project may run on reaches its end of life (nodejs.org/en/about/previous-releases):
 * after it, Node ships no security fixes for it. Node 24 is the active LTS.
 */
const END_OF_LIFE: Readonly<Record<number, string>> = { 20: '2026-04-30', 22: '2027-04-30', 24: '2028-04-30' };

/**
 * The one line `npm start` prints when `version` (as `process.version` gives it) is past its end of life on `today`,
 * or undefined while it is supported.
 */
export function endOfLifeNotice(version: string, today: Date): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const endsOn = END_OF_LIFE[major];
  if (endsOn === undefined || today.toISOString().slice(0, 10) <= endsOn) return undefined;
  return `Node ${version.replace(/^v/, '')} reached its end of life on ${endsOn} (no more security fixes): use Node 24, the active LTS`;
}
