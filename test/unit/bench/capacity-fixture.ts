import type { Measured } from '../../../bench/capacity-model.ts';
import { NO_COST, type Unit, type UnitCost, UNITS } from '../../../bench/capacity-unit-costs.ts';

/** Round unit costs for the capacity model's and report's tests: what each unit costs is not what they test. */
export const calls = (over: Partial<UnitCost['mxCalls']> = {}) => ({ session: 0, transactions: 0, job: 0, read: 0, ...over });
export const units = Object.fromEntries(
  UNITS.map((unit) => [unit, { function: 'worker-poll', ...NO_COST, lambdaMs: 10, mxCalls: calls() } satisfies UnitCost]),
) as Record<Unit, UnitCost>;
units.report = { ...units.report, ssoCalls: 1, mxCalls: calls({ session: 2, read: 1, transactions: 2 }) };
units['report-unsynced'] = { ...units['report-unsynced'], ssoCalls: 1, mxCalls: calls({ session: 2, read: 1 }) };
units.refresh = { ...units.refresh, ssoCalls: 1, mxCalls: calls({ session: 2, job: 1, read: 1, transactions: 1 }) };
units['refresh-unsynced'] = { ...units['refresh-unsynced'], ssoCalls: 1, mxCalls: calls({ session: 2, job: 1, read: 1 }) };
units['read-lapsed'] = { ...units['read-lapsed'], ssoCalls: 1, mxCalls: calls({ session: 2, read: 1 }) };
export const measured: Measured = {
  units: {
    units,
    webhooksPerAggregation: 5,
    itemBytes: { job: 1000, delivery: 1000, member: 300, user: 1000, transaction: 1000 },
    deliveryBatchMs: 100,
    sharedPartitions: [],
    deliveryLogWru: { table: 3, gsi1: 1 },
    writesByItem: {},
  },
  week: { turnsPerUserDay: 4, readsPerUserDay: 0.5, mxCallsPerUserDay: 1.5 },
  dispatch: { usersPerMinute: 100_000, usersPerSecond: 5_000, wruPerUser: 0, rruPerUser: 0, sqsPerUser: 0.1 },
  usual: { latencyMs: 300, pollBatchMs: 400, reportBatchMs: 1_000 },
  slow: { latencyMs: 1_000, pollBatchMs: 1_100, reportBatchMs: 3_000 },
  stack: { alarms: 50, queues: 7 },
};
