import { fmt } from '../support/stats.ts';
import type { ClientApp } from './client-app.ts';
import type { ScaleStack } from './stack.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits until every accepted refresh has its terminal webhook, or `settleMs` after the last refresh was answered.
 * Returns when the last terminal webhook arrived (0 if none did).
 */
export async function awaitTerminalWebhooks(
  client: Pick<ClientApp, 'terminalByJob' | 'lastTerminalAt'>,
  run: { t0: number; refreshedAt: number; accepted: number; settleMs: number },
  print: (line: string) => void,
): Promise<number> {
  let lastReport = performance.now();
  while (client.terminalByJob.size < run.accepted && performance.now() - run.refreshedAt < run.settleMs) {
    await sleep(250);
    if (performance.now() - lastReport > 15_000) {
      print(
        `scale: ${client.terminalByJob.size}/${run.accepted} terminal webhooks after ${fmt((performance.now() - run.t0) / 1000, 0)} s`,
      );
      lastReport = performance.now();
    }
  }
  return client.lastTerminalAt;
}

/**
 * One more sweep once the last deliveries are a stall window old: it reads the rest of the delivery log, so every
 * delivery of the run is read by a sweep once (the deployed sweeper's cost per delivery).
 */
export async function sweepOnceMore(
  stack: Pick<ScaleStack, 'sweep'>,
  lastTerminalAt: number,
  deliveryStallS: number,
  print: (line: string) => void,
): Promise<void> {
  const finalSweepAt = lastTerminalAt + deliveryStallS * 1000 + 1_000;
  print(`scale: all terminal webhooks in; one more sweep in ${fmt((finalSweepAt - performance.now()) / 1000, 0)} s`);
  await sleep(Math.max(0, finalSweepAt - performance.now()));
  await stack.sweep();
}

/** Waits (for a bounded time) until the stack's queues are empty, so in-flight work ends before the stack stops. */
export async function drainQueues(stack: Pick<ScaleStack, 'queueDepth'>): Promise<void> {
  const drainStarted = performance.now();
  while ((await stack.queueDepth()) > 0 && performance.now() - drainStarted < 30_000) await sleep(250);
}
