import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../input-validation.ts';
import { parseWebhookTarget, webhookTargetView } from '../../webhook-target.ts';

describe('parseWebhookTarget', () => {
  it('turns pushing on with a url and Basic credentials', () => {
    expect(parseWebhookTarget({ url: 'http://127.0.0.1:3000/mx/webhooks', username: 'u', password: 'p:w' })).toEqual({
      url: 'http://127.0.0.1:3000/mx/webhooks',
      username: 'u',
      password: 'p:w',
      mode: 'always',
    });
    expect(parseWebhookTarget({ url: 'http://x/', username: 'u', password: 'p', mode: 'on_change' })).toMatchObject({
      mode: 'on_change',
    });
  });

  it.each([undefined, {}, { url: null }, { url: null, username: 'ignored' }])('turns it off with %j', (body) => {
    expect(parseWebhookTarget(body)).toBeNull();
  });

  it.each([
    [[], 'body'],
    [{ url: 'ftp://example.com' }, 'url'],
    [{ url: 'not a url' }, 'url'],
    [{ url: 42 }, 'url'],
    [{ url: 'http://user:pw@example.com/' }, 'url must not carry credentials'],
    [{ url: 'http://example.com/', password: 'p' }, 'username'],
    [{ url: 'http://example.com/', username: 'a:b', password: 'p' }, 'username'],
    [{ url: 'http://example.com/', username: 'u' }, 'password'],
    [{ url: 'http://example.com/', username: 'u', password: 'p', mode: 'sometimes' }, 'mode'],
  ])('refuses %j, naming %s', (body, field) => {
    expect(() => parseWebhookTarget(body)).toThrow(InvalidInputError);
    expect(() => parseWebhookTarget(body)).toThrow(field);
  });

  it('is shown without its password', () => {
    expect(webhookTargetView({ url: 'http://x/', username: 'u', password: 'p', mode: 'always' })).toEqual({
      url: 'http://x/',
      username: 'u',
      mode: 'always',
    });
    expect(webhookTargetView(null)).toBeNull();
  });
});
