import { answerUnrouted } from '../http/fallback-route.ts';
import { httpHandler } from './http-handler.ts';
import { type Given, type RuntimeConfig, runtimeOf } from './runtime.ts';

/** api-fallback: HttpApi's `$default`, problem+json 404 and 405. */
export function composeApiFallback(config: RuntimeConfig, given?: Given) {
  const runtime = runtimeOf(config, given);
  return { handler: httpHandler(runtime, [], undefined, { fallback: answerUnrouted }), runtime };
}
