import { fmt } from '../support/stats.ts';
import type { ClientApp } from './client-app.ts';
import type { SimMember } from './simulator.ts';
import type { ScaleWorkload } from './workload.ts';

/** The refreshes sent so far. */
export interface Refreshes {
  /** The job each accepted refresh started, by member guid. */
  jobOfMember: Map<string, string>;
  /** Each refresh's response time, ms. */
  latencies: number[];
  /** The refreshes not accepted: status and the start of the body. */
  errors: string[];
  /** When the last refresh was answered (`performance.now()`), once all are. */
  finished: Promise<number>;
}

/**
 * Refreshes every member through the client app, `driverConcurrency` at a time, holding back while `maxInFlight`
 * jobs await their terminal webhook (see ScaleWorkload) and sending none once `timeoutMs` has passed since `t0`.
 */
export function startRefreshes(
  client: ClientApp,
  members: SimMember[],
  workload: Pick<ScaleWorkload, 'jobsTotal' | 'driverConcurrency' | 'maxInFlight' | 'timeoutMs'>,
  t0: number,
): Refreshes {
  const jobOfMember = new Map<string, string>();
  const latencies: number[] = [];
  const errors: string[] = [];
  let next = 0;
  const drivers = Array.from({ length: workload.driverConcurrency }, async () => {
    for (let i = next++; i < workload.jobsTotal; i = next++) {
      while (i - client.terminalByJob.size >= workload.maxInFlight) await new Promise((resolve) => setTimeout(resolve, 20));
      if (performance.now() - t0 > workload.timeoutMs) break;
      const { userId, guid } = members[i]!;
      const t = performance.now();
      const { statusCode, body } = await client.refresh(userId, guid);
      latencies.push(performance.now() - t);
      if (statusCode !== 202 || !body.job) errors.push(`${statusCode} ${JSON.stringify(body).slice(0, 200)}`);
      else jobOfMember.set(guid, body.job.id);
    }
  });
  return { jobOfMember, latencies, errors, finished: Promise.all(drivers).then(() => performance.now()) };
}

/** Prints how far the run is at intervals, until the returned function is called. */
export function reportProgress(
  print: (line: string) => void,
  t0: number,
  refreshes: Pick<Refreshes, 'jobOfMember'>,
  client: Pick<ClientApp, 'terminalByJob'>,
): () => void {
  const timer = setInterval(
    () =>
      print(
        `scale: ${refreshes.jobOfMember.size} refreshed, ${client.terminalByJob.size} notified after ${fmt((performance.now() - t0) / 1000, 0)} s`,
      ),
    30_000,
  );
  return () => clearInterval(timer);
}
