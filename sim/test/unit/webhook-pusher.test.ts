import { DEFAULT_AGGREGATION_SCRIPT } from '../../aggregation-script.ts';
import type { PushMode } from '../../webhook-target.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Clock, ManualClock, systemClock } from '../../../lib/clock.ts';
import { createGuidFactory } from '../../identifiers.ts';
import { MemberRegistry, resumeAggregation, startAggregation, type SimMember } from '../../members.ts';
import { createSeededRandom } from '../../seeded-random.ts';
import { connectionStatusWebhook } from '../../webhook-payloads.ts';
import { RETRY_DELAYS_MS, WebhookPusher } from '../../webhook-pusher.ts';

interface Received {
  authorization: string | undefined;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An MX-webhook endpoint answering `status()` and recording every request. */
async function startReceiver(status: () => number = () => 204) {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        authorization: request.headers.authorization,
        contentType: request.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      response.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mx/webhooks`, received };
}

function setup(clock: Clock, realTimers: boolean) {
  const newGuid = createGuidFactory(createSeededRandom(5));
  const members = new MemberRegistry(newGuid);
  const shutdown = new AbortController();
  const lines: string[] = [];
  const pusher = new WebhookPusher({ clock, members, realTimers, shutdown: shutdown.signal, log: (line) => lines.push(line) });
  cleanups.push(() => shutdown.abort());
  const member = (
    durationMs: number,
    finalStatus: 'CONNECTED' | 'DENIED' | 'FAILED' = 'CONNECTED',
    challenge = false,
    changes: { transactions?: { add: number; update: number; post: number } } = {},
  ) =>
    members.put({
      userId: 'user-1',
      memberGuid: undefined,
      name: undefined,
      useCases: undefined,
      script: {
        ...DEFAULT_AGGREGATION_SCRIPT,
        durationMs,
        finalStatus,
        challenge: challenge ? { label: 'Color?', answer: 'blue' } : null,
        ...changes,
      },
    });
  const aggregate = (m: SimMember) => {
    startAggregation(m, clock.now(), newGuid);
    pusher.runChanged(m);
  };
  return { pusher, member, aggregate, lines, shutdown };
}

const target = (url: string, mode: PushMode = 'always') => ({ url, username: 'sim-webhooks', password: 'pa:ss', mode });

describe('WebhookPusher with a ManualClock', () => {
  it('pushes the end of a run once it is due, with HTTP Basic and the MX payload', async () => {
    const clock = new ManualClock();
    const receiver = await startReceiver();
    const { pusher, member, aggregate } = setup(clock, false);
    pusher.configure(target(receiver.url));
    const m = member(2_000);
    aggregate(m);

    clock.advance(1_999);
    await pusher.deliverDue();
    expect(receiver.received).toEqual([]);

    clock.advance(1);
    await pusher.deliverDue();
    await pusher.deliverDue();
    expect(receiver.received).toEqual([
      {
        authorization: `Basic ${Buffer.from('sim-webhooks:pa:ss').toString('base64')}`,
        contentType: 'application/json',
        body: expect.objectContaining({ type: 'AGGREGATION', action: 'member_data_updated', member_guid: m.guid }),
      },
    ]);
    expect(pusher.recentAttempts()).toEqual([
      { type: 'AGGREGATION', member_guid: m.guid, attempt: 1, status: 204, outcome: 'delivered', at: expect.any(String) },
    ]);
  });

  it('pushes CHALLENGED, then the outcome of the answer', async () => {
    const clock = new ManualClock();
    const receiver = await startReceiver();
    const { pusher, member, aggregate } = setup(clock, false);
    pusher.configure(target(receiver.url));
    const m = member(1_000, 'CONNECTED', true);
    aggregate(m);
    clock.advance(1_000);
    await pusher.deliverDue();
    resumeAggregation(m, clock.now(), [{ guid: m.run!.challenge!.guid, value: 'blue' }]);
    pusher.runChanged(m);
    clock.advance(250);
    await pusher.deliverDue();
    expect(receiver.received.map(({ body }) => [body.type, body.connection_status])).toEqual([
      ['CONNECTION_STATUS', 'CHALLENGED'],
      ['AGGREGATION', undefined],
    ]);
  });

  it('pushes nothing while off, for statuses MX does not push, or for a run replaced by a newer one', async () => {
    const clock = new ManualClock();
    const receiver = await startReceiver();
    const { pusher, member, aggregate } = setup(clock, false);
    const off = member(100);
    aggregate(off);
    clock.advance(100);
    await pusher.deliverDue();

    pusher.configure(target(receiver.url));
    aggregate(member(100, 'FAILED'));
    const twice = member(100, 'DENIED');
    aggregate(twice);
    clock.advance(100);
    aggregate(twice); // a new run at once: only its end is pushed
    clock.advance(100);
    await pusher.deliverDue();
    expect(receiver.received.map(({ body }) => [body.member_guid, body.connection_status])).toEqual([[twice.guid, 'DENIED']]);
  });

  it.each([
    ['always', ['AGGREGATION 0/0', 'AGGREGATION 3/1', 'CONNECTION_STATUS DENIED']],
    ['on_change', ['AGGREGATION 3/1', 'CONNECTION_STATUS DENIED']],
    ['never', []],
  ] as const)('in mode %s pushes %j: on_change withholds an AGGREGATION webhook that changed nothing', async (mode, expected) => {
    const clock = new ManualClock();
    const receiver = await startReceiver();
    const { pusher, member, aggregate } = setup(clock, false);
    pusher.configure(target(receiver.url, mode));
    aggregate(member(100));
    aggregate(member(100, 'CONNECTED', false, { transactions: { add: 3, update: 1, post: 0 } }));
    aggregate(member(100, 'DENIED'));
    clock.advance(100);
    await pusher.deliverDue();
    const seen = receiver.received.map(({ body }) =>
      body.type === 'AGGREGATION'
        ? `AGGREGATION ${body.transactions_created_count}/${body.transactions_updated_count}`
        : `CONNECTION_STATUS ${body.connection_status}`,
    );
    expect(seen.sort()).toEqual([...expected].sort());
  });

  it('retries a failed push with backoff, logging each failure without the credentials, then gives up', async () => {
    const clock = new ManualClock();
    const receiver = await startReceiver(() => 503);
    const { pusher, member, aggregate, lines } = setup(clock, false);
    pusher.configure(target(receiver.url));
    aggregate(member(0));
    await pusher.deliverDue();
    for (const wait of RETRY_DELAYS_MS) {
      clock.advance(wait - 1);
      await pusher.deliverDue();
      clock.advance(1);
      await pusher.deliverDue();
    }
    expect(receiver.received).toHaveLength(RETRY_DELAYS_MS.length + 1);
    expect(pusher.recentAttempts().map((a) => [a.attempt, a.status, a.outcome])).toEqual([
      [1, 503, 'retrying'],
      [2, 503, 'retrying'],
      [3, 503, 'retrying'],
      [4, 503, 'gave_up'],
    ]);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/AGGREGATION webhook for MBR-.* failed \(HTTP 503\), attempt 1 of 4; retrying in 250 ms/);
    expect(lines[3]).toContain('giving up');
    expect(lines.join('\n')).not.toContain('pa:ss');
  });

  it('pushNow pushes a given payload at the next delivery, and a new run of the member does not replace it', async () => {
    const clock = new ManualClock();
    const receiver = await startReceiver();
    const { pusher, member, aggregate } = setup(clock, false);
    pusher.configure(target(receiver.url));
    const m = member(100);
    pusher.pushNow(m.guid, connectionStatusWebhook(m, 'EXPIRED'));
    aggregate(m);
    await pusher.deliverDue();
    expect(receiver.received.map(({ body }) => body)).toEqual([connectionStatusWebhook(m, 'EXPIRED')]);

    clock.advance(100);
    await pusher.deliverDue();
    expect(receiver.received.map(({ body }) => body.type)).toEqual(['CONNECTION_STATUS', 'AGGREGATION']);
  });

  it('pushNow follows the mode and the target: nothing under never or while off, retries when refused', async () => {
    const clock = new ManualClock();
    let status = 503;
    const receiver = await startReceiver(() => status);
    const { pusher, member } = setup(clock, false);
    const m = member(100);
    pusher.pushNow(m.guid, connectionStatusWebhook(m, 'LOCKED'));
    await pusher.deliverDue();
    pusher.configure(target(receiver.url, 'never'));
    pusher.pushNow(m.guid, connectionStatusWebhook(m, 'LOCKED'));
    await pusher.deliverDue();
    expect(receiver.received).toEqual([]);

    pusher.configure(target(receiver.url));
    pusher.pushNow(m.guid, connectionStatusWebhook(m, 'DENIED'));
    await pusher.deliverDue();
    status = 204;
    clock.advance(RETRY_DELAYS_MS[0]!);
    await pusher.deliverDue();
    expect(pusher.recentAttempts().map((a) => [a.type, a.attempt, a.outcome])).toEqual([
      ['CONNECTION_STATUS', 1, 'retrying'],
      ['CONNECTION_STATUS', 2, 'delivered'],
    ]);
    expect(receiver.received.map(({ body }) => body.connection_status)).toEqual(['DENIED', 'DENIED']);
  });

  it('counts an endpoint that does not answer as a failure', async () => {
    const clock = new ManualClock();
    const { pusher, member, aggregate } = setup(clock, false);
    pusher.configure(target('http://127.0.0.1:1/mx/webhooks'));
    aggregate(member(0));
    await pusher.deliverDue();
    expect(pusher.recentAttempts()).toEqual([expect.objectContaining({ status: null, outcome: 'retrying' })]);
  });
});

describe('WebhookPusher on real timers', () => {
  it('pushes at the end of the run without being asked', async () => {
    const receiver = await startReceiver();
    const { pusher, member, aggregate } = setup(systemClock, true);
    pusher.configure(target(receiver.url));
    const startedAt = Date.now();
    aggregate(member(150));
    await expect.poll(() => receiver.received.length, { timeout: 2_000, interval: 10 }).toBe(1);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
  });

  it('pushNow pushes at once without being asked', async () => {
    const receiver = await startReceiver();
    const { pusher, member } = setup(systemClock, true);
    pusher.configure(target(receiver.url));
    const m = member(60_000);
    pusher.pushNow(m.guid, connectionStatusWebhook(m, 'IMPAIRED'));
    await expect.poll(() => receiver.received.length, { timeout: 1_000, interval: 10 }).toBe(1);
    expect(receiver.received[0]!.body).toMatchObject({ type: 'CONNECTION_STATUS', connection_status: 'IMPAIRED' });
  });

  it('pushes nothing once the simulator closes', async () => {
    const receiver = await startReceiver();
    const { pusher, member, aggregate, shutdown } = setup(systemClock, true);
    pusher.configure(target(receiver.url));
    aggregate(member(100));
    shutdown.abort();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toEqual([]);
  });
});
