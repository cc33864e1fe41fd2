import { toIso } from '../clock.ts';
import type { SigningSecret } from './webhooks-repo.ts';
import { type SecretBox, sealedFor } from '../secret-box.ts';

/** After a rotation the previous secret keeps signing this long, so receivers can switch without losing events. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/**
 * Secrets that sign at once, at most: unbounded, many rotations in a day would overflow the `webhook-signature` header
 * and grow the item toward DynamoDB's limit. A third rotation within the overlap cuts the oldest one's short.
 */
export const MAX_LIVE_SECRETS = 3;

const isActive = (secret: SigningSecret, nowMs: number): boolean =>
  secret.expiresAt === undefined || Date.parse(secret.expiresAt) > nowMs;

/** The signing secrets, opened from their sealed form, newest first. */
export const openSigningSecrets = (
  webhook: { id: string; secrets: readonly SigningSecret[] },
  nowMs: number,
  box: Pick<SecretBox, 'open'>,
): Promise<string[]> =>
  Promise.all(signingSecrets(webhook.secrets, nowMs).map((secret) => box.open(secret, sealedFor.webhook(webhook.id))));

/** Newest first: one, or more during overlaps. */
export const signingSecrets = (secrets: readonly SigningSecret[], nowMs: number): string[] =>
  secrets
    .filter((secret) => isActive(secret, nowMs))
    .slice(0, MAX_LIVE_SECRETS)
    .map((secret) => secret.secret);

/** The new secret first; the live ones keep signing until their overlap ends, the oldest dropped past MAX_LIVE_SECRETS. */
export function rotateSecrets(secrets: readonly SigningSecret[], newSecret: string, nowMs: number): SigningSecret[] {
  const retiring = secrets
    .filter((secret) => isActive(secret, nowMs))
    .slice(0, MAX_LIVE_SECRETS - 1)
    .map((secret) => ({ ...secret, expiresAt: secret.expiresAt ?? toIso(nowMs + ROTATION_OVERLAP_MS) }));
  return [{ secret: newSecret, createdAt: toIso(nowMs) }, ...retiring];
}
