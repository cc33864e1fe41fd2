import { afterAll, beforeAll } from 'vitest';
import { type LocalEngines, startEngines } from '../../../infra/local/engines.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { localServicesConfig } from '../../../infra/local/local-services.ts';
import { type Relay, relayOf } from '../../../infra/local/relay.ts';
import { createDocumentClient } from '../../../lib/aws/dynamodb-client.ts';
import { TransactionsRepository } from '../../../lib/transactions/transactions-repo.ts';
import { SyncStateRepository } from '../../../lib/transactions/sync-state-repo.ts';
import { TransactionForgetting } from '../../../lib/transactions/forgetting.ts';
import { silentLog } from '../../../lib/logger.ts';
import { noMetrics } from '../../../lib/metrics.ts';

/** The relay's Lambdas over dynalite and the MX simulator, on one ManualClock; started before the file's tests. */
export function useSyncHarness(start: number) {
  const clock = new ManualClock(start);
  const harness = {
    clock,
    relay: undefined as unknown as Relay,
    /** The change logs in the table, as the relay keeps them. */
    repository: undefined as unknown as TransactionsRepository,
    states: undefined as unknown as SyncStateRepository,
    /** Forgets a user's copies, as worker-poll's reconcile turn does. */
    forgetting: undefined as unknown as TransactionForgetting,
    /** The simulator's control API: GET without a body, POST with one. */
    async control(path: string, body?: unknown): Promise<any> {
      const response = await fetch(
        `${simulator.url}${path}`,
        body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) },
      );
      return response.json();
    },
  };
  let engines: LocalEngines;
  let simulator: MxSimulator;
  beforeAll(async () => {
    engines = await startEngines();
    simulator = await startMxSimulator({ clock });
    harness.relay = relayOf(localServicesConfig(engines, simulator.url), { clock });
    const table = { client: createDocumentClient(engines), tableName: engines.tableName };
    harness.repository = new TransactionsRepository(table);
    harness.states = new SyncStateRepository(table);
    const { repository, states } = harness;
    harness.forgetting = new TransactionForgetting({ repository, states, clock, log: silentLog, metrics: noMetrics });
  });
  afterAll(async () => {
    await simulator?.close();
    await engines?.stop();
  });
  return harness;
}
