import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aggregateCallGate } from '../../../lib/aggregation/aggregate-call-gate.ts';
import { RateLimitExceededError } from '../../../lib/aggregation/refresh-rate-limiter.ts';

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
      .reply(200, () => {
        sent.push(path);
        return '{}';
      })
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

const get = (dispatcher: ReturnType<MockAgent['compose']>, path: string) =>
  dispatcher.request({ origin: ORIGIN, path, method: 'GET' }).then(async (response) => {
    await response.body.text();
    return response.statusCode;
  });

describe('aggregateCallGate', () => {
  it('holds an aggregate call until its permit, under any base path, and lets other calls through at once', async () => {
    const limiter = controlledLimiter();
    const gated = agent.compose(aggregateCallGate(limiter));

    const aggregate = get(gated, '/members/MBR-1/aggregate?include_holdings=false');
    const underBasePath = get(gated, '/nexus/members/MBR-2/aggregate');
    expect(await get(gated, '/members/MBR-1')).toBe(200);
    expect(sent).toEqual(['/members/MBR-1']);
    expect(limiter.pending).toHaveLength(2);

    for (const permit of limiter.pending) permit.grant();
    expect(await Promise.all([aggregate, underBasePath])).toEqual([200, 200]);
    expect(sent).toHaveLength(3);
  });

  it('fails an aggregate call whose permit is refused without sending it', async () => {
    const limiter = controlledLimiter();
    const aggregate = get(agent.compose(aggregateCallGate(limiter)), '/members/MBR-1/aggregate?include_holdings=false');
    const refusal = new RateLimitExceededError('full');
    limiter.pending[0]!.refuse(refusal);
    await expect(aggregate).rejects.toBe(refusal);
    expect(sent).toEqual([]);
  });

  it('hands back, unsent, an aggregate call that timed out while it waited', async () => {
    const limiter = controlledLimiter();
    const gated = agent.compose(aggregateCallGate(limiter));
    const controller = new AbortController();
    const aggregate = gated.request({
      origin: ORIGIN,
      path: '/members/MBR-1/aggregate?include_holdings=false',
      method: 'GET',
      signal: controller.signal,
    });
    controller.abort(new Error('timed out'));
    limiter.pending[0]!.grant();
    await expect(aggregate).rejects.toBeInstanceOf(RateLimitExceededError);
    expect(sent).toEqual([]);
  });
});
