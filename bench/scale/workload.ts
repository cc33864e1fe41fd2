/** What the scale run does: how many members it refreshes, how hard it drives the stack, how long it waits. */
export interface ScaleWorkload {
  users: number;
  membersPerUser: number;
  /** Refreshes in all: one per member. */
  jobsTotal: number;
  /** Refreshes sent at once. */
  driverConcurrency: number;
  /**
   * At most this many jobs between their refresh and their terminal webhook: the driver waits below it, so the run
   * measures the stack at the rate it can sustain instead of building a queue backlog (a backlog older than the
   * sweeper's STALLED_AFTER_MS makes it re-poll every waiting job: it cannot tell a lost poll message from a late one).
   */
  maxInFlight: number;
  /** No refresh is sent after this; jobs already started get `settleMs` more to end (a job takes seconds when the stack keeps up). */
  timeoutMs: number;
  settleMs: number;
  /** The delivery stall window of the run's sweeper (see the functions' environment, functions-env.ts). */
  deliveryStallS: number;
}

/** The workload, with the sizes `BENCH_SCALE_USERS`, `BENCH_SCALE_DRIVERS` and `BENCH_SCALE_TIMEOUT_S` override. */
export function scaleWorkload(env: NodeJS.ProcessEnv): ScaleWorkload {
  const users = Number(env.BENCH_SCALE_USERS ?? 1_000);
  const membersPerUser = 10;
  return {
    users,
    membersPerUser,
    jobsTotal: users * membersPerUser,
    driverConcurrency: Number(env.BENCH_SCALE_DRIVERS ?? 16),
    maxInFlight: 300,
    timeoutMs: Number(env.BENCH_SCALE_TIMEOUT_S ?? 900) * 1000,
    settleMs: 120_000,
    deliveryStallS: 20,
  };
}
