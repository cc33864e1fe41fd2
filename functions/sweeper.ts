import middy from '@middy/core';
import { getServices } from '../lib/services/container.ts';
import { inLogContext, observability } from '../lib/services/observability.ts';
import { sweeper } from '../lib/services/sweeper.ts';

const services = getServices();

/** Runs on a schedule (EventBridge in AWS, a timer locally): puts stalled jobs back on the poll loop. */
export const handler = inLogContext(middy(() => sweeper(services).sweep()).use(observability(services)));
