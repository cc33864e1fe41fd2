import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { LocalEngines } from '../../infra/local/engines.ts';

export type EnginesAddress = Omit<LocalEngines, 'stop'>;

export interface RemoteSide {
  engines: EnginesAddress;
  simulatorUrl: string;
  /** CPU time (user + system, ms) the remote process has used so far. */
  cpuMs(): Promise<number>;
  /** The remote process's peak resident set size so far, in bytes. */
  peakRssBytes(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts dynalite, fauxqs and the MX simulator (system clock) in a child process (see remote-child.ts). */
export async function startRemoteSide(): Promise<RemoteSide> {
  const child: ChildProcess = fork(fileURLToPath(new URL('./remote-child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const [ready] = (await Promise.race([
    once(child, 'message'),
    exited.then(([code]) => Promise.reject(new Error(`remote side exited (${code}) before it was ready`))),
  ])) as [{ kind: 'ready'; engines: EnginesAddress; simulatorUrl: string }];
  const ask = () => {
    const reply = once(child, 'message') as Promise<[{ kind: 'cpu'; usage: NodeJS.CpuUsage; maxRssKiB: number }]>;
    child.send('cpu');
    return reply;
  };
  return {
    engines: ready.engines,
    simulatorUrl: ready.simulatorUrl,
    async cpuMs() {
      const [{ usage }] = await ask();
      return (usage.user + usage.system) / 1000;
    },
    async peakRssBytes() {
      const [{ maxRssKiB }] = await ask();
      return maxRssKiB * 1024;
    },
    async stop() {
      child.send('stop');
      await exited;
    },
  };
}
