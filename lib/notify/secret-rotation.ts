import { toIso } from '../clock.ts';
import type { SigningSecret } from './webhooks-repo.ts';
import { type SecretBox, sealedFor } from '../secret-box.ts';

/** After a rotation the previous secret keeps signing this long, so receivers can switch without losing events. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/**
 * Secrets that sign at once, at most: the newest and the two it replaced while they are in their overlap. A receiver
 * that has not yet taken either of the last two rotations still verifies; a third rotation within the overlap cuts
 * the oldest one's short. Without a bound every rotation of a day signs every delivery: 300 rotations put 301
 * signatures (14 KB) in `webhook-signature`, past what HTTP servers take in a header, and grow the item toward
 * DynamoDB's 400 KB.
 */
export const MAX_LIVE_SECRETS = 3;

const isActive = (secret: SigningSecret, nowMs: number): boolean =>
  secret.expiresAt === undefined || Date.parse(secret.expiresAt) > nowMs;

/** The secrets that sign an attempt made at `nowMs`, opened from their stored (sealed) form, newest first. */
export const openSigningSecrets = (
  webhook: { id: string; secrets: readonly SigningSecret[] },
  nowMs: number,
  box: Pick<SecretBox, 'open'>,
): Promise<string[]> =>
  Promise.all(signingSecrets(webhook.secrets, nowMs).map((secret) => box.open(secret, sealedFor.webhook(webhook.id))));

/** The secrets that sign an attempt made at `nowMs`, newest first: one, or up to MAX_LIVE_SECRETS during overlaps. */
export const signingSecrets = (secrets: readonly SigningSecret[], nowMs: number): string[] =>
  secrets
    .filter((secret) => isActive(secret, nowMs))
    .slice(0, MAX_LIVE_SECRETS)
    .map((secret) => secret.secret);

/**
 * The secrets after rotating to `newSecret` at `nowMs`: the new one first, the current one expiring after the
 * overlap, secrets still in an earlier overlap kept until their own expiry, expired ones dropped, and no more than
 * MAX_LIVE_SECRETS in all (the oldest go first).
 */
export function rotateSecrets(secrets: readonly SigningSecret[], newSecret: string, nowMs: number): SigningSecret[] {
  const retiring = secrets
    .filter((secret) => isActive(secret, nowMs))
    .slice(0, MAX_LIVE_SECRETS - 1)
    .map((secret) => ({ ...secret, expiresAt: secret.expiresAt ?? toIso(nowMs + ROTATION_OVERLAP_MS) }));
  return [{ secret: newSecret, createdAt: toIso(nowMs) }, ...retiring];
}
