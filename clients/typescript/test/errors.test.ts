import { describe, expect, it } from 'vitest';
import { PROBLEMS, type ProblemCode } from '../../../lib/http/problem.ts';
import {
  createRelayClient,
  RelayAuthError,
  RelayConflictError,
  RelayGoneError,
  RelayNetworkError,
  RelayNotFoundError,
  RelayProblemError,
  RelayRateLimitError,
  RelayRequestError,
  RelayServerError,
  RelayUpstreamError,
} from '../src/index.ts';
import { json, scriptedFetch } from './scripted-fetch.ts';

const CLASS_BY_STATUS = {
  400: RelayRequestError,
  401: RelayAuthError,
  403: RelayAuthError,
  404: RelayNotFoundError,
  405: RelayRequestError,
  409: RelayConflictError,
  410: RelayGoneError,
  413: RelayRequestError,
  414: RelayRequestError,
  415: RelayRequestError,
  422: RelayRequestError,
  429: RelayRateLimitError,
  431: RelayRequestError,
  500: RelayServerError,
  502: RelayUpstreamError,
  503: RelayUpstreamError,
  504: RelayUpstreamError,
} as const;

const client = (fetch: ReturnType<typeof scriptedFetch>) =>
  createRelayClient({ baseUrl: 'https://relay.test', apiKey: 'nxr_test', fetch, retry: false });

describe('problem answers become typed errors', () => {
  it.each(Object.entries(PROBLEMS) as [ProblemCode, (typeof PROBLEMS)[ProblemCode]][])(
    '%s → its class, with code, title, detail, field and request id',
    async (code, { status, title }) => {
      const fetch = scriptedFetch(
        json(status, {
          type: 'about:blank',
          title,
          status,
          detail: `why ${code}`,
          code,
          field: 'member_guid',
          request_id: 'req-1',
        }),
      );
      const error = await client(fetch)
        .jobs.get('job_1')
        .catch((caught: unknown) => caught);
      const expected = CLASS_BY_STATUS[status as keyof typeof CLASS_BY_STATUS];
      expect(expected, `no class expected for status ${status}`).toBeDefined();
      expect(error).toBeInstanceOf(expected);
      expect(error).toBeInstanceOf(RelayProblemError);
      expect(error).toMatchObject({ status, code, title, detail: `why ${code}`, field: 'member_guid', requestId: 'req-1' });
      expect((error as Error).name).toBe(expected.name);
    },
  );

  it('describes an answer that is not a problem document, with the request id from the header', async () => {
    const fetch = scriptedFetch(new Response('<html>Bad Gateway</html>', { status: 502, headers: { 'x-request-id': 'req-9' } }));
    const error = await client(fetch)
      .jobs.get('job_1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RelayUpstreamError);
    expect(error).toMatchObject({ code: 'http_error', status: 502, requestId: 'req-9', detail: '<html>Bad Gateway</html>' });
  });

  it('names 429 and 503 without a problem document (API Gateway throttling, a paused service)', async () => {
    const fetch = scriptedFetch(
      new Response('{"message":"Too Many Requests"}', { status: 429 }),
      new Response('', { status: 503 }),
    );
    const relay = client(fetch);
    await expect(relay.jobs.get('a')).rejects.toMatchObject({ name: 'RelayRateLimitError', code: 'rate_limited' });
    await expect(relay.jobs.get('b')).rejects.toSatisfy(
      (error) => error instanceof RelayUpstreamError && error.code === 'service_unavailable',
    );
    expect(RelayRateLimitError.name).toBe('RelayRateLimitError');
  });

  it('a request that gets no answer is a RelayNetworkError naming the URL, with the cause', async () => {
    const refused = new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:3000') });
    const error = await client(scriptedFetch(refused))
      .jobs.get('job_1')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RelayNetworkError);
    expect(error).toMatchObject({ code: 'unreachable', url: 'https://relay.test/jobs/job_1' });
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).cause).toBe(refused);
  });

  it('never puts the API key in an error', async () => {
    const error = await client(
      scriptedFetch(
        json(401, {
          type: 'about:blank',
          title: 'Missing or invalid credentials',
          status: 401,
          detail: 'no',
          code: 'unauthorized',
        }),
      ),
    )
      .jobs.get('job_1')
      .catch((caught: unknown) => caught);
    expect(JSON.stringify({ ...(error as object), message: (error as Error).message })).not.toContain('nxr_test');
  });

  it('refuses a missing API key or base URL when the client is made, naming the option, before any request', () => {
    const fetch = scriptedFetch();
    for (const apiKey of [undefined, '', '  ']) {
      expect(() => createRelayClient({ baseUrl: 'https://relay.test', apiKey: apiKey as unknown as string, fetch })).toThrow(
        /apiKey is missing/,
      );
    }
    expect(() => createRelayClient({ baseUrl: undefined as unknown as string, apiKey: 'nxr_test', fetch })).toThrow(
      /baseUrl is missing/,
    );
  });
});
