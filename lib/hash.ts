import { createHash, hash } from 'node:crypto';

/** SHA-256 as lowercase hex: one call, no Hash object (every API key check). */
export const sha256Hex = (value: string | Buffer): string => hash('sha256', value, 'hex');

/** Fixed-length input for constant-time comparisons. */
export const sha256Bytes = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** JSON with object keys sorted at every depth. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );

/** A fixed-length identifier for a structured value. */
export const digestOf = (value: unknown): string => sha256Hex(canonicalJson(value));
