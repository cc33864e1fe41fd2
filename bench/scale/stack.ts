import { MX_WORK_QUEUES } from '../../lib/queue/queue-names.ts';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { FunctionName } from '../../infra/constructs/function-specs.ts';
import { startGateway } from '../../infra/local/gateway.ts';
import { type HttpLambda, type SqsLambda, httpFunctions, queueWorkers, scheduledFunctions } from '../../infra/local/handlers.ts';
import { lambdaContext } from '../../infra/local/lambda-context.ts';
import { startPoller } from '../../infra/local/sqs-poller.ts';
import type { SweepReport } from '../../lib/aggregation/sweeper.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import type { EnginesAddress } from '../support/remote-side.ts';
import type { Meters } from './meters.ts';

/** The stack under load: its API, and what the run does with it once refreshes are in. */
export interface ScaleStack {
  url: string;
  /** Runs every scheduled function (the sweeper) once more, one after the other. */
  sweep(): Promise<void>;
  /** Messages in the stack's queues: visible, in flight and delayed. */
  queueDepth(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The local stack's own parts, wired as startLocalStack wires them — the gateway serving lib/route-table.ts with the
 * real handler exports, the SQS pollers calling `worker-poll` and `worker-deliver`, the sweeper on its timer. Wired
 * here rather than by startLocalStack so the engines and the simulator stay in the remote side's process (the stack
 * keeps a core of its own) and every invocation and sweep report passes through the meters.
 */
export async function startStack(engines: EnginesAddress, meters: Meters): Promise<ScaleStack> {
  // The gateway loads each HTTP function through these loaders: wrapped, every API invocation is counted.
  for (const name of Object.keys(httpFunctions) as (keyof typeof httpFunctions)[]) {
    const load = httpFunctions[name];
    httpFunctions[name] = async () => meters.invocationsOf(name, await load()) as HttpLambda;
  }
  const sqs = createSqsClient({ region: engines.region, sqsEndpoint: engines.sqsEndpoint });
  const pollers = ([...MX_WORK_QUEUES, 'delivery', 'delivery-slow'] as const).map((role) => {
    const worker = queueWorkers[role];
    return startPoller({
      sqs,
      queueUrl: engines.queueUrls[role],
      functionName: worker.name,
      handler: async (container) => meters.invocationsOf(worker.name as FunctionName, await worker.load(container)) as SqsLambda,
      concurrency: role === 'delivery' ? 4 : role === 'poll' || role === 'delivery-slow' ? 2 : 1,
    });
  });
  const sweepNow = await Promise.all(
    scheduledFunctions.map(async (scheduled) => {
      const handler = meters.invocationsOf(scheduled.name as FunctionName, await scheduled.load());
      return () => handler({}, lambdaContext(scheduled.name)).then((report) => meters.countSweep(report as SweepReport));
    }),
  );
  const sweeperTimers = sweepNow.map((sweep, i) => {
    const timer = setInterval(() => void sweep().catch(() => {}), scheduledFunctions[i]!.everyMs);
    timer.unref();
    return timer;
  });
  const gateway = await startGateway({ port: 0 });

  return {
    url: gateway.url,
    async sweep() {
      for (const sweep of sweepNow) await sweep();
    },
    async queueDepth() {
      let depth = 0;
      for (const url of Object.values(engines.queueUrls)) {
        const { Attributes = {} } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: [
              'ApproximateNumberOfMessages',
              'ApproximateNumberOfMessagesNotVisible',
              'ApproximateNumberOfMessagesDelayed',
            ],
          }),
        );
        depth += Object.values(Attributes).reduce((total, value) => total + Number(value), 0);
      }
      return depth;
    },
    async stop() {
      for (const poller of pollers) await poller.stop();
      for (const timer of sweeperTimers) clearInterval(timer);
      await gateway.close();
      sqs.destroy();
    },
  };
}
