import { describe, expect, it } from 'vitest';
import { ROTATION_OVERLAP_MS, rotateSecrets, signingSecrets } from '../../../lib/notify/secret-rotation.ts';

const t0 = Date.UTC(2026, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString();
const hour = 60 * 60 * 1000;

describe('rotateSecrets', () => {
  it('puts the new secret first and lets the current one sign until the overlap ends', () => {
    const rotated = rotateSecrets([{ secret: 'whsec_old', createdAt: iso(t0) }], 'whsec_new', t0 + hour);

    expect(rotated).toEqual([
      { secret: 'whsec_new', createdAt: iso(t0 + hour) },
      { secret: 'whsec_old', createdAt: iso(t0), expiresAt: iso(t0 + hour + ROTATION_OVERLAP_MS) },
    ]);
    expect(signingSecrets(rotated, t0 + hour + ROTATION_OVERLAP_MS - 1)).toEqual(['whsec_new', 'whsec_old']);
    expect(signingSecrets(rotated, t0 + hour + ROTATION_OVERLAP_MS)).toEqual(['whsec_new']);
  });

  it('keeps a secret from an earlier overlap until its own expiry and drops expired ones', () => {
    const first = rotateSecrets([{ secret: 'whsec_a', createdAt: iso(t0) }], 'whsec_b', t0);
    const second = rotateSecrets(first, 'whsec_c', t0 + hour);
    expect(second.map((s) => [s.secret, s.expiresAt])).toEqual([
      ['whsec_c', undefined],
      ['whsec_b', iso(t0 + hour + ROTATION_OVERLAP_MS)],
      ['whsec_a', iso(t0 + ROTATION_OVERLAP_MS)],
    ]);
    const third = rotateSecrets(second, 'whsec_d', t0 + ROTATION_OVERLAP_MS);
    expect(third.map((s) => s.secret)).toEqual(['whsec_d', 'whsec_c', 'whsec_b']);
  });
});
