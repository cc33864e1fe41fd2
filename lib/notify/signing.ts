import { createHmac, randomBytes } from 'node:crypto';

/** Standard Webhooks symmetric secrets: `whsec_` + base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export const generateSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;

const keyOf = (secret: string): Buffer =>
  Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');

/**
 * The `webhook-signature` value: one `v1,<base64 HMAC-SHA256>` per secret, space-separated, so a receiver holding
 * either the old or the new secret verifies during a rotation.
 */
export function sign(msgId: string, timestampSeconds: number, payload: string, secrets: readonly string[]): string {
  const signedContent = `${msgId}.${timestampSeconds}.${payload}`;
  return secrets
    .map((secret) => `v1,${createHmac('sha256', keyOf(secret)).update(signedContent, 'utf8').digest('base64')}`)
    .join(' ');
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

export const webhookHeaders = (
  msgId: string,
  timestampSeconds: number,
  payload: string,
  secrets: readonly string[],
): WebhookHeaders => ({
  'webhook-id': msgId,
  'webhook-timestamp': String(timestampSeconds),
  'webhook-signature': sign(msgId, timestampSeconds, payload, secrets),
});
