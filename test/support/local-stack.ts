import { afterAll, beforeAll } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';

/**
 * The whole local stack (gateway, every function, dynalite, fauxqs, the MX simulator) for a test file, on free ports
 * and logging errors only: started once before its tests and stopped after them. `onStart` is handed it once started.
 * With `logLines`, it logs at DEBUG and every line it writes is kept there instead of printed (for secret scans).
 */
export function useLocalStack(onStart: (stack: LocalStack) => unknown, { logLines }: { logLines?: string[] } = {}): void {
  let stack: LocalStack | undefined;
  const writeStdout = process.stdout.write.bind(process.stdout);
  beforeAll(async () => {
    if (logLines) {
      process.stdout.write = ((chunk: string | Uint8Array) => logLines.push(String(chunk)) > 0) as typeof process.stdout.write;
    }
    stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: logLines ? 'DEBUG' : 'ERROR' } });
    await onStart(stack);
  }, 60_000);
  afterAll(async () => {
    process.stdout.write = writeStdout;
    await stack?.stop();
  });
}
