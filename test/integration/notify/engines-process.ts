import { fork } from 'node:child_process';
import { once } from 'node:events';
import type { LocalEngines, StartEnginesOptions } from '../../../infra/local/engines.ts';

type EnginesAddress = Omit<LocalEngines, 'stop'>;

/**
 * The local engines (dynalite, fauxqs) in a child process of their own, for load tests: the engines then use
 * one core while the code under test uses the other. Stops with the test, or with this process.
 */
export async function startEnginesProcess(options: StartEnginesOptions = {}): Promise<LocalEngines> {
  const child = fork(new URL('./engines-child.ts', import.meta.url).pathname, [JSON.stringify(options)], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const exited = once(child, 'exit');
  const [engines] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`engines process exited (${code}) before it was ready`))),
  ])) as [EnginesAddress];
  return {
    ...engines,
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}
