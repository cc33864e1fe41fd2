import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** Standard Webhooks symmetric secrets: `whsec_` + base64 of the key bytes. */
const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export const generateSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;

/** One Standard Webhooks signature per secret, so a receiver holding either the old or the new one verifies mid-rotation. */
export function sign(msgId: string, timestampSeconds: number, payload: string, secrets: readonly string[]): string {
  const at = new Date(timestampSeconds * 1000);
  return secrets.map((secret) => new Webhook(secret).sign(msgId, at, payload)).join(' ');
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
