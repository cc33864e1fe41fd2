import { parseDay } from './calendar.ts';
import { parseJsonBody } from './http.ts';
import { type JsonObject, isJsonObject } from './input-validation.ts';
import { MxError } from './mx-errors.ts';

// Request bodies of the PFM writes: `{"<root>":{…}}` as MX's pages show them; anything else is MX's 400 naming the field.

/** The object under `root`, or 400. */
export function rootObject(body: Buffer, root: string): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseJsonBody(body);
  } catch {
    throw new MxError(400, 'The request body must be JSON.');
  }
  const inner = isJsonObject(parsed) ? parsed[root] : undefined;
  if (!isJsonObject(inner)) throw new MxError(400, `${root} must be an object.`);
  return inner;
}

/** The whole body as JSON (for bodies rooted in an array), or 400. */
export function jsonBody(body: Buffer): JsonObject {
  let parsed: unknown;
  try {
    parsed = parseJsonBody(body);
  } catch {
    throw new MxError(400, 'The request body must be JSON.');
  }
  if (!isJsonObject(parsed)) throw new MxError(400, 'The request body must be a JSON object.');
  return parsed;
}

export function requiredString(object: JsonObject, root: string, field: string): string {
  const value = object[field];
  if (typeof value !== 'string' || value.trim() === '')
    throw new MxError(400, `${root}.${field} is required and must be a non-empty string.`);
  return value;
}

export function optionalString(object: JsonObject, root: string, field: string): string | undefined {
  const value = object[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new MxError(400, `${root}.${field} must be a non-empty string.`);
  return value;
}

/** `metadata`: a string, or null to clear it. */
export function optionalMetadata(object: JsonObject, root: string): string | null | undefined {
  const value = object.metadata;
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw new MxError(400, `${root}.metadata must be a string.`);
  return value;
}

export function optionalBoolean(object: JsonObject, root: string, field: string): boolean | undefined {
  const value = object[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw new MxError(400, `${root}.${field} must be true or false.`);
  return value;
}

/** A money amount: a finite number (numeric strings, as MX's examples sometimes send, are taken too). */
export function optionalAmount(object: JsonObject, root: string, field: string, { min = 0 } = {}): number | undefined {
  const raw = object[field];
  if (raw === undefined) return undefined;
  const value = typeof raw === 'string' && /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new MxError(400, `${root}.${field} must be a number of at least ${min}.`);
  }
  return Math.round(value * 100) / 100;
}

export function requiredAmount(object: JsonObject, root: string, field: string, options?: { min?: number }): number {
  const value = optionalAmount(object, root, field, options);
  if (value === undefined) throw new MxError(400, `${root}.${field} is required.`);
  return value;
}

export function requiredDay(object: JsonObject, root: string, field: string): string {
  const value = object[field];
  const day = typeof value === 'string' ? parseDay(value) : null;
  if (day === null) throw new MxError(400, `${root}.${field} is required and must be a date written YYYY-MM-DD.`);
  return day;
}

/** At least one of `fields` must be given (an update that changes nothing is refused). */
export function requireSome(object: JsonObject, root: string, fields: readonly string[]): void {
  if (!fields.some((field) => object[field] !== undefined)) {
    throw new MxError(400, `${root} must set at least one of ${fields.join(', ')}.`);
  }
}
