import { describe, expect, it } from 'vitest';
import { assess, atFunctionSizes, type Measured, TURN_CONSUMER } from '../../../bench/capacity-model.ts';
import { calls, measured, units } from './capacity-fixture.ts';
import { FUNCTION_SPECS } from '../../../infra/constructs/function-specs.ts';
import { dailyVolumes, scaled, heldReads, WORKLOAD } from '../../../bench/workload.ts';
import { ENVIRONMENTS } from '../../../infra/environments.ts';

/** Every report read as it comes: decision 0037's setting off. */
const readAtOnce = { ...ENVIRONMENTS.prod, mxBackgroundAtTurn: false };
describe('the workload', () => {
  it('aggregates at night only the members not needing their user', () => {
    const day = dailyVolumes(WORKLOAD);
    expect(day.aggregated).toBeCloseTo(3_000_000 * 0.9, 6);
    // Half the users sync 4 times; the others' opens each begin with a read that opens the session.
    expect(day.syncs).toBe(2_000_000);
    expect(day.readsOpeningSession).toBe(4 * 500_000);
    expect(day.reads + day.readsOpeningSession).toBe(5_000_000);
  });

  it('keeps a share a share when it is doubled', () => {
    expect(scaled({ ...WORKLOAD, syncingShare: 0.8 }, 'syncingShare', 2).syncingShare).toBe(1);
    expect(scaled(WORKLOAD, 'users', 2).users).toBe(2_000_000);
  });
});

describe('assess', () => {
  const on = assess(WORKLOAD, measured, readAtOnce);

  it("counts the relay's own MX calls apart from apps', by the work that made them", () => {
    // 2.7 aggregations a user: half of them a syncing user's (5 calls), half not (3).
    expect(on.mxCalls.relay['nightly reports, syncing users']!.transactions).toBeCloseTo(1.35 * 2, 9);
    expect(on.mxCalls.relay['nightly reports, other users']!.session).toBeCloseTo(1.35 * 2, 9);
    // A refresh's poll step and the ingest at its end (half the users sync) are the relay's; its session and aggregate
    // call the app's.
    expect(on.mxCalls.relay['refresh follow-ups (poll steps, ingest)']).toEqual(calls({ read: 1, transactions: 0.5 }));
    expect(on.mxCalls.apps['refreshes (session, aggregate)']).toEqual(calls({ session: 2, job: 1 }));
    // The reconcile's 0.5 reads a user a day, each making its session.
    expect(on.mxCalls.relay['reconcile reads']).toEqual(calls({ session: 1, read: 0.5 }));
    expect(on.relayCallsPerUserDay).toBeCloseTo(1.35 * 5 + 1.35 * 3 + 1.5 + 1.5, 9);
  });

  it('without MX’s webhooks, every reconcile turn reads the user and finds the wave', () => {
    const off = assess({ ...WORKLOAD, webhooks: 'off' }, measured, readAtOnce);
    expect(off.perDay['mx-webhook']).toBe(0);
    expect(on.perDay['mx-webhook']).toBeCloseTo(2_700_000 * 5 + 1_000_000, 6);
    // 4 turns a day, each a read that makes its session; the nightly reports add only their ingest.
    expect(off.mxCalls.relay['reconcile reads']).toEqual(calls({ session: 8, read: 4 }));
    expect(off.mxCalls.relay['nightly reports, syncing users']).toEqual(calls({ transactions: 1.35 * 2 }));
    expect(off.mxCalls.relay['nightly reports, other users']).toEqual(calls());
    expect(off.perDay['read-lapsed'] - on.perDay['read-lapsed']).toBeCloseTo(1_000_000 * (4 - 0.5), 6);
  });

  it("weighs SSO's API tokens against the SSO host's budget, the rest against the data host's", () => {
    const withTokens = (tokensPerSessionCall: number) => {
      // Only the calls that open sessions: an API token (SSO) and POST /sessions (data) for each session.
      const only = Object.fromEntries(
        Object.entries(units).map(([k, u]) => [
          k,
          { ...u, mxCalls: calls({ session: u.mxCalls.session }), ssoCalls: u.mxCalls.session * tokensPerSessionCall },
        ]),
      ) as typeof units;
      const a = assess(WORKLOAD, { ...measured, units: { ...measured.units, units: only } }, readAtOnce);
      const need = (host: string) => a.components.find((c) => c.name.startsWith(`MX call budget, ${host} host`))!.need;
      const quota = (host: string) => a.quotas.find((q) => q.name.startsWith(`MX ${host} host`))!.need;
      return { data: need('data'), sso: need('SSO'), dataQuota: quota('data'), ssoQuota: quota('SSO') };
    };
    const noTokens = withTokens(0);
    expect(noTokens.data).toBeGreaterThan(0);
    expect(noTokens.sso).toBe(0);
    // Half of those calls are API tokens: half the peak's calls move to the SSO host, none counted twice.
    const half = withTokens(0.5);
    expect(half.sso).toBeCloseTo(noTokens.data / 2, 6);
    expect(half.data).toBeCloseTo(noTokens.data / 2, 6);
    expect(half.dataQuota).toBeCloseTo(half.data, 6);
    expect(half.ssoQuota).toBeCloseTo(half.sso, 6);
  });

  it('counts the connections MX sees an address: one to each host an execution calls, a worker one a message', () => {
    // Only syncs (api-read: MX's SSO and data hosts), poll steps (worker-poll: the data host) and refreshes take any
    // time; a refresh's unit holds the poll step that ends it, worker-poll's.
    const timed: Partial<Record<string, Partial<(typeof units)['sync']>>> = {
      sync: { function: 'api-read', lambdaMs: 1_000, ssoCalls: 1, mxCalls: calls({ session: 2, transactions: 1 }) },
      poll: { function: 'worker-poll', lambdaMs: 100, ssoCalls: 0, mxCalls: calls({ read: 1 }) },
      refresh: {
        function: 'api-refresh',
        lambdaMs: 1_000,
        batchedMs: 100,
        ssoCalls: 1,
        mxCalls: calls({ session: 2, job: 1, read: 1 }),
      },
    };
    const only = Object.fromEntries(
      Object.entries(units).map(([k, u]) => [
        k,
        timed[k] ? { ...u, ...timed[k] } : { ...u, lambdaMs: 0, ssoCalls: 0, mxCalls: calls() },
      ]),
    ) as typeof units;
    const a = assess(WORKLOAD, { ...measured, units: { ...measured.units, units: only } }, readAtOnce);
    // The peak: 2M syncs and 0.5M refreshes of syncing users a day at 10× the average, each refresh polled 5 times.
    const syncs = (2_000_000 / 86_400) * 10;
    // Four steps a refresh besides the one that ends it, which its unit holds.
    const polls = (1_000_000 / 86_400) * 10 * 4;
    const refreshes = (500_000 / 86_400) * 10;
    const connections = syncs * 1 * 2 + refreshes * 0.9 * 2 + (polls + refreshes) * 0.1 * 10;
    expect(a.quotas.find((q) => q.name.startsWith('MX connections'))!.need).toBeCloseTo(connections, 6);
    const usual = a.components.find((c) => c.name.startsWith('MX connections an address'))!;
    const addresses = ENVIRONMENTS.prod.mxEgressNatGateways * ENVIRONMENTS.prod.mxEgressAddressesPerGateway;
    expect(usual.need).toBeCloseTo(connections / addresses, 6);
    // On MX's slow day each call lasts longer: a sync's one after another, a batch's ten side by side.
    const slow = a.slowComponents.find((c) => c.name.startsWith('MX connections an address'))!;
    const longer = (measured.slow.latencyMs - measured.usual.latencyMs) / 1000;
    // A refresh's own three calls in its request; its poll step's one read shared by the batch's ten.
    const apiRefresh = refreshes * (0.9 + longer * 3);
    const pollSteps = (polls + refreshes) * (0.1 + longer / 10);
    expect(slow.need).toBeCloseTo((syncs * (1 + longer * 3) * 2 + apiRefresh * 2 + pollSteps * 10) / addresses, 6);
    // The functions' executions stretch the same way, and are judged against their reservations on the slow day too.
    const slowRow = (name: string) => a.slowComponents.find((c) => c.name.startsWith(`Lambda, ${name}`))!;
    expect(slowRow('api-read').need).toBeCloseTo(syncs * (1 + longer * 3), 6);
    expect(slowRow('api-read').name).toMatch(/MX at 1000 ms$/);
    expect(slowRow('api-refresh').need).toBeCloseTo(apiRefresh, 6);
  });

  it('finds the ceiling where the tightest component is full, in proportion to the users', () => {
    const tightest = on.components.reduce((a, b) => (a.capacity / a.need <= b.capacity / b.need ? a : b));
    expect(on.ceiling.component).toBe(tightest.name);
    expect(on.ceiling.users).toBeCloseTo((1_000_000 * tightest.capacity) / tightest.need, 3);
    expect(assess(scaled(WORKLOAD, 'users', 2), measured, readAtOnce).ceiling.users).toBeCloseTo(on.ceiling.users, 3);
  });

  it('prices 1M nightly aggregations by what they add, whatever else the month holds', () => {
    expect(on.perMillionAggregations).toBeGreaterThan(0);
    const busier = assess(scaled(WORKLOAD, 'refreshesPerUserDay', 2), measured, readAtOnce);
    expect(busier.perMillionAggregations).toBeCloseTo(on.perMillionAggregations, 9);
  });

  it('needs nightly reports at the wave’s pace, whatever the peak hour', () => {
    const reports = on.components.find((c) => c.name.includes('nightly reports'))!;
    expect(reports.need).toBeCloseTo(2_700_000 / (6 * 3600), 6);
    // Prod's concurrency in batches of ten, each a second.
    expect(reports.capacity).toBeCloseTo(readAtOnce.queueConcurrency['member-reports'] * 10, 6);
  });

  it("bounds a worker's capacity by its batch time's interval: the longest batch the lowest", () => {
    const withIntervals: Measured = {
      ...measured,
      usual: { ...measured.usual, intervals: { pollBatchMs: { low: 320, high: 500 }, reportBatchMs: { low: 800, high: 1_250 } } },
    };
    const poll = assess(WORKLOAD, withIntervals, readAtOnce).components.find((c) => c.name.includes('poll steps'))!;
    expect(poll.capacityInterval!.low).toBeCloseTo((poll.capacity * 400) / 500, 6);
    expect(poll.capacityInterval!.high).toBeCloseTo((poll.capacity * 400) / 320, 6);
    expect(on.components.find((c) => c.name.includes('poll steps'))!.capacityInterval).toBeUndefined();
  });
});

describe('atFunctionSizes', () => {
  it("runs a unit's own CPU at its function's share of a vCPU, its waits unchanged; a batch's ten one after another", () => {
    const withCpu: Measured = {
      ...measured,
      usual: { ...measured.usual, heldBatchMs: 80 },
      units: {
        ...measured.units,
        units: { ...units, poll: { ...units.poll, cpuMs: 2 }, report: { ...units.report, cpuMs: 3 } },
      },
    };
    const stretch = 1769 / FUNCTION_SPECS['worker-poll'].memorySize - 1;
    const sized = atFunctionSizes(withCpu);
    expect(sized.units.units.poll.lambdaMs).toBeCloseTo(10 + 2 * stretch, 9);
    expect(sized.units.units.read.lambdaMs).toBe(10);
    expect(sized.usual.pollBatchMs).toBeCloseTo(400 + 10 * 2 * stretch, 9);
    expect(sized.slow.reportBatchMs).toBeCloseTo(3_000 + 10 * 3 * stretch, 9);
    expect(sized.units.deliveryBatchMs).toBe(100);
    // A batch with MX's calls held: all of it taken as CPU, an upper bound (not a whole report's).
    expect(sized.usual.heldBatchMs).toBeCloseTo(80 * (1 + stretch), 9);
    // The month pays for the longer time.
    const [full, atSize] = [withCpu, sized].map((m) => assess(WORKLOAD, m, readAtOnce).cost.total);
    expect(atSize!).toBeGreaterThan(full!);
  });
});

describe("idle users read with the night's last (MX_BACKGROUND_AT_TURN)", () => {
  const atTurnUnits = { ...units };
  // A held read: a session, the member list, one ingest of a syncing user, however many members it takes.
  atTurnUnits['held-read'] = { ...units['held-read'], mxCalls: calls({ session: 2, read: 1, transactions: 1 }) };
  atTurnUnits['held-read-3'] = { ...units['held-read-3'], mxCalls: calls({ session: 2, read: 1, transactions: 1 }) };
  atTurnUnits['held-read-unsynced'] = { ...units['held-read-unsynced'], mxCalls: calls({ session: 2, read: 1 }) };
  atTurnUnits['held-read-unsynced-3'] = { ...units['held-read-unsynced-3'], mxCalls: calls({ session: 2, read: 1 }) };
  const atTurn = assess(WORKLOAD, { ...measured, units: { ...measured.units, units: atTurnUnits } }, ENVIRONMENTS.prod);
  const sum = (hours: readonly number[]) => hours.reduce((a, b) => a + b, 0);

  it("reads a user's held reports with the night's last: about one read a night for 2.7 reports", () => {
    // A wave within three quarters of an interval: one read for every user with a member aggregated (1 − 0.1³), as its
    // last comes, in the wave's hours, the last the busiest; no turn reads.
    const shortWave = heldReads({ ...WORKLOAD, waveHours: 4 }, 6);
    expect(shortWave.perUser).toBeCloseTo(1 - 0.1 ** 3, 2);
    expect(sum(shortWave.turn)).toBe(0);
    expect(shortWave.night.slice(4).every((n) => n === 0)).toBe(true);
    expect(Math.max(...shortWave.night)).toBe(shortWave.night[3]);
    // A 6-h wave and 6-h turns: a turn 4.5 h after a user's first report, before its last, reads what came (the wait's
    // bound); the last is read as it comes.
    const { perUser, turn, hourShares } = heldReads(WORKLOAD, 6);
    expect(perUser).toBeGreaterThan(1);
    expect(perUser).toBeLessThan(1.05);
    expect(sum(turn)).toBeCloseTo(perUser - (1 - 0.1 ** 3), 2);
    expect(sum(hourShares)).toBeCloseTo(1, 12);
    // Turns more often than the wave is long split it: more reads.
    expect(heldReads(WORKLOAD, 3).perUser).toBeGreaterThan(1.2);
  });

  it("counts the held reads instead of the reports', each read's calls however many members it takes", () => {
    const reads = 1_000_000 * heldReads(WORKLOAD, 6).perUser;
    expect(atTurn.perDay.report + atTurn.perDay['report-unsynced']).toBe(0);
    expect(atTurn.perDay.held).toBeCloseTo(2_700_000, 6);
    const turnVolume = (['held-read', 'held-read-3', 'held-read-unsynced', 'held-read-unsynced-3'] as const).reduce(
      (n, unit) => n + atTurn.perDay[unit],
      0,
    );
    expect(turnVolume).toBeCloseTo(reads, 3);
    // Members read: 1 × the 1-member reads + 3 × the 3-member reads = the wave's aggregations.
    const membersRead =
      atTurn.perDay['held-read'] +
      atTurn.perDay['held-read-unsynced'] +
      3 * (atTurn.perDay['held-read-3'] + atTurn.perDay['held-read-unsynced-3']);
    expect(membersRead).toBeCloseTo(2_700_000, 3);
    expect(atTurn.perDay['reconcile-turn']).toBe(4_000_000);
    const nightly =
      Object.values(atTurn.mxCalls.relay['nightly reports held, read together, syncing users']!).reduce((a, b) => a + b) +
      Object.values(atTurn.mxCalls.relay['nightly reports held, read together, other users']!).reduce((a, b) => a + b);
    expect(nightly).toBeCloseTo((reads / 1_000_000) * (0.5 * 4 + 0.5 * 3), 6);
    expect(atTurn.components.some((c) => c.name.startsWith(TURN_CONSUMER))).toBe(true);
  });

  it("judges the held reads' consumers on MX's slow day too: each of a read's calls the slower by the difference", () => {
    const held = (components: typeof atTurn.components) =>
      components.filter((c) => c.name.includes('nightly reports held') || c.name.startsWith(TURN_CONSUMER));
    const [usual, slow] = [held(atTurn.components), held(atTurn.slowComponents)];
    expect(slow.map((c) => c.name)).toEqual(usual.map((c) => c.name.replace('MX at 300 ms', 'MX at 1000 ms')));
    // Member-reports' busy ms a second grow by its reads a second × 700 ms × their calls (3.5 on average: 4 a syncing
    // user's, 3 another's) ÷ the 10 a batch takes side by side; its holds make no call.
    const busyMs = (c: (typeof slow)[number]) =>
      (ENVIRONMENTS.prod.queueConcurrency['member-reports'] * 1000 * c.need) / c.capacity;
    const readsPerSecond = usual[0]!.need - atTurn.perDay.held / (WORKLOAD.waveHours * 3600);
    expect(readsPerSecond).toBeGreaterThan(0);
    expect(busyMs(slow[0]!) - busyMs(usual[0]!)).toBeCloseTo((readsPerSecond * 700 * 3.5) / 10, 6);
    for (const [i, c] of slow.entries()) {
      expect(c.need).toBeCloseTo(usual[i]!.need, 9);
      expect(c.capacity).toBeLessThan(usual[i]!.capacity);
    }
  });
});
