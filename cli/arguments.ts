import { InvalidArgumentError } from 'commander';

/** commander argument parsers: a bad value is a usage error naming the option. */

export function integerArg(min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(number) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    }
    return number;
  };
}

export function numberArg(min: number, max: number) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === '' || !Number.isFinite(number) || number < min || number > max) {
      throw new InvalidArgumentError(`must be a number from ${min} to ${max}.`);
    }
    return number;
  };
}

/** `a,b , c` → `['a','b','c']` (empty entries dropped). */
export function listArg(value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new InvalidArgumentError('must list at least one value (comma-separated).');
  return items;
}

/** An ISO 8601 instant (`2026-06-30T12:00:00Z`), passed on as given after checking it parses. */
export function instantArg(value: string): string {
  if (value.trim().toLowerCase() === 'now') return new Date().toISOString();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('must be `now` or an ISO 8601 date-time with a time zone, e.g. 2026-06-30T12:00:00Z.');
  }
  return value;
}

/** `true|false|yes|no|1|0`. */
export function booleanArg(value: string): boolean {
  const normalised = value.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(normalised)) return true;
  if (['false', 'no', '0'].includes(normalised)) return false;
  throw new InvalidArgumentError('must be true or false.');
}

/** One `GUID=VALUE` pair (an MFA answer, a credential), collected over repeats of its option. */
export function collectGuidValue(value: string, previous: { guid: string; value: string }[]): { guid: string; value: string }[] {
  const separator = value.indexOf('=');
  if (separator <= 0 || separator === value.length - 1) throw new InvalidArgumentError('must be GUID=VALUE, e.g. CRD-1=123456.');
  return [...previous, { guid: value.slice(0, separator), value: value.slice(separator + 1) }];
}
