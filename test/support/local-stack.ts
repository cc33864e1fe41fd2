import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';

/**
 * The whole local stack (gateway, every function, dynalite, fauxqs, the MX simulator) for a test file, on free ports
 * and logging errors only: started once before its tests and stopped after them. `onStart` is handed it once started.
 */
export function useLocalStack(onStart: (stack: LocalStack) => void): void {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
    onStart(stack);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });
}
