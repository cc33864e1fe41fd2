import { describe, expect, it } from 'vitest';
import { generateSecret, webhookHeaders as relayHeaders } from '../../../lib/notify/signing.ts';
import { verifyWebhook, WebhookVerificationError, type RelayEvent } from '../src/index.ts';

/** Deliveries signed by the relay's own signing code (lib/notify/signing.ts), verified by the kit. */
const oldSecret = generateSecret();
const newSecret = generateSecret();
const event = {
  type: 'aggregation.succeeded',
  timestamp: '2026-11-23T08:00:00.000Z',
  data: { job: { id: 'job_1', user_id: 'u1', member_guid: 'MBR-1', status: 'succeeded' }, member: { guid: 'MBR-1' } },
};
const body = JSON.stringify(event);
const nowSeconds = () => Math.floor(Date.now() / 1000);
const webhookHeaders = (...args: Parameters<typeof relayHeaders>): Record<string, string> => ({ ...relayHeaders(...args) });

const refusal = (call: () => unknown) => {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('verified what it should have refused');
};

describe('verifyWebhook', () => {
  it('accepts a delivery signed during a rotation with either secret, and answers the typed event', () => {
    const headers = webhookHeaders('msg_1', nowSeconds(), body, [newSecret, oldSecret]);
    for (const secrets of [[oldSecret], [newSecret], [newSecret, oldSecret], oldSecret]) {
      const verified = verifyWebhook(body, headers, secrets);
      expect(verified.id).toBe('msg_1');
      expect(verified.event).toEqual(event);
      const typed: RelayEvent = verified.event;
      if (typed.type === 'aggregation.succeeded') expect(typed.data.job.member_guid).toBe('MBR-1');
    }
  });

  it('accepts a delivery signed with one secret when the receiver holds both (receiver rotated first)', () => {
    const headers = webhookHeaders('msg_2', nowSeconds(), body, [oldSecret]);
    expect(verifyWebhook(body, headers, [newSecret, oldSecret]).id).toBe('msg_2');
  });

  it('takes headers as node:http, the Fetch API and arrays give them, and bytes as well as text', () => {
    const signed = webhookHeaders('msg_3', nowSeconds(), body, [oldSecret]);
    const upper = Object.fromEntries(Object.entries(signed).map(([name, value]) => [name.toUpperCase(), value]));
    expect(verifyWebhook(new TextEncoder().encode(body), new Headers(signed), oldSecret).id).toBe('msg_3');
    expect(verifyWebhook(body, upper, oldSecret).id).toBe('msg_3');
    expect(verifyWebhook(body, { ...signed, 'x-extra': ['a', 'b'], 'x-none': undefined }, oldSecret).id).toBe('msg_3');
  });

  it('refuses a tampered body', () => {
    const headers = webhookHeaders('msg_4', nowSeconds(), body, [oldSecret]);
    const tampered = body.replace('succeeded', 'failed');
    const error = refusal(() => verifyWebhook(tampered, headers, [oldSecret, newSecret]));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect(error).toMatchObject({ code: 'signature_mismatch' });
  });

  it('refuses a delivery signed by a secret it does not hold', () => {
    const headers = webhookHeaders('msg_5', nowSeconds(), body, [generateSecret()]);
    expect(refusal(() => verifyWebhook(body, headers, [oldSecret, newSecret]))).toMatchObject({ code: 'signature_mismatch' });
  });

  it('refuses an old timestamp (a replayed capture) and one from the future, even when correctly signed', () => {
    for (const at of [nowSeconds() - 6 * 60, nowSeconds() + 6 * 60]) {
      const headers = webhookHeaders('msg_6', at, body, [oldSecret]);
      expect(refusal(() => verifyWebhook(body, headers, oldSecret))).toMatchObject({ code: 'timestamp_out_of_range' });
    }
  });

  it('refuses a delivery missing its headers, a changed webhook-id, and an empty list of secrets', () => {
    const headers = webhookHeaders('msg_7', nowSeconds(), body, [oldSecret]);
    const { 'webhook-signature': _signature, ...unsigned } = headers;
    expect(refusal(() => verifyWebhook(body, unsigned, oldSecret))).toMatchObject({ code: 'invalid_headers' });
    expect(refusal(() => verifyWebhook(body, { ...headers, 'webhook-id': 'msg_other' }, oldSecret))).toMatchObject({
      code: 'signature_mismatch',
    });
    expect(refusal(() => verifyWebhook(body, headers, []))).toMatchObject({ code: 'no_secret' });
  });
});
