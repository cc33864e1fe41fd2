import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aggregateCallGate } from '../../../lib/aggregation/aggregate-call-gate.ts';
import { isRateLimited, RateLimitExceededError } from '../../../lib/aggregation/refresh-rate-limiter.ts';
import { AGGREGATE_ROUTE, MEMBER_ROUTE } from '../../../lib/mx/nexus-client.ts';
import { RetryPolicy } from '../../../lib/mx/retry-policy.ts';
import { MxTransport } from '../../../lib/mx/transport.ts';

const ORIGIN = 'http://mx.test';
let agent: MockAgent;
let sent: string[];

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  sent = [];
  const mx = agent.get(ORIGIN);
  for (const path of ['/members/MBR-1/aggregate?include_holdings=false', '/members/MBR-1', '/nexus/members/MBR-2/aggregate']) {
    mx.intercept({ path, method: 'GET' })
      .reply(
        200,
        () => {
          sent.push(path);
          return '{}';
        },
        { headers: { 'content-type': 'application/json' } },
      )
      .persist();
  }
});
afterEach(() => agent.close());

/** A limiter whose permits the test hands out. */
function controlledLimiter() {
  const pending: { grant(): void; refuse(error: Error): void }[] = [];
  return {
    pending,
    acquire: () => new Promise<void>((grant, refuse) => pending.push({ grant, refuse })),
  };
}

/** The MX transport as events-refresh builds it: the gate awaited before each call is sent. */
const transport = (limiter: ReturnType<typeof controlledLimiter>, options: { baseUrl?: string; timeoutMs?: number } = {}) =>
  new MxTransport({
    log: silentLog,
    metrics: noMetrics,
    baseUrl: options.baseUrl ?? ORIGIN,
    timeoutMs: options.timeoutMs ?? 5_000,
    retry: new RetryPolicy({ budgetMs: 10_000 }),
    dispatcher: agent,
    beforeSend: aggregateCallGate(limiter),
  });

const aggregate = (mx: MxTransport, member: string, query?: Record<string, boolean>) =>
  mx.request({
    method: 'GET',
    route: AGGREGATE_ROUTE,
    kind: 'aggregate',
    params: { member_guid: member },
    query,
    idempotent: false,
  });

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('aggregateCallGate', () => {
  it('holds an aggregate call until its permit, under any base path, and lets other calls through at once', async () => {
    const limiter = controlledLimiter();
    const mx = transport(limiter);
    const first = aggregate(mx, 'MBR-1', { include_holdings: false });
    const underBasePath = aggregate(transport(limiter, { baseUrl: `${ORIGIN}/nexus` }), 'MBR-2');
    const read = await mx.request({ method: 'GET', route: MEMBER_ROUTE, kind: 'member', params: { member_guid: 'MBR-1' } });
    expect(read.status).toBe(200);
    await settle();
    expect(sent).toEqual(['/members/MBR-1']);
    expect(limiter.pending).toHaveLength(2);

    for (const permit of limiter.pending) permit.grant();
    expect((await Promise.all([first, underBasePath])).map((answer) => answer.status)).toEqual([200, 200]);
    expect(sent).toHaveLength(3);
  });

  it('fails an aggregate call whose permit is refused without sending it, as a refused permit (not retried)', async () => {
    const limiter = controlledLimiter();
    const call = aggregate(transport(limiter), 'MBR-1', { include_holdings: false });
    await settle();
    limiter.pending[0]!.refuse(new RateLimitExceededError('full'));
    const error = await call.catch((e: unknown) => e);
    expect(isRateLimited(error)).toBe(true);
    expect(limiter.pending).toHaveLength(1);
    expect(sent).toEqual([]);
  });

  it('hands back, unsent, an aggregate call whose time limit ran out while it waited', async () => {
    const limiter = controlledLimiter();
    const call = aggregate(transport(limiter, { timeoutMs: 20 }), 'MBR-1', { include_holdings: false });
    await new Promise((resolve) => setTimeout(resolve, 50));
    limiter.pending[0]!.grant();
    const error = await call.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MX_TIMEOUT' });
    expect(isRateLimited(error)).toBe(true);
    expect(sent).toEqual([]);
  });
});
