import { mkdirSync, writeFileSync } from 'node:fs';
import type { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { profileByOwner } from '../support/attribution.ts';
import { WORK_DIR } from '../support/report.ts';

/** Where the stack's CPU goes in steady state; `jobs` stays 0 when no window was profiled. */
export interface CpuWindow {
  cpuMs: number;
  /** Jobs notified during the window: the window's CPU per job is `cpuMs / jobs`. */
  jobs: number;
  /** Self time by owner (attribution.ts), ms. */
  owners: Map<string, number>;
}

/** Where the window's profile is written, for a closer look. */
export const CPU_WINDOW_PROFILE = join(WORK_DIR, 'scale-window.cpuprofile');

const CHECK_EVERY_MS = 250;
/** The window opens once this share of the jobs is notified (the stack is past its start-up) … */
const OPENS_AT_SHARE_NOTIFIED = 0.3;
/** … and stays open this long. */
const WINDOW_MS = 20_000;
const SAMPLING_INTERVAL_US = 1000;

/**
 * A CPU profile of the stack process over a window of steady state: where its CPU per job goes. Sampling every
 * SAMPLING_INTERVAL_US costs little; the window's CPU and jobs are counted so the profile can be read per job.
 * The returned window is filled in when the profile is read, after the window closes.
 */
export function profileSteadyState(notified: () => number, jobsTotal: number): { window: CpuWindow; stop(): void } {
  const window: CpuWindow = { cpuMs: 0, jobs: 0, owners: new Map() };
  let session: Session | undefined;
  let startedAt = 0;
  let done = false;
  let cpuBefore = process.cpuUsage();
  let jobsBefore = 0;
  const timer = setInterval(() => {
    if (done) return;
    if (!session && notified() >= jobsTotal * OPENS_AT_SHARE_NOTIFIED) {
      void (async () => {
        const { Session } = await import('node:inspector/promises');
        session = new Session();
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
        await session.post('Profiler.start');
        startedAt = performance.now();
        cpuBefore = process.cpuUsage();
        jobsBefore = notified();
      })();
    } else if (session && startedAt > 0 && performance.now() - startedAt > WINDOW_MS) {
      done = true;
      const closing = session;
      void (async () => {
        const { profile } = await closing.post('Profiler.stop');
        const cpu = process.cpuUsage(cpuBefore);
        window.cpuMs = (cpu.user + cpu.system) / 1000;
        window.jobs = notified() - jobsBefore;
        closing.disconnect();
        mkdirSync(WORK_DIR, { recursive: true });
        writeFileSync(CPU_WINDOW_PROFILE, JSON.stringify(profile));
        window.owners = profileByOwner(CPU_WINDOW_PROFILE);
      })();
    }
  }, CHECK_EVERY_MS);
  return { window, stop: () => clearInterval(timer) };
}

/** No window: the whole-run profile (machine-usage.ts) takes its place when asked for. */
export const noCpuWindow = (): { window: CpuWindow; stop(): void } => ({
  window: { cpuMs: 0, jobs: 0, owners: new Map() },
  stop: () => {},
});
