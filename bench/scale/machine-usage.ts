import { writeFileSync } from 'node:fs';
import type { RemoteSide } from '../support/remote-side.ts';

/** What the run cost the machine: CPU of both processes, and their peak resident memory. */
export interface MachineUsage {
  /** The stack process's CPU time, µs. */
  stackCpu: NodeJS.CpuUsage;
  /** The remote side's (engines and simulator) CPU time, ms. */
  remoteCpuMs: number;
  /** Peak resident set size of the stack process (`parent`) and of the remote side, bytes. */
  peakRss: { parent: number; remote: number };
}

export interface UsageMeter {
  /** Whether a CPU profile of the whole run is being taken (`BENCH_SCALE_PROFILE`). */
  profiling: boolean;
  stop(): Promise<MachineUsage>;
}

const RSS_SAMPLE_MS = 250;

/**
 * Starts measuring the run's use of the machine, and — when `profilePath` is given — a CPU profile of the stack
 * process over the whole run, written there when it stops. The profile starts first and stops after the stack's CPU
 * is read, so starting it and writing it stay out of the CPU figure. The inspector loads only when asked for.
 */
export async function measureUsage(remote: RemoteSide, profilePath: string | undefined): Promise<UsageMeter> {
  const profiler = profilePath ? new (await import('node:inspector/promises')).Session() : undefined;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.setSamplingInterval', { interval: 500 });
    await profiler.post('Profiler.start');
  }
  const cpuBefore = process.cpuUsage();
  const remoteCpuBefore = await remote.cpuMs();
  let rssPeak = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), RSS_SAMPLE_MS);
  return {
    profiling: profiler !== undefined,
    async stop() {
      clearInterval(rssTimer);
      const stackCpu = process.cpuUsage(cpuBefore);
      if (profiler) {
        const { profile } = await profiler.post('Profiler.stop');
        writeFileSync(profilePath!, JSON.stringify(profile));
        profiler.disconnect();
      }
      const remoteCpuMs = (await remote.cpuMs()) - remoteCpuBefore;
      const peakRss = { parent: Math.max(rssPeak, process.resourceUsage().maxRSS * 1024), remote: await remote.peakRssBytes() };
      return { stackCpu, remoteCpuMs, peakRss };
    },
  };
}
