import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../lib/http/api-event.ts';
import { withBodyAsText } from '../../../lib/http/raw-body.ts';

const event = (body: string | undefined, extra: Partial<ApiEvent> = {}): ApiEvent => ({
  routeKey: 'POST /mx/webhooks',
  rawPath: '/mx/webhooks',
  headers: { 'content-type': 'text/plain', authorization: 'Basic abc' },
  body,
  isBase64Encoded: false,
  requestContext: { requestId: 'req-1', http: { method: 'POST', path: '/mx/webhooks' } },
  ...extra,
});

describe('withBodyAsText', () => {
  it('wraps the text as a JSON string, so JSON parsing yields it unchanged', () => {
    for (const text of ['not json {', '{"type":"AGGREGATION"}', '"quoted"', 'ünïcödé']) {
      const wrapped = withBodyAsText(event(text));
      expect(wrapped.headers).toEqual({ 'content-type': 'application/json', authorization: 'Basic abc' });
      expect(JSON.parse(wrapped.body!)).toBe(text);
    }
  });

  it('decodes a base64 body first', () => {
    const wrapped = withBodyAsText(event(Buffer.from('{"a":1}').toString('base64'), { isBase64Encoded: true }));
    expect(wrapped.isBase64Encoded).toBe(false);
    expect(JSON.parse(wrapped.body!)).toBe('{"a":1}');
  });

  it('leaves an event without a body alone', () => {
    const original = event(undefined);
    expect(withBodyAsText(original)).toBe(original);
  });
});
