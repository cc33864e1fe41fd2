/** A control-API body that does not fit the contract; the message names the offending field. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function requireJsonObject(value: unknown, field: string): JsonObject {
  if (!isJsonObject(value)) throw new InvalidInputError(`${field} must be a JSON object`);
  return value;
}

export function optionalNumberInRange(
  value: unknown,
  field: string,
  { min, max, integer = false }: { min: number; max: number; integer?: boolean },
): number | undefined {
  if (value === undefined) return undefined;
  const valid = typeof value === 'number' && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!valid) throw new InvalidInputError(`${field} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  return value;
}

export function optionalNonEmptyString(value: unknown, field: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInputError(`${field} must be a non-empty string`);
  return value;
}
