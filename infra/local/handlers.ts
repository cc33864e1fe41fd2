import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '../../lib/http/api-event.ts';
import type { HttpFunctionName } from '../../lib/http/route.ts';
import type { QueueName } from '../../lib/queue/queue-names.ts';
import { RECONCILE_DISPATCH_EVERY_MINUTES } from '../../lib/aggregation/reconcile-dispatcher.ts';

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
  'api-connect': async () => (await import('../../functions/api-connect.ts')).handler,
  'api-fallback': async () => (await import('../../functions/api-fallback.ts')).handler,
  'mx-events': async () => (await import('../../functions/mx-events.ts')).handler,
  'api-docs': async () => (await import('../../functions/api-docs.ts')).handler,
};

/**
 * The consumer of each queue, how many batches it handles at once (Lambda's concurrent pollers), and its handler as
 * container `n` holds it: each poller loads the function's module as its own instance (a query on the URL), so no two
 * batches in flight share module state, as no two Lambda invocations at once share a container — nor do the pollers
 * of two queues one function consumes.
 */
export const queueWorkers: Record<
  QueueName,
  { name: string; concurrency: number; load: (container: number) => Promise<SqsLambda> }
> = {
  poll: consumer('worker-poll', 'poll', 2),
  'member-reports': consumer('worker-poll', 'member-reports', 2),
  reconcile: consumer('worker-poll', 'reconcile', 1),
  erasures: consumer('worker-poll', 'erasures', 1),
  delivery: consumer('worker-deliver', 'delivery', 4),
  'delivery-slow': consumer('worker-deliver', 'delivery-slow', 2),
  // Requests wait a second or two for their rate-limit slot: enough batches in flight to reach the default cap.
  'refresh-requests': consumer('events-refresh', 'refresh-requests', 5),
};

function consumer(name: string, queue: QueueName, concurrency: number) {
  return { name, concurrency, load: (container: number) => inContainer(name, `${queue}-${container}`) };
}

async function inContainer(name: string, container: string): Promise<SqsLambda> {
  const url = `${new URL(`../../functions/${name}.ts`, import.meta.url).href}?container=${container}`;
  return ((await import(url)) as { handler: SqsLambda }).handler;
}

/** What EventBridge schedules in AWS (infra/constructs/function-specs.ts `everyMinutes`) runs on a timer locally. */
export const scheduledFunctions: { name: string; everyMs: number; load: () => Promise<ScheduledLambda> }[] = [
  { name: 'sweeper', everyMs: 60_000, load: async () => (await import('../../functions/sweeper.ts')).handler },
  {
    name: 'reconcile-dispatch',
    everyMs: RECONCILE_DISPATCH_EVERY_MINUTES * 60_000,
    load: async () => (await import('../../functions/reconcile-dispatch.ts')).handler,
  },
];
