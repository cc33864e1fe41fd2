import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  deflateTransaction,
  inflateTransaction,
  TRANSACTION_DICTIONARY,
} from '../../../lib/transactions/transaction-dictionary.ts';

const mxTransaction = JSON.parse(
  readFileSync(new URL('../../contract/mx/fixtures/read-transaction.json', import.meta.url), 'utf8'),
).response.body.transaction as Record<string, unknown>;

describe('the transactions dictionary', () => {
  it('never changes: bodies stored with it need its exact bytes', () => {
    expect(createHash('sha256').update(TRANSACTION_DICTIONARY).digest('hex')).toBe(
      'c019e28a1442bc6fd302d25b439262005e643b08ebbbfe427b65043970b4d9d2',
    );
  });

  it("gives back any body as it came, however many of zlib's chunks it takes", () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (body) => inflateTransaction(deflateTransaction(body)) === body));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 5_000, maxLength: 40_000 }), (bytes) => {
        const body = Buffer.from(bytes).toString('base64');
        return inflateTransaction(deflateTransaction(body)) === body;
      }),
      { numRuns: 20 },
    );
  });

  it("allocates a few KiB a call, not zlib's 16 KiB chunk (an ingest holds hundreds)", () => {
    const body = JSON.stringify(mxTransaction);
    const allocated = (work: () => unknown) => {
      const before = process.memoryUsage().arrayBuffers;
      const kept = work();
      return { bytes: process.memoryUsage().arrayBuffers - before, kept };
    };
    const deflated = allocated(() => Array.from({ length: 1_000 }, () => deflateTransaction(body)));
    expect(deflated.bytes).toBeLessThan(4 * 2 ** 20);
    const bodies = deflated.kept as Buffer[];
    expect(allocated(() => bodies.map(inflateTransaction)).bytes).toBeLessThan(8 * 2 ** 20);
  });

  it("deflates MX's transaction to under half of what deflate makes of it alone", () => {
    const body = JSON.stringify({ ...mxTransaction, guid: 'TRN-0d1c5f3e-5b8e-4a43-9d37-5f0f4c1b2a77', amount: 12.5 });
    expect(deflateTransaction(body).byteLength).toBeLessThan(deflateRawSync(body).byteLength / 2);
  });
});
