import { REFRESH_ROUTES, type RefreshRouteDeps } from '../aggregation/refresh-routes.ts';
import { MEMBER_ROUTES, type MemberRouteDeps } from '../connect/member-routes.ts';
import { MEMBER_STATE_ROUTES, type MemberStateRouteDeps } from '../aggregation/member-state-routes.ts';
import { Members } from '../connect/members.ts';
import { ErasuresRepository } from '../connect/erasures-repo.ts';
import { UserErasure } from '../connect/user-erasure.ts';
import { MemberJobs } from '../aggregation/member-jobs.ts';
import { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import { RefreshService } from '../aggregation/refresh-service.ts';
import { ResumeService } from '../aggregation/resume-service.ts';
import type { Config } from '../config.ts';
import { idempotent } from '../http/idempotency.ts';
import { aggregationDepsOf } from './aggregation.ts';
import { httpHandler } from './http-handler.ts';
import { nexusClientOf } from './mx.ts';
import { mxUsersOf } from './sso.ts';
import { erasuresQueueOf, memberReportsQueueOf, sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf, idempotencyOf } from './api-access.ts';
import { erasedUsersOf } from './erased-users.ts';
import { tableOf } from './storage.ts';
import { deliveryStoreOf, eventPublisherOf } from './delivery-store.ts';

/** api-refresh: refreshes, MFA answers, and members created, updated or deleted at MX. */
export function composeApiRefresh(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const erased = erasedUsersOf(runtime, table);
  const mxUsers = mxUsersOf(runtime, table, erased);
  const nexus = nexusClientOf(runtime, table, { mxUsers });
  const events = eventPublisherOf(runtime, deliveryStoreOf(runtime, table, sqs), table);
  const aggregation = aggregationDepsOf(runtime, { table, sqs, nexus, events });
  const { deadlineSeconds } = config.aggregation;
  const refresh = new RefreshService({ ...aggregation, deadlineSeconds });
  const resume = new ResumeService({ ...aggregation, deadlineSeconds });
  const memberStates = new MemberStatesRepository(table);
  const members = new Members({
    ...aggregation,
    memberJobs: new MemberJobs({ ...aggregation, states: memberStates }),
    aggregations: refresh,
    useCasesEnabled: config.mx.useCasesEnabled,
    reports: memberReportsQueueOf(runtime, sqs),
  });
  const { clock, log, metrics } = runtime;
  const erasure = new UserErasure({
    erased,
    erasures: new ErasuresRepository(table),
    queue: erasuresQueueOf(runtime, sqs),
    clock,
    log,
    metrics,
  });
  const idempotency = idempotencyOf(runtime, table);
  const handler = httpHandler<RefreshRouteDeps & MemberRouteDeps & MemberStateRouteDeps>(
    runtime,
    [...REFRESH_ROUTES, ...MEMBER_ROUTES, ...MEMBER_STATE_ROUTES],
    { refresh, resume, members, erasure, memberStates, userKeysMayErase: config.apiKeys.userKeysMayErase },
    { keys: apiKeyAccessOf(runtime, table, erased), idempotent: (route) => idempotent(route, idempotency) },
  );
  return { handler, runtime, table, jobs: aggregation.jobs, nexus, refresh, resume, members, erasure };
}
