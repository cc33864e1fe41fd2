import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { systemClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';
import { LEASE_MS, MxCallBudget } from '../../../lib/mx/call-budget.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import { RetryPolicy } from '../../../lib/mx/retry-policy.ts';
import { MxTransport } from '../../../lib/mx/transport.ts';
import { RateLimitRepository, type WindowCounter } from '../../../lib/store/rate-limit-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();
/** When each call reached "MX". */
const arrivals: number[] = [];
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((_request, response) => {
    arrivals.push(Date.now());
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

it('three containers share one budget through the table: a period sends its calls and no more, with a few writes', async () => {
  const perSecond = 4; // 20 calls a period
  let writes = 0;
  const repository = new RateLimitRepository(local.table);
  const counter: WindowCounter = { take: (...args) => (writes++, repository.take(...args)) };
  const metrics = { add: () => {} } as MetricsSink;
  const containers = Array.from({ length: 3 }, () => {
    const budget = new MxCallBudget({
      counter,
      upstream: 'mx-data',
      perSecond,
      clock: systemClock,
      log: silentLog,
      metrics,
    });
    return new MxTransport({
      baseUrl,
      upstream: 'mx-data',
      // A deadline well past the budget's one wait (2 s): a call is sent or refused by the budget, not timed out.
      timeoutMs: 10_000,
      retry: new RetryPolicy({ budgetMs: 10_000 }),
      log: silentLog,
      metrics,
      budget,
    });
  });

  const outcomes = await Promise.all(
    containers.flatMap((transport) =>
      Array.from({ length: 30 }, () =>
        transport.request({ method: 'GET', route: '/users', kind: 'read' }).then(
          () => 'sent',
          (error: unknown) => {
            expect(error).toBeInstanceOf(MxError);
            expect(error).toMatchObject({ code: 'MX_BUDGET_SPENT' });
            expect((error as MxError).retryAfterSeconds).toBeLessThanOrEqual(LEASE_MS / 1000);
            return 'refused';
          },
        ),
      ),
    ),
  );
  await Promise.all(containers.map((transport) => transport.close()));

  // Every call started in one period and waited at most 2 s: it went in that period or the next, each of 20 calls.
  const periodCalls = perSecond * (LEASE_MS / 1000);
  expect(arrivals.length).toBeGreaterThanOrEqual(periodCalls);
  expect(arrivals.length).toBeLessThanOrEqual(2 * periodCalls);
  expect(outcomes.filter((outcome) => outcome === 'sent')).toHaveLength(arrivals.length);
  expect(outcomes).toContain('refused');
  // A lease, then, once the shared part runs dry, a lease of apps' part and a dry ask: a few per container and period.
  expect(writes).toBeLessThan(outcomes.length / 3);
});
