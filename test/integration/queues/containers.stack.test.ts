import { afterAll, beforeAll, expect, it } from 'vitest';
import { queueWorkers } from '../../../infra/local/handlers.ts';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';

/**
 * Lambda gives each invocation in flight a container of its own, so a function keeps per-container state (Powertools'
 * BatchProcessor holds the batch it handles). The local pollers, which run several batches of a function at once,
 * load its module once per poller: one module instance, one handler, per container.
 */
let stack: LocalStack;
beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
});
afterAll(async () => {
  await stack?.stop();
});

it('each container of a queue consumer holds its own handler; the same container, the same one', async () => {
  for (const worker of Object.values(queueWorkers)) {
    const [first, second, firstAgain] = await Promise.all([worker.load(0), worker.load(1), worker.load(0)]);
    expect(first, worker.name).not.toBe(second);
    expect(firstAgain, worker.name).toBe(first);
  }
});
