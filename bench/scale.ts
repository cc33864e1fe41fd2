import { startRemoteSide } from './support/remote-side.ts';
import type { BenchResult } from './support/report.ts';
import { fmt } from './support/stats.ts';
import { callBaseline } from './scale/baseline.ts';
import { startClientApp } from './scale/client-app.ts';
import { scaleCost } from './scale/cost.ts';
import { blockCosts, recordCostBlocks } from './scale/cost-blocks.ts';
import { noCpuWindow, profileSteadyState } from './scale/cpu-window.ts';
import { configureFunctions } from './scale/functions-env.ts';
import { jobFigures } from './scale/job-figures.ts';
import { measureUsage } from './scale/machine-usage.ts';
import { installMeters } from './scale/meters.ts';
import { recordMembersSeen } from './support/seen-members.ts';
import { reportProgress, startRefreshes } from './scale/refreshes.ts';
import { scaleReport } from './scale/report.ts';
import { awaitTerminalWebhooks, drainQueues, sweepOnceMore } from './scale/settle.ts';
import { simulatorControl } from './scale/simulator.ts';
import { startStack } from './scale/stack.ts';
import { scaleWorkload } from './scale/workload.ts';

/**
 * Scale: every member of many users refreshed through the local stack's own parts — the gateway serving
 * lib/route-table.ts with the real handler exports, the SQS pollers calling `worker-poll` and `worker-deliver`, the
 * sweeper on its timer — in real time, with dynalite, fauxqs and the MX simulator in a child process (so the stack
 * gets one core and the engines the other; `startLocalStack` would put all of it on one). A client app receives
 * the signed webhooks and verifies each with `standardwebhooks`. Counted on the way: every DynamoDB and SQS call
 * (SDK prototypes patched, attributed per job), every MX call (undici diagnostics), every handler invocation.
 * The steps live in bench/scale/; the workload's sizes in bench/scale/workload.ts.
 */
export async function run(): Promise<BenchResult> {
  const workload = scaleWorkload(process.env);
  const remote = await startRemoteSide();
  const apiKey = await configureFunctions(remote, workload.deliveryStallS);
  const meters = installMeters({ simulatorUrl: remote.simulatorUrl });
  const stack = await startStack(remote.engines, meters);
  const client = await startClientApp({ apiUrl: stack.url, apiKey, connections: workload.driverConcurrency });
  const simulator = simulatorControl(remote.simulatorUrl);
  const members = await simulator.seedMembers(workload.jobsTotal, workload.membersPerUser);
  await recordMembersSeen(remote.engines, members);
  meters.progress(`scale: ${workload.jobsTotal} members ready; refreshing`);

  // The meters count from the first refresh to the final sweep: the set-up and the drain stay out of the call figures.
  const usage = await measureUsage(remote, process.env.BENCH_SCALE_PROFILE);
  meters.start();
  const blocks = recordCostBlocks(meters.counted, () => client.terminalByJob.size, workload.jobsTotal);
  const t0 = performance.now();
  const cpuWindow = usage.profiling ? noCpuWindow() : profileSteadyState(() => client.terminalByJob.size, workload.jobsTotal);
  const refreshes = startRefreshes(client, members, workload, t0);
  const stopProgress = reportProgress(meters.progress, t0, refreshes, client);
  const refreshedAt = await refreshes.finished;
  const accepted = refreshes.jobOfMember.size;
  meters.progress(`scale: ${accepted} refreshes accepted in ${fmt((refreshedAt - t0) / 1000, 1)} s; waiting for webhooks`);
  const settling = { t0, refreshedAt, accepted, settleMs: workload.settleMs };
  const allTerminalAt = await awaitTerminalWebhooks(client, settling, meters.progress);
  const snapshots = blocks.stop();
  await sweepOnceMore(stack, allTerminalAt, workload.deliveryStallS, meters.progress);
  // The client app keeps recording while the queues drain, so a late duplicate still shows.
  meters.stop();
  await drainQueues(stack);
  stopProgress();
  cpuWindow.stop();
  const machineUsage = await usage.stop();
  const simCalls = await simulator.callCounts();

  await stack.stop();
  await client.stop();
  await simulator.close();
  meters.restore();
  await remote.stop();

  const { counted } = meters;
  const wallSeconds = ((allTerminalAt || performance.now()) - t0) / 1000;
  const figures = jobFigures(counted.byOwner, refreshes.jobOfMember, client);
  const cost = scaleCost(counted, figures.perJob, machineUsage.stackCpu);
  const baseline = callBaseline({ jobs: figures.jobs, costPerMillion: cost.total, rows: counted.ledger.rows });
  const { markdown, checks } = scaleReport({
    workload,
    counted,
    figures,
    cost,
    refreshes: {
      accepted,
      refused: refreshes.errors.length,
      latencies: refreshes.latencies,
      seconds: (refreshedAt - t0) / 1000,
    },
    received: { started: client.started, rejected: client.rejected, notified: client.terminalByJob.size },
    wallSeconds,
    usage: machineUsage,
    window: cpuWindow.window,
    simCalls,
    baseline,
    blockCosts: blockCosts(snapshots, figures.perJob),
  });
  return { id: 'scale', title: '5. Scale', markdown, checks };
}
