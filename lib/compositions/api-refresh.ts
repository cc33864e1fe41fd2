import { REFRESH_ROUTES } from '../aggregation/refresh-routes.ts';
import { RefreshService } from '../aggregation/refresh-service.ts';
import { ResumeService } from '../aggregation/resume-service.ts';
import type { Config } from '../config.ts';
import { idempotent } from '../http/idempotency.ts';
import { operationsOf } from '../http/route.ts';
import { aggregationDepsOf } from './aggregation.ts';
import { httpHandler } from './http-handler.ts';
import { nexusClientOf } from './mx.ts';
import { sqsOf } from './queues.ts';
import { type Given, runtimeOf } from './runtime.ts';
import { apiKeyAccessOf, idempotencyOf, tableOf } from './storage.ts';
import { deliveryStoreOf, eventPublisherOf } from './delivery-store.ts';

/** api-refresh: start (or join) a member's aggregation, and answer its MFA challenges. */
export function composeApiRefresh(config: Config, given?: Given) {
  const runtime = runtimeOf(config, given);
  const table = tableOf(config);
  const sqs = sqsOf(runtime);
  const nexus = nexusClientOf(runtime, table);
  const events = eventPublisherOf(runtime, deliveryStoreOf(runtime, table, sqs));
  const aggregation = aggregationDepsOf(runtime, { table, sqs, nexus, events });
  const { deadlineSeconds } = config.aggregation;
  const refresh = new RefreshService({ ...aggregation, deadlineSeconds });
  const resume = new ResumeService({ ...aggregation, deadlineSeconds });
  const idempotency = idempotencyOf(runtime, table);
  const handler = httpHandler(
    runtime,
    operationsOf(REFRESH_ROUTES, { refresh, resume }, (operation) => idempotent(operation, idempotency)),
    apiKeyAccessOf(runtime, table),
  );
  return { handler, runtime, table, jobs: aggregation.jobs, nexus, refresh, resume };
}
