import { silentLog } from '../../lib/logger.ts';
import type { MetricsSink } from '../../lib/metrics.ts';
import { type BudgetPriority, MxBudgetSpent, MxCallBudget } from '../../lib/mx/call-budget.ts';
import { CircuitBreaker } from '../../lib/mx/circuit-breaker.ts';
import { MxError } from '../../lib/mx/errors.ts';
import { classifyFailure, isRetryableFailure, RetryPolicy } from '../../lib/mx/retry-policy.ts';
import type { WindowCounter } from '../../lib/store/rate-limit-repo.ts';
import type { VirtualTime } from './virtual-time.ts';

/** One Lambda container's side of MX as deployed: its own breaker, its own share of the budget, the retry policy. */
export interface MxContainer {
  id: number;
  fn: string;
  priority: BudgetPriority;
  breaker: CircuitBreaker;
  budget: MxCallBudget;
  retry: RetryPolicy;
}

/** MX as the simulation has it, down or up at a moment; and what the simulation counts of the calls to it. */
export interface SimulatedMx {
  up(at: number): boolean;
  /** How long MX takes to answer an attempt it fails (a 503). */
  failMs: number;
  /** A call asked of the container's breaker (`heldMs` > 0: held); an attempt sent. */
  asked(container: MxContainer, at: number, heldMs: number): void;
  sent(container: MxContainer, at: number): void;
}

export interface MxContainerSetup {
  time: VirtualTime;
  counter: WindowCounter;
  perSecond: number;
  retryBudgetMs: number;
  random: () => number;
  /** Each container's metrics, its own breaker's and budget's among them. */
  metrics: (container: () => MxContainer) => MetricsSink;
}

const ROUTE = { method: 'GET', route: '/users/{user_guid}/members' } as const;

/** A container of `fn` with its own breaker and budget share over the one shared counter, as a composition builds it. */
export function newContainer(setup: MxContainerSetup, id: number, fn: string, priority: BudgetPriority): MxContainer {
  const { time, counter, perSecond, random } = setup;
  let self: MxContainer | undefined;
  const metrics = setup.metrics(() => self!);
  const budget = new MxCallBudget({
    counter,
    upstream: 'mx-data',
    perSecond,
    priority,
    random,
    clock: time.clock,
    log: silentLog,
    metrics,
    sleep: (ms) => time.sleep(ms),
  });
  const breaker = new CircuitBreaker({ upstream: 'mx-data', priority, clock: time.clock, log: silentLog, metrics });
  const retry = new RetryPolicy({ budgetMs: setup.retryBudgetMs, timer: time.timer, random });
  self = { id, fn, priority, breaker, budget, retry };
  return self;
}

/** The breaker's word on a call, MxTransport's first step: 0 to send it, else how long it is held. */
export function admitMx(container: MxContainer, mx: SimulatedMx, time: VirtualTime): number {
  const heldMs = container.breaker.admit();
  mx.asked(container, time.now(), heldMs);
  return heldMs;
}

/** One MX call the way MxTransport makes it (lib/mx/transport.ts): held by the breaker, or sent (`sendMx`). */
export async function callMx(container: MxContainer, mx: SimulatedMx, time: VirtualTime, attemptMs: number): Promise<number> {
  const heldMs = admitMx(container, mx, time);
  if (heldMs > 0) throw new MxError('MX_CIRCUIT_OPEN', 'held', { ...ROUTE, retryAfterSeconds: Math.ceil(heldMs / 1000) });
  return sendMx(container, mx, time, attemptMs);
}

/**
 * A call the breaker admitted, the way MxTransport sends it: each attempt spends the budget and is retried by the policy;
 * a refusal of the budget at the first attempt frees a probe. MX's answer takes `attemptMs` when it is up; down, it
 * fails each attempt with a 503. Answers when the attempt MX served was sent.
 */
export async function sendMx(container: MxContainer, mx: SimulatedMx, time: VirtualTime, attemptMs: number): Promise<number> {
  const { breaker, budget, retry } = container;
  let attempts = 0;
  let sentAt = 0;
  try {
    await retry.run(
      async (attempt) => {
        attempts = attempt;
        try {
          await budget.take();
        } catch (error) {
          if (!(error instanceof MxBudgetSpent)) throw error;
          const retryAfterSeconds = Math.ceil(error.retryAfterMs / 1000);
          throw new MxError('MX_BUDGET_SPENT', 'spent', { ...ROUTE, retryAfterSeconds, cause: error });
        }
        sentAt = time.now();
        mx.sent(container, sentAt);
        const served = mx.up(sentAt);
        await time.sleep(served ? attemptMs : mx.failMs);
        if (!served) throw new MxError('MX_UPSTREAM_ERROR', 'MX is down', { ...ROUTE, status: 503 });
      },
      {
        deadline: retry.newDeadline(),
        isRetryable: (error) => (error as MxError).code !== 'MX_BUDGET_SPENT' && isRetryableFailure(error, true),
      },
    );
    breaker.record(true);
    return sentAt;
  } catch (error) {
    const code = (error as MxError).code;
    if (code === 'MX_BUDGET_SPENT' && attempts <= 1) breaker.release();
    else breaker.record(code !== 'MX_BUDGET_SPENT' && classifyFailure(error) === 'final');
    throw error;
  }
}
