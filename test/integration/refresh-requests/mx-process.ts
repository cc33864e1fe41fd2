import { fork } from 'node:child_process';
import { once } from 'node:events';

export interface MxProcess {
  simulatorUrl: string;
  /** Where the code under test sends its MX calls: a recorder passing them on to the simulator. */
  recorderUrl: string;
  /** When each aggregate call reached the recorder (ms, the child's clock), in order of arrival. */
  aggregateCalls(): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * The MX simulator behind a call recorder, in a child process of its own: arrivals are timed there, on an idle
 * event loop, rather than on the busy loop of the code that sends them (which would blur them by its own lag).
 */
export async function startMxProcess(): Promise<MxProcess> {
  const child = fork(new URL('./mx-child.ts', import.meta.url).pathname, [], { execArgv: ['--import', 'tsx'] });
  const exited = once(child, 'exit');
  const [urls] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`MX process exited (${code}) before it was ready`))),
  ])) as [{ simulatorUrl: string; recorderUrl: string }];
  return {
    ...urls,
    async aggregateCalls() {
      const answer = once(child, 'message');
      child.send('aggregate-calls');
      const [{ aggregateCalls }] = (await answer) as [{ aggregateCalls: number[] }];
      return aggregateCalls;
    },
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}
