import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { type LogContext, withLogContext } from '../log-context.ts';
import type { Runtime, RuntimeConfig } from './runtime.ts';

/** Around every handler: Lambda's context in each log line, a `ColdStart` metric, metrics flushed however it ends. */
export function observability({ metrics, log }: Runtime<RuntimeConfig>): MiddlewareObj[] {
  const flush = () => metrics.flush();
  let firstInvocation = true;
  const coldStartAndFlush: MiddlewareObj = {
    before: (request) => {
      if (!firstInvocation) return;
      firstInvocation = false;
      metrics.coldStart(shortFunctionName((request.context as Context).functionName));
    },
    after: flush,
    onError: flush,
  };
  return [injectLambdaContext(log.powertools), coldStartAndFlush];
}

/** The same dimension value in every environment and locally. */
const shortFunctionName = (name: string | undefined): string => (name ?? 'unknown').replace(/^nexus-relay-[a-z]+-/, '');

/** Runs `handler` with the invocation's ids and `contextOf(event)` in its log context. */
export function inLogContext<E, C extends Pick<Context, 'functionName' | 'awsRequestId'> | undefined, R>(
  handler: (event: E, context: C) => Promise<R>,
  contextOf: (event: E) => LogContext = () => ({}),
): (event: E, context: C) => Promise<R> {
  return (event, context) =>
    withLogContext(
      {
        ...(context?.functionName ? { function_name: context.functionName } : {}),
        ...(context?.awsRequestId ? { function_request_id: context.awsRequestId } : {}),
        ...contextOf(event),
      },
      () => handler(event, context),
    );
}
