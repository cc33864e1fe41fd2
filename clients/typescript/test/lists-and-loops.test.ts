import { describe, expect, it } from 'vitest';
import { createRelayClient, RelayNotFoundError, RelayWaitTimeoutError, type Job } from '../src/index.ts';
import { json, manualClock, scriptedFetch, type Sent } from './scripted-fetch.ts';

const jobOf = (id: string, status: Job['status'] = 'succeeded', connection_status: string | null = 'CONNECTED'): Job => ({
  id,
  user_id: 'u1',
  member_guid: 'MBR-1',
  kind: 'aggregation',
  status,
  trigger: 'refresh',
  connection_status,
  created_at: '2026-11-23T08:00:00.000Z',
  updated_at: '2026-11-23T08:00:00.000Z',
  finished_at: null,
  polls: 0,
});

function relay(fetch: ReturnType<typeof scriptedFetch>) {
  const clock = manualClock();
  return {
    client: createRelayClient({ baseUrl: 'https://relay.test', apiKey: 'k', fetch, sleep: clock.sleep, now: clock.now }),
    clock,
  };
}
const query = (sent: Sent) => Object.fromEntries(sent.url.searchParams);

describe('paged lists', () => {
  it('jobs.list crosses pages by next_cursor, fetching each page only when reached', async () => {
    const fetch = scriptedFetch(
      json(200, { jobs: [jobOf('j1'), jobOf('j2')], next_cursor: 'c2' }),
      json(200, { jobs: [jobOf('j3')], next_cursor: 'c3' }),
      json(200, { jobs: [] }),
    );
    const { client } = relay(fetch);
    const seen: string[] = [];
    for await (const job of client.jobs.list({ user_id: 'u1', limit: 2 })) {
      seen.push(job.id);
      if (job.id === 'j1') expect(fetch.sent).toHaveLength(1);
    }
    expect(seen).toEqual(['j1', 'j2', 'j3']);
    expect(fetch.sent.map(query)).toEqual([{ limit: '2' }, { limit: '2', cursor: 'c2' }, { limit: '2', cursor: 'c3' }]);
  });

  it('an MX list crosses numbered pages until pagination.total_pages', async () => {
    const page = (n: number, guids: string[]) =>
      json(200, {
        members: guids.map((guid) => ({ guid })),
        pagination: { current_page: n, per_page: 2, total_entries: 3, total_pages: 2 },
      });
    const fetch = scriptedFetch(page(1, ['MBR-1', 'MBR-2']), page(2, ['MBR-3']));
    const members = await relay(fetch).client.members.list({ user_id: 'u1', records_per_page: 2 }).toArray();
    expect(members.map((member) => member.guid)).toEqual(['MBR-1', 'MBR-2', 'MBR-3']);
    expect(fetch.sent.map((sent) => [sent.url.pathname, query(sent)])).toEqual([
      ['/users/u1/members', { records_per_page: '2', page: '1' }],
      ['/users/u1/members', { records_per_page: '2', page: '2' }],
    ]);
  });

  it('any MX list by its path, and a list of one page without pagination', async () => {
    const fetch = scriptedFetch(json(200, { iteration_items: [{ guid: 'SPI-1' }] }));
    const items = await relay(fetch)
      .client.list('/users/{user_id}/spending_plans/{spending_plan_guid}/iterations/current/iteration_items', {
        path: { user_id: 'u1', spending_plan_guid: 'SPL-1' },
      })
      .toArray();
    expect(items).toEqual([{ guid: 'SPI-1' }]);
  });

  it('a webhook’s deliveries, with their filters, across pages', async () => {
    const delivery = (msg_id: string) => ({
      msg_id,
      event_type: 'aggregation.succeeded',
      status: 'delivered',
      attempt_count: 1,
      attempts: [],
      created_at: '',
      updated_at: '',
    });
    const fetch = scriptedFetch(
      json(200, { deliveries: [delivery('m1')], next_cursor: 'n' }),
      json(200, { deliveries: [delivery('m2')] }),
    );
    const pages: string[][] = [];
    for await (const page of relay(fetch).client.webhooks.deliveries('wh_1', { status: 'failed' }).pages()) {
      pages.push(page.items.map((item) => item.msg_id));
    }
    expect(pages).toEqual([['m1'], ['m2']]);
    expect(fetch.sent.map(query)).toEqual([{ status: 'failed' }, { status: 'failed', cursor: 'n' }]);
  });

  it('replayRange follows next_cursor and adds up what was replayed', async () => {
    const fetch = scriptedFetch(
      json(202, { replayed: 50, skipped: 1, next_cursor: 'p2' }),
      json(202, { replayed: 3, skipped: 0 }),
    );
    const range = { since: '2026-11-22T00:00:00Z', until: '2026-11-23T00:00:00Z' };
    await expect(relay(fetch).client.webhooks.replayRange('wh_1', range, { idempotencyKey: 'r' })).resolves.toEqual({
      replayed: 53,
      skipped: 1,
    });
    expect(fetch.sent.map((sent) => [JSON.parse(sent.body), sent.headers.get('idempotency-key')])).toEqual([
      [range, 'r:0'],
      [{ ...range, cursor: 'p2' }, 'r:1'],
    ]);
  });
});

describe('waitForJob', () => {
  it('checks with a growing interval until the job ends, telling each check', async () => {
    const statuses = ['aggregating', 'aggregating', 'aggregating', 'aggregating', 'succeeded'] as const;
    const fetch = scriptedFetch(...statuses.map((status) => json(200, { job: jobOf('j1', status) })));
    const { client, clock } = relay(fetch);
    const checked: string[] = [];
    const job = await client.waitForJob('j1', { onCheck: (seen) => checked.push(seen.status), maxIntervalMs: 3000 });
    expect(job.status).toBe('succeeded');
    expect(checked).toEqual([...statuses]);
    expect(clock.waits).toEqual([1000, 1500, 2250, 3000]);
  });

  it('ends on action_required (the caller answers with members.resume), or when `until` says so', async () => {
    const challenged = {
      ...jobOf('j1', 'action_required', 'CHALLENGED'),
      challenges: [{ guid: 'CRD-1', type: 'TEXT', label: 'Code', field_name: null }],
    };
    const first = relay(scriptedFetch(json(200, { job: jobOf('j1', 'aggregating', null) }), json(200, { job: challenged })));
    await expect(first.client.waitForJob('j1')).resolves.toMatchObject({ status: 'action_required' });

    const second = relay(
      scriptedFetch(
        json(200, { job: jobOf('j1', 'aggregating', 'CREATED') }),
        json(200, { job: jobOf('j1', 'aggregating', 'SYNCING') }),
      ),
    );
    const job = await second.client.waitForJob('j1', { until: (seen) => seen.connection_status === 'SYNCING' });
    expect(job).toMatchObject({ status: 'aggregating', connection_status: 'SYNCING' });
  });

  it('gives up after timeoutMs with the last job read', async () => {
    const fetch = scriptedFetch(...Array.from({ length: 10 }, () => json(200, { job: jobOf('j1', 'aggregating', 'SYNCING') })));
    const error = await relay(fetch)
      .client.waitForJob('j1', { timeoutMs: 5000, factor: 1 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RelayWaitTimeoutError);
    expect(error).toMatchObject({ code: 'wait_timeout', job: { id: 'j1', connection_status: 'SYNCING' }, waitedMs: 5000 });
  });

  it('rides out a few failed checks, but not a 404', async () => {
    const outage = json(502, { type: 'about:blank', title: 'Bad gateway', status: 502, detail: 'x', code: 'upstream_error' });
    const fetch = scriptedFetch(
      new TypeError('fetch failed'),
      new TypeError('fetch failed'),
      new TypeError('fetch failed'),
      outage,
      json(200, { job: jobOf('j1') }),
    );
    const client = createRelayClient({ baseUrl: 'https://relay.test', apiKey: 'k', fetch, retry: false, ...manualClock() });
    await expect(client.waitForJob('j1')).resolves.toMatchObject({ status: 'succeeded' });

    const gone = scriptedFetch(
      json(404, { type: 'about:blank', title: 'Not found', status: 404, detail: 'no job', code: 'not_found' }),
    );
    await expect(relay(gone).client.waitForJob('j1')).rejects.toBeInstanceOf(RelayNotFoundError);
  });
});

describe('transactions sync loop', () => {
  const page = (next_cursor: string, has_more: boolean, added: string[] = []) =>
    json(200, { added: added.map((guid) => ({ guid })), modified: [], removed: [], next_cursor, has_more });

  it('pages from the cursor until has_more is false', async () => {
    const fetch = scriptedFetch(page('c1', true, ['TRN-1']), page('c2', true, ['TRN-2']), page('c3', false));
    const pages = [];
    for await (const seen of relay(fetch).client.transactions.sync({ user_id: 'u1', cursor: 'c0', count: 1 })) pages.push(seen);
    expect(pages.map((seen) => [seen.next_cursor, seen.added.length, seen.reset])).toEqual([
      ['c1', 1, false],
      ['c2', 1, false],
      ['c3', 0, false],
    ]);
    expect(fetch.sent.map(query)).toEqual([
      { cursor: 'c0', count: '1' },
      { cursor: 'c1', count: '1' },
      { cursor: 'c2', count: '1' },
    ]);
  });

  it('starts over once when the cursor expired, marking that page reset', async () => {
    const expired = json(410, {
      type: 'about:blank',
      title: 'The sync cursor has expired',
      status: 410,
      detail: 'old',
      code: 'sync_cursor_expired',
    });
    const fetch = scriptedFetch(expired, page('fresh', false, ['TRN-1', 'TRN-2']));
    const pages = [];
    for await (const seen of relay(fetch).client.transactions.sync({ user_id: 'u1', cursor: 'ancient' })) pages.push(seen);
    expect(pages.map((seen) => [seen.reset, seen.added.length, seen.next_cursor])).toEqual([[true, 2, 'fresh']]);
    expect(fetch.sent.map(query)).toEqual([{ cursor: 'ancient' }, {}]);
  });

  it('throws a cursor that is not valid (400 invalid_cursor): starting over would hide a bug', async () => {
    const invalid = json(400, {
      type: 'about:blank',
      title: 'The sync cursor is not valid for this user',
      status: 400,
      detail: 'x',
      code: 'invalid_cursor',
      field: 'cursor',
    });
    const loop = relay(scriptedFetch(invalid)).client.transactions.sync({ user_id: 'u1', cursor: 'forged' });
    await expect(loop.next()).rejects.toMatchObject({ name: 'RelayRequestError', code: 'invalid_cursor', field: 'cursor' });
  });
});

describe('waitForJob given the job a call answered', () => {
  it('answers a finished job without a call, and waits before checking a running one', async () => {
    const fetch = scriptedFetch(json(200, { job: jobOf('j1', 'succeeded') }));
    const { client, clock } = relay(fetch);
    await expect(client.waitForJob(jobOf('j0', 'failed'))).resolves.toMatchObject({ id: 'j0', status: 'failed' });
    expect(fetch.sent).toHaveLength(0);
    await expect(client.waitForJob(jobOf('j1', 'aggregating'), { intervalMs: 250 })).resolves.toMatchObject({
      status: 'succeeded',
    });
    expect(clock.waits).toEqual([250]);
    expect(fetch.sent).toHaveLength(1);
  });

  it('times out naming the job even when no check could read it', async () => {
    const fetch = scriptedFetch(new TypeError('fetch failed'), new TypeError('fetch failed'));
    const client = createRelayClient({ baseUrl: 'https://relay.test', apiKey: 'k', fetch, retry: false, ...manualClock() });
    await expect(client.waitForJob('j9', { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'wait_timeout',
      jobId: 'j9',
      job: undefined,
    });
  });
});
