import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '../../lib/http/api-event.ts';
import type { HttpFunctionName } from '../routes.ts';
import type { QueueRole } from './engines.ts';

export type HttpLambda = (event: ApiEvent, context: Context) => Promise<ApiResult>;
export type SqsLambda = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
export type ScheduledLambda = (event: unknown, context: Context) => Promise<unknown>;

/**
 * The same handler exports the Lambdas run, loaded on first use so the environment is complete before any
 * function module reads its configuration.
 */
export const httpFunctions: Record<HttpFunctionName, () => Promise<HttpLambda>> = {
  'api-refresh': async () => (await import('../../functions/api-refresh.ts')).handler,
  'api-jobs': async () => (await import('../../functions/api-jobs.ts')).handler,
  'api-read': async () => (await import('../../functions/api-read.ts')).handler,
  'api-webhooks': async () => (await import('../../functions/api-webhooks.ts')).handler,
  'api-fallback': async () => (await import('../../functions/api-fallback.ts')).handler,
  'mx-events': async () => (await import('../../functions/mx-events.ts')).handler,
};

export const queueWorkers: Record<QueueRole, { name: string; load: () => Promise<SqsLambda> }> = {
  poll: { name: 'worker-poll', load: async () => (await import('../../functions/worker-poll.ts')).handler },
  delivery: { name: 'worker-deliver', load: async () => (await import('../../functions/worker-deliver.ts')).handler },
};

/** What EventBridge schedules in AWS (infra/constructs/function-specs.ts `everyMinutes`) runs on a timer locally. */
export const scheduledFunctions: { name: string; everyMs: number; load: () => Promise<ScheduledLambda> }[] = [
  { name: 'sweeper', everyMs: 60_000, load: async () => (await import('../../functions/sweeper.ts')).handler },
];
