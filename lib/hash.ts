import { createHash, hash } from 'node:crypto';

/** The SHA-256 digest of `value` (UTF-8 for text), as lowercase hex: one call, no Hash object (every API key check). */
export const sha256Hex = (value: string | Buffer): string => hash('sha256', value, 'hex');

/** The SHA-256 digest of `value` as bytes: fixed-length input for constant-time comparisons. */
export const sha256Bytes = (value: string | Buffer): Buffer => createHash('sha256').update(value).digest();

/** JSON with object keys sorted at every depth: equal values give equal text whatever their key order. */
export const canonicalJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : 1)))
      : inner,
  );

/** A fixed-length identifier for a structured value (key parts, a request's fingerprint): SHA-256 of its canonical JSON. */
export const digestOf = (value: unknown): string => sha256Hex(canonicalJson(value));
