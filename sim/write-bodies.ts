import { parseDay } from './calendar.ts';
import { parseJsonBody } from './http.ts';
import { type JsonObject, isJsonObject } from './input-validation.ts';
import { MxError } from './mx-errors.ts';

/**
 * Reading the bodies of Nexus writes as MX's 400s do: each refusal names the field. Fields a body does not carry are
 * undefined; unknown fields are left alone, as MX ignores what it does not take.
 */

/** The body as a JSON object; an empty body is `{}` (MX's curl examples send `{}`). */
export function jsonObjectBody(body: Buffer): JsonObject {
  let input: unknown;
  try {
    input = parseJsonBody(body);
  } catch {
    throw new MxError(400, 'The body must be JSON.');
  }
  if (input === undefined) return {};
  if (!isJsonObject(input)) throw new MxError(400, 'The body must be a JSON object.');
  return input;
}

/** `{"<root>": {…}}`, as MX roots most bodies. */
export function rootedBody(body: Buffer, root: string): JsonObject {
  const input = jsonObjectBody(body);
  if (!isJsonObject(input[root])) throw new MxError(400, `${root} is required: the body must be {"${root}": {…}}.`);
  return input[root];
}

export function optionalString(
  input: JsonObject,
  field: string,
  { max = 255, nullable = false } = {},
): string | null | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'string' || value.trim() === '' || value.length > max) {
    throw new MxError(400, `${field} must be a non-empty string of at most ${max} characters${nullable ? ', or null' : ''}.`);
  }
  return value;
}

export function requiredString(input: JsonObject, field: string, max = 255): string {
  const value = optionalString(input, field, { max });
  if (value === undefined || value === null) throw new MxError(400, `${field} is required.`);
  return value;
}

export function optionalBoolean(input: JsonObject, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new MxError(400, `${field} must be true or false.`);
  return value;
}

export function optionalAmount(
  input: JsonObject,
  field: string,
  { min = -1e12, nullable = false } = {},
): number | null | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  if (value === null && nullable) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > 1e12) {
    throw new MxError(400, `${field} must be a number${min === 0 ? ' of at least 0' : ''}.`);
  }
  return Math.round(value * 100) / 100;
}

export function requiredAmount(input: JsonObject, field: string, min?: number): number {
  const value = optionalAmount(input, field, min === undefined ? {} : { min });
  if (value === undefined || value === null) throw new MxError(400, `${field} is required.`);
  return value;
}

/** An integer among `allowed`; MX's examples send codes as numbers, some as strings (`"0"`): both are taken. */
export function optionalCode<T extends number>(input: JsonObject, field: string, allowed: readonly T[]): T | undefined {
  const raw = input[field];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (!allowed.includes(value as T)) throw new MxError(400, `${field} must be one of ${allowed.join(', ')}.`);
  return value as T;
}

export function optionalDay(input: JsonObject, field: string): string | undefined {
  const value = input[field];
  if (value === undefined) return undefined;
  // MX writes these days as midnight timestamps too (`2018-12-13T00:00:00.000Z`): the day is what counts.
  const day = typeof value === 'string' ? parseDay(value.slice(0, 10)) : null;
  if (day === null) throw new MxError(400, `${field} must be a date written YYYY-MM-DD.`);
  return day;
}
