import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, sign, webhookHeaders } from '../../../lib/notify/signing.ts';

const nowSeconds = () => Math.floor(Date.now() / 1000);
const payload = JSON.stringify({ type: 'aggregation.succeeded', timestamp: '2026-01-01T00:00:00.000Z', data: { n: 'é✓' } });

describe('generateSecret', () => {
  it('is whsec_ followed by the base64 of 32 random bytes', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(secret.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(generateSecret()).not.toBe(secret);
  });
});

describe('webhookHeaders', () => {
  it('is verified by the standardwebhooks library', () => {
    const secret = generateSecret();
    const headers = webhookHeaders('msg_job1_started', nowSeconds(), payload, [secret]);
    expect(headers['webhook-id']).toBe('msg_job1_started');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload));
  });

  it('signs exactly as standardwebhooks does', () => {
    const secret = generateSecret();
    const timestamp = 1_767_225_600;
    expect(sign('msg_x', timestamp, payload, [secret])).toBe(
      new Webhook(secret).sign('msg_x', new Date(timestamp * 1000), payload),
    );
  });

  it('carries one signature per secret, each verifiable on its own (rotation)', () => {
    const [newer, older] = [generateSecret(), generateSecret()];
    const headers = webhookHeaders('msg_rot', nowSeconds(), payload, [newer, older]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [newer, older]) expect(() => new Webhook(secret).verify(payload, { ...headers })).not.toThrow();
  });

  it('fails verification when the body, the id or the secret differs', () => {
    const secret = generateSecret();
    const headers = webhookHeaders('msg_tamper', nowSeconds(), payload, [secret]);
    expect(() => new Webhook(secret).verify(`${payload} `, { ...headers })).toThrow(WebhookVerificationError);
    expect(() => new Webhook(secret).verify(payload, { ...headers, 'webhook-id': 'msg_other' })).toThrow(
      WebhookVerificationError,
    );
    expect(() => new Webhook(generateSecret()).verify(payload, { ...headers })).toThrow(WebhookVerificationError);
  });
});
