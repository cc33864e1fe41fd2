import { describe, expect, it } from 'vitest';
import { MAX_LIVE_SECRETS, ROTATION_OVERLAP_MS, rotateSecrets, signingSecrets } from '../../../lib/notify/secret-rotation.ts';

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

  it('keeps at most MAX_LIVE_SECRETS live, however often it rotates: 300 rotations in an hour sign with 3', () => {
    let secrets = [{ secret: 'whsec_0', createdAt: iso(t0) }] as ReturnType<typeof rotateSecrets>;
    for (let i = 1; i <= 300; i++) secrets = rotateSecrets(secrets, `whsec_${i}`, t0 + i * 1000);
    expect(secrets.map((s) => s.secret)).toEqual(['whsec_300', 'whsec_299', 'whsec_298']);
    expect(signingSecrets(secrets, t0 + 301_000)).toHaveLength(MAX_LIVE_SECRETS);
  });

  it('signs with at most MAX_LIVE_SECRETS even from an item stored before the bound', () => {
    const stored = Array.from({ length: 10 }, (_, i) => ({ secret: `whsec_${9 - i}`, createdAt: iso(t0 + (9 - i) * 1000) }));
    expect(signingSecrets(stored, t0 + 10_000)).toEqual(['whsec_9', 'whsec_8', 'whsec_7']);
  });
});
