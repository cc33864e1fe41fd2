import { describe, expect, it } from 'vitest';
import type { Job } from '../../../lib/aggregation/job.ts';
import type { MemberSnapshot } from '../../../lib/aggregation/member-snapshot.ts';
import type { MemberState, SeenMember } from '../../../lib/aggregation/member-states-repo.ts';
import { MemberLedger, type MemberLedgerDeps } from '../../../lib/aggregation/member-ledger.ts';
import { HINT_WINDOW_MS, MemberWatch, type MemberWatchDeps } from '../../../lib/aggregation/member-watch.ts';
import type { MxHint, MxHints } from '../../../lib/aggregation/mx-hints-repo.ts';
import type { MemberReport } from '../../../lib/queue/poll-message.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';
import { MxError } from '../../../lib/mx/errors.ts';

const USER = 'user-1';
const MEMBER = 'MBR-1';
/** A settled member as a job's snapshot has it, stamped `iso`. */
const at = (iso: string): MemberSnapshot => ({
  guid: MEMBER,
  connection_status: 'CONNECTED',
  connection_status_id: null,
  connection_status_message: null,
  is_being_aggregated: false,
  aggregated_at: iso,
  successfully_aggregated_at: null,
});

/** A MemberWatch over an in-memory member state (the repository's conditions, as written) and recording fakes. */
function setup(
  initial?: MemberState,
  member: Record<string, unknown> = {},
  reconcile?: { now: number; intervalMs: number },
  /** MX's user guids as recorded, user id → guid (the reconcile's schedule). */
  guids?: Map<string, string>,
  /** MX_BACKGROUND_AT_TURN, and whether the user has a fresh MX session. */
  atTurn?: { freshSession: boolean },
) {
  let state = initial && { ...initial };
  const published: { id: string; type: string; data: any }[] = [];
  const opened: { trigger: string; jobId?: string }[] = [];
  const polled: string[] = [];
  const detectedBy: string[] = [];
  const metrics: [string, number, Record<string, string>][] = [];
  const jobs = new Map<string, Job>();
  let reads = 0;
  let writes = 0;
  /** MX lists the user's members only after failing this many times (503). */
  const listFailures = { left: 0 };
  const goneCalls: string[] = [];
  /** The user's members recorded as needing the user. */
  let needingUser: string[] = [];
  const states: MemberWatchDeps['states'] & MemberLedgerDeps['states'] = {
    get: async () => state && { ...state },
    async claimAggregation(_u, _m, claim) {
      if (state?.aggregatedAt === claim.aggregatedAt) return false;
      state = { connectionStatus: null, statusSeq: 0, ...state, aggregatedAt: claim.aggregatedAt, jobId: claim.jobId };
      return true;
    },
    async followedBy(_u, _m, aggregatedAt, jobId) {
      if (state?.aggregatedAt === aggregatedAt) state.jobId = jobId;
    },
    async record(_u, _m, expectedSeq, observation) {
      if (state && state.statusSeq !== expectedSeq) return false;
      writes++;
      state = {
        aggregatedAt: observation.aggregatedAt === undefined ? (state?.aggregatedAt ?? null) : observation.aggregatedAt,
        ...((observation.jobId ?? state?.jobId) ? { jobId: observation.jobId ?? state?.jobId } : {}),
        connectionStatus: observation.connectionStatus,
        statusSeq: observation.statusSeq,
      };
      return true;
    },
    async gone(_u, memberGuid) {
      goneCalls.push(memberGuid);
    },
    needingUserOf: async () => needingUser,
    seenOf: async () => [
      ...(state ? [{ memberGuid: MEMBER, aggregatedAt: state.aggregatedAt, connectionStatus: state.connectionStatus }] : []),
      ...alsoSeen,
    ],
    deleteAll: async () => Number(Boolean(state && (state = undefined) === undefined)),
  };
  const notedReads: number[] = [];
  const clock = new ManualClock(reconcile?.now);
  /** MxHintsRepository's rules, in memory: hints gather until a read takes them. */
  const pending = new Map<string, MxHints & { due?: number }>();
  const taken = new Map<string, MxHints & { due?: number }>();
  const scheduled: string[] = [];
  const scheduledAt: number[] = [];
  /** The hint reads' queue refuses this many sends. */
  const scheduleFailures = { left: 0 };
  const unscheduled: number[] = [];
  const lastRead = new Map<string, number>();
  const keptUntil: number[] = [];
  /** The user's other members, as their states show them. */
  const alsoSeen: SeenMember[] = [];
  const empty = (): MxHints & { due?: number } => ({
    version: 0,
    aggregated: [],
    background: [],
    statuses: [],
    deletedMembers: [],
    deletedTransactions: [],
  });
  const listOf = (hint: MxHint): Exclude<keyof MxHints, 'version'>[] =>
    hint.kind === 'aggregation'
      ? ['aggregated', ...(hint.background ? (['background'] as const) : [])]
      : hint.kind === 'connection_status'
        ? ['statuses']
        : hint.kind === 'member_deleted'
          ? ['deletedMembers']
          : ['deletedTransactions'];
  const metricsSink = { add: (name, value, dimensions) => void metrics.push([name, value, dimensions as never]) } as MetricsSink;
  const ledger = new MemberLedger({
    states,
    events: { publish: async (event) => void published.push(event as never) },
    clock,
    log: silentLog,
    metrics: metricsSink,
  });
  const watch = new MemberWatch({
    states,
    ledger,
    nexus: {
      async listMembers() {
        if (listFailures.left > 0 && listFailures.left--) {
          throw new MxError('MX_UPSTREAM_ERROR', 'unavailable', { method: 'GET', route: '/members', status: 503 });
        }
        if (!member.gone) return [await this.readMember('', '')];
        reads++;
        return [];
      },
      async readMember() {
        reads++;
        if (member.gone)
          throw new MxError('MX_NOT_FOUND', 'gone', { method: 'GET', route: '/members/{member_guid}', status: 404 });
        return {
          guid: MEMBER,
          user_guid: 'USR-1',
          connection_status: 'CONNECTED',
          is_being_aggregated: false,
          aggregated_at: '2026-11-24T08:00:00Z',
          ...member,
        } as never;
      },
    },
    jobs: {
      get: async (id) => jobs.get(id),
      latestForMember: async (memberGuid) => [...jobs.values()].reverse().find((job) => job.memberGuid === memberGuid),
    },
    refresh: {
      async follow(request, _member, trigger, jobId) {
        opened.push({ trigger, jobId });
        const job = { id: jobId ?? 'job_x', userId: request.userId, memberGuid: request.memberGuid, step: 0 } as Job;
        jobs.set(job.id, job);
        return { job, joined: false };
      },
    },
    ...(guids
      ? {
          userGuids: {
            mxUserGuid: async (userId: string) => guids.get(userId),
            learnMxUser: async (userId: string, guid: string) => (guids.set(userId, guid), true),
            usersOfMxUser: async (guid: string) => [...guids].filter(([, g]) => g === guid).map(([userId]) => userId),
          },
        }
      : {}),
    poll: { handle: async (message) => void (polled.push(message.job_id), detectedBy.push(message.detected_by!)) },
    jobEnds: { together: (_userId, work) => work() },
    reads: { noteRead: async (_userId, at) => (notedReads.push(at), true), turnFacts: async () => new Map() },
    // `stranger`: no app was ever served it; `gone-away`: it left the reconcile (no app asked about it for long).
    served: {
      turnFacts: async (userIds) =>
        new Map(userIds.filter((id) => id !== 'stranger').map((id) => [id, id === 'gone-away' ? { left: true } : {}])),
    },
    hints: {
      async add(userId, hint, { dueAt, held, keepUntil }) {
        keptUntil.push(keepUntil ?? dueAt);
        const hints = pending.get(userId) ?? empty();
        const guid = hint.kind === 'transactions' ? hint.transactionGuid : hint.memberGuid;
        for (const list of listOf(hint)) if (!hints[list].includes(guid)) hints[list].push(guid);
        const first = hints.due === undefined;
        // A member's hint is due now (0: whenever); a transaction's, or one held, at `dueAt`.
        if (first) hints.due = held || hint.kind === 'transactions' ? dueAt : 0;
        pending.set(userId, hints);
        const last = lastRead.get(userId);
        const waiting = held
          ? {
              waiting: {
                aggregated: [...hints.aggregated],
                dueAt: hints.due!,
                ...(last === undefined ? {} : { lastReadAt: last }),
              },
            }
          : {};
        return !first ? waiting : held ? { due: dueAt, ...waiting } : { readAt: hints.due, due: hints.due };
      },
      async release(userId, dueAt, now) {
        const hints = pending.get(userId);
        if (hints?.due !== dueAt) return false;
        hints.due = now;
        return true;
      },
      // Hints a read took are waiting until it is done (then with no `dueAt`).
      async waiting(userId) {
        const hints = pending.get(userId) ?? taken.get(userId);
        if (!hints) return undefined;
        return { aggregated: hints.aggregated, ...(hints.due === undefined ? {} : { dueAt: hints.due }) };
      },
      async take(userId, at) {
        lastRead.set(userId, at);
        // What a read took and did not finish is taken again.
        const hints = pending.get(userId) ?? taken.get(userId);
        if (!hints) return undefined;
        // As the table's: the read due is taken with them.
        delete hints.due;
        taken.set(userId, hints);
        pending.delete(userId);
        return { ...hints };
      },
      async unschedule(userId, dueAt) {
        unscheduled.push(dueAt);
        const hints = pending.get(userId);
        if (hints?.due === dueAt) delete hints.due;
      },
      done: async (userId) => void taken.delete(userId),
    },
    hintReads: {
      async schedule(message) {
        if (scheduleFailures.left > 0 && scheduleFailures.left--) throw new Error('SQS unavailable');
        scheduled.push(message.mx_hints.user_id);
        scheduledAt.push(message.due_at);
      },
    },
    transactions: { mayRemove: async () => true, confirmRemovals: async () => ({ removed: 0 }), memberGone: async () => false },
    clock,
    ...(reconcile ? { reconcileIntervalMs: reconcile.intervalMs } : {}),
    ...(atTurn ? { backgroundAtTurn: { hasFreshSession: async () => atTurn.freshSession } } : {}),
    log: silentLog,
    metrics: metricsSink,
  });
  return {
    watch,
    listFailures,
    /** A member report, then the hint reads it scheduled, as worker-poll takes them. */
    async deliver(report: MemberReport) {
      await watch.handleReport(report);
      for (const userId of scheduled.splice(0)) await watch.readHints(userId);
    },
    scheduled,
    scheduledAt,
    scheduleFailures,
    unscheduled,
    keptUntil,
    alsoSeen,
    clock,
    ledger,
    published,
    opened,
    polled,
    detectedBy,
    metrics,
    jobs,
    state: () => state,
    notedReads,
    reads: () => reads,
    writes: () => writes,
    gone: () => goneCalls,
    recordNeedingUser: (guids: string[]) => void (needingUser = guids),
  };
}

describe('MemberWatch: aggregations MX reports', () => {
  it('opens one job per aggregation, polled at once when MX has finished; the same aggregation again is known', async () => {
    const { watch, opened, polled, detectedBy, state } = setup();
    expect(await watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx_background', 'push')).toBe('opened');
    expect(opened).toEqual([{ trigger: 'mx_background', jobId: state()!.jobId }]);
    expect(polled).toEqual([state()!.jobId]);
    // Its end is MX's report's find (JobsEnded and DetectionLag count it under detected_by=push).
    expect(detectedBy).toEqual(['push']);
    expect(await watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx_background', 'push')).toBe('known');
    expect(opened).toHaveLength(1);
  });

  it('after a failure between the claim and the job, the retry opens that same job', async () => {
    const { watch, opened, jobs, state } = setup();
    await watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx', 'push');
    const jobId = state()!.jobId!;
    jobs.delete(jobId); // as if the job's write had failed
    expect(await watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx', 'push')).toBe('opened');
    expect(opened.map((o) => o.jobId)).toEqual([jobId, jobId]);
  });

  it('a job gone past the days every job is kept is not reopened: MX’s month-old aggregation is not news again', async () => {
    const { watch, opened, jobs, clock, state } = setup();
    await watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx_background', 'push');
    jobs.delete(state()!.jobId!); // as DynamoDB's ttl deletes it
    clock.advance(30 * 86_400_000 + 1);
    expect(await watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx_background', 'push')).toBe('known');
    expect(opened).toHaveLength(1);
  });

  it('a member MX no longer has, or never aggregated, opens nothing', async () => {
    expect(
      await setup(undefined, { gone: true }).watch.aggregationReported({ userId: USER, memberGuid: MEMBER }, 'mx', 'push'),
    ).toBe('member_gone');
    expect(
      await setup(undefined, { aggregated_at: null }).watch.aggregationReported(
        { userId: USER, memberGuid: MEMBER },
        'mx',
        'push',
      ),
    ).toBe('not_aggregated');
  });

  it('a status reported for a member MX no longer lists unlists it (it needs no one any more), announcing nothing', async () => {
    const { deliver, gone, published, metrics } = setup(
      { aggregatedAt: null, connectionStatus: 'EXPIRED', statusSeq: 1 },
      { gone: true },
    );
    await deliver({ member_report: { kind: 'connection_status', member_guid: 'MBR-2', user_id: USER }, due_at: 0 });
    expect(gone()).toEqual(['MBR-2']);
    expect(published).toEqual([]);
    expect(metrics).toContainEqual(['MxHints', 1, { kind: 'connection_status', outcome: 'member_gone' }]);
  });

  it('a CONNECTION_STATUS for a member no job followed is counted as unplaced; one with a job is placed by it', async () => {
    const { deliver, metrics, jobs } = setup({ aggregatedAt: null, connectionStatus: 'CONNECTED', statusSeq: 0 });
    const report = { member_report: { kind: 'connection_status' as const, member_guid: MEMBER, user_guid: 'USR-1' }, due_at: 0 };
    await deliver(report);
    expect(metrics).toEqual([['MemberReports', 1, { kind: 'connection_status', outcome: 'unplaced' }]]);
    jobs.set('job_1', { id: 'job_1', userId: USER, memberGuid: MEMBER } as Job);
    await deliver(report);
    expect(metrics.slice(1)).toEqual([
      ['MemberReports', 1, { kind: 'connection_status', outcome: 'hinted' }],
      ['MxHintReads', 1, {}],
      ['MxHints', 1, { kind: 'connection_status', outcome: 'status' }],
    ]);
  });

  it('a report naming a user no app is served, or one that left the reconcile, reads, makes and records nothing', async () => {
    const { deliver, metrics, reads, scheduled } = setup();
    for (const user of ['stranger', 'gone-away']) {
      await deliver({ member_report: { kind: 'aggregation', member_guid: MEMBER, user_id: user }, due_at: 0 });
    }
    expect([reads(), scheduled]).toEqual([0, []]);
    expect(metrics).toEqual([
      ['MemberReports', 1, { kind: 'aggregation', outcome: 'unserved' }],
      ['MemberReports', 1, { kind: 'aggregation', outcome: 'unserved' }],
    ]);
  });

  it('reports of one user gather for one read of MX however many come; a member said deleted that MX lists stays', async () => {
    const { watch, metrics, reads, scheduled, opened } = setup();
    for (let i = 0; i < 50; i++) {
      await watch.handleReport({ member_report: { kind: 'aggregation', member_guid: MEMBER, user_id: USER }, due_at: 0 });
    }
    await watch.handleReport({ member_report: { kind: 'member_deleted', member_guid: MEMBER, user_id: USER }, due_at: 0 });
    expect(scheduled).toEqual([USER]);
    await watch.readHints(USER);
    expect(reads()).toBe(1);
    expect(opened).toHaveLength(1);
    expect(metrics.filter(([name]) => name === 'MemberReports').map(([, , dims]) => dims.outcome)).toEqual([
      'hinted',
      ...Array(50).fill('coalesced'),
    ]);
    expect(metrics).toContainEqual(['MxHints', 1, { kind: 'member_deleted', outcome: 'unconfirmed' }]);
  });
});

describe('MemberLedger: connection statuses', () => {
  it('the first status is a baseline; a change is announced once, with what the user must do', async () => {
    const { ledger, published, state, writes: watchWrites } = setup();
    await ledger.observe(USER, { ...at('2026-11-24T08:00:00Z'), connection_status: 'CONNECTED' });
    expect(published).toEqual([]);
    await ledger.observe(USER, { ...at('2026-11-24T08:00:00Z'), connection_status: 'EXPIRED' });
    const writes = watchWrites();
    await ledger.observe(USER, { ...at('2026-11-24T08:00:00Z'), connection_status: 'EXPIRED' });
    expect(published).toHaveLength(1);
    expect(watchWrites()).toBe(writes); // the same status again: nothing to record
    expect(published[0]).toMatchObject({
      id: `msg_${MEMBER}_status_1_EXPIRED`,
      type: 'member.connection_status_changed',
      data: {
        connection_status: 'EXPIRED',
        previous_connection_status: 'CONNECTED',
        action_required: true,
        reconnect: { widget_type: 'connect_widget', current_member_guid: MEMBER },
      },
    });
    await ledger.observe(USER, { ...at('2026-11-24T08:00:00Z'), connection_status: 'CONNECTED' });
    expect(published[1]!.data).toEqual({
      user_id: USER,
      member_guid: MEMBER,
      connection_status: 'CONNECTED',
      previous_connection_status: 'EXPIRED',
      action_required: false,
    });
    expect(state()!.statusSeq).toBe(2);
  });

  it('a status read mid-aggregation is not settled: never announced, never recorded', async () => {
    const { ledger, published, state } = setup({ aggregatedAt: null, connectionStatus: 'CONNECTED', statusSeq: 0 });
    await ledger.observe(USER, { ...at('2026-11-24T08:00:00Z'), connection_status: 'SYNCING', is_being_aggregated: true });
    expect(published).toEqual([]);
    expect(state()!.connectionStatus).toBe('CONNECTED');
  });
});

describe('MemberWatch: what MX reports first (issue 53, item 4)', () => {
  const report = (kind: 'aggregation' | 'connection_status', extra: Record<string, unknown> = {}) => ({
    member_report: { kind, member_guid: MEMBER, ...extra },
    due_at: 0,
  });

  it('a. a member first met through CONNECTION_STATUS in a status that needs the user is announced once, however often MX repeats it', async () => {
    const { deliver, published, state } = setup(
      undefined,
      { connection_status: 'EXPIRED' },
      undefined,
      new Map([[USER, 'USR-1']]),
    );
    for (let repeat = 0; repeat < 5; repeat++) await deliver(report('connection_status', { user_guid: 'USR-1' }));
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      id: `msg_${MEMBER}_status_1_EXPIRED`,
      type: 'member.connection_status_changed',
      data: { user_id: USER, connection_status: 'EXPIRED', previous_connection_status: null, action_required: true },
    });
    expect(state()).toMatchObject({ connectionStatus: 'EXPIRED', statusSeq: 1 });
    // A first status that needs no one stays a baseline.
    const connected = setup();
    await connected.deliver(report('connection_status', { user_id: USER }));
    expect(connected.published).toEqual([]);
  });

  it("b. the reconcile counts a member first seen as news when MX aggregated it after the user's previous turn", async () => {
    const now = Date.parse('2026-11-24T20:00:00Z');
    // Aggregated at 08:00, after the previous turn at 07:00 but 12 h before now (two 6 h intervals): MX's doing since.
    const { watch, opened } = setup(undefined, {}, { now, intervalMs: 6 * 3600_000 });
    expect(await watch.reconcile(USER, Date.parse('2026-11-24T07:00:00Z'))).toEqual({ members: 1, opened: 1 });
    expect(opened.map((o) => o.trigger)).toEqual(['mx']);
    // Aggregated before the previous turn: the baseline.
    const before = setup(undefined, {}, { now, intervalMs: 6 * 3600_000 });
    expect(await before.watch.reconcile(USER, Date.parse('2026-11-24T09:00:00Z'))).toEqual({ members: 1, opened: 0 });
  });

  it('d. a reconcile turn reads MX only when the user needs it, and notes the read', async () => {
    const now = Date.parse('2026-11-25T20:00:00Z');
    const turn = { user_id: USER, since: now - 40 * 3600_000 };
    // Seen aggregated 4 h ago (a webhook's report): nothing to ask MX.
    const fresh = setup(
      { aggregatedAt: '2026-11-25T16:00:00Z', connectionStatus: 'CONNECTED', statusSeq: 0 },
      {},
      {
        now,
        intervalMs: 6 * 3600_000,
      },
    );
    await fresh.watch.reconcileTurn({ ...turn, webhooks_on: true });
    expect([fresh.reads(), fresh.notedReads]).toEqual([0, []]);
    expect(fresh.metrics).toContainEqual(['ReconcileTurns', 1, { decision: 'skipped', reason: 'seen_aggregated' }]);
    // MX's webhooks off, or a message from before the dispatcher said: read, and noted.
    await fresh.watch.reconcileTurn({ ...turn, webhooks_on: false });
    await fresh.watch.reconcileTurn(turn);
    expect([fresh.reads(), fresh.notedReads]).toEqual([2, [now, now]]);
    // Not seen aggregated for MX's day plus the interval: read.
    const stale = setup(
      { aggregatedAt: '2026-11-24T08:00:00Z', connectionStatus: 'CONNECTED', statusSeq: 0 },
      {},
      {
        now,
        intervalMs: 6 * 3600_000,
      },
    );
    await stale.watch.reconcileTurn({ ...turn, webhooks_on: true });
    expect(stale.metrics).toContainEqual(['ReconcileTurns', 1, { decision: 'read', reason: 'not_seen_aggregated' }]);
    expect(stale.notedReads).toEqual([now]);
  });

  it('c. a status report records the aggregation the member shows, so the next reconcile opens no job for it', async () => {
    const { watch, deliver, opened, state } = setup(undefined, { connection_status: 'LOCKED' });
    await deliver(report('connection_status', { user_id: USER }));
    expect(state()).toMatchObject({ aggregatedAt: '2026-11-24T08:00:00Z', connectionStatus: 'LOCKED' });
    expect(await watch.reconcile(USER)).toEqual({ members: 1, opened: 0 });
    expect(opened).toEqual([]);
  });

  it("d. a user's MX guid is learnt from MX's read as that user, never from a webhook; a change and a shared guid are conflicts", async () => {
    const guids = new Map<string, string>();
    const { deliver, metrics } = setup(undefined, { user_guid: 'USR-alice' }, undefined, guids);
    // A webhook naming alice with bob's guid: MX's read of the member as alice says alice's guid.
    await deliver(report('aggregation', { user_id: USER, user_guid: 'USR-bob' }));
    expect(guids).toEqual(new Map([[USER, 'USR-alice']]));

    const changed = setup(undefined, { user_guid: 'USR-alice-2' }, undefined, guids);
    await changed.deliver(report('connection_status', { user_id: USER }));
    expect(guids.get(USER)).toBe('USR-alice-2');
    expect(changed.metrics).toContainEqual(['MxUserGuidConflicts', 1, { kind: 'changed' }]);

    // Two users under one guid: a CONNECTION_STATUS naming it is not placed on either.
    guids.set('user-2', 'USR-alice-2');
    const shared = setup(undefined, {}, undefined, guids);
    await shared.deliver(report('connection_status', { user_guid: 'USR-alice-2' }));
    expect(shared.metrics).toEqual([
      ['MxUserGuidConflicts', 1, { kind: 'shared' }],
      ['MemberReports', 1, { kind: 'connection_status', outcome: 'unplaced' }],
    ]);
    expect(metrics.filter(([name]) => name === 'MxUserGuidConflicts')).toEqual([]);
  });
});

describe('MemberWatch: MX_BACKGROUND_AT_TURN', () => {
  const now = Date.parse('2026-11-25T03:00:00Z');
  const reconcile = { now, intervalMs: 6 * 3600_000 };
  const background = (extra: Record<string, unknown> = {}) => ({
    member_report: { kind: 'aggregation' as const, member_guid: MEMBER, user_id: USER, is_background: true, ...extra },
    due_at: 0,
  });
  const seen = { aggregatedAt: '2026-11-24T03:00:00Z', connectionStatus: 'CONNECTED', statusSeq: 0 };

  const idleWithTwo = (mx: Record<string, unknown> = {}) => {
    const watched = setup(seen, mx, reconcile, undefined, { freshSession: false });
    watched.alsoSeen.push({ memberGuid: 'MBR-2', aggregatedAt: seen.aggregatedAt, connectionStatus: 'CONNECTED' });
    return watched;
  };

  it("a background aggregation of a user nobody is using waits for the night's others; the last is read with it", async () => {
    const { watch, deliver, scheduled, opened, metrics, reads, clock } = idleWithTwo();
    await deliver(background());
    expect([scheduled, opened, reads()]).toEqual([[], [], 0]);
    expect(metrics).toContainEqual(['MemberReports', 1, { kind: 'aggregation', outcome: 'held' }]);
    // A turn amid MX's wave for the user (MBR-2 still to come) waits.
    await watch.reconcileTurn({ user_id: USER, since: now - 3600_000, webhooks_on: true });
    expect([opened, reads()]).toEqual([[], 0]);
    expect(metrics).toContainEqual(['HeldHintTurns', 1, { decision: 'waited' }]);
    // MBR-2's comes: both in one read, now.
    clock.advance(3600_000);
    await deliver(background({ member_guid: 'MBR-2' }));
    expect(metrics).toContainEqual(['MemberReports', 1, { kind: 'aggregation', outcome: 'released' }]);
    expect([opened.map((o) => o.trigger), reads()]).toEqual([['mx_background'], 1]);
    // Taken: the next turn reads nothing.
    clock.advance(reconcile.intervalMs);
    await watch.reconcileTurn({ user_id: USER, since: now, webhooks_on: true });
    expect([opened.length, reads()]).toEqual([1, 1]);
  });

  it('a user of one member is read at once: its night is in', async () => {
    const { deliver, opened, metrics } = setup(seen, {}, reconcile, undefined, { freshSession: false });
    await deliver(background());
    expect(metrics).toContainEqual(['MemberReports', 1, { kind: 'aggregation', outcome: 'released' }]);
    expect(opened.map((o) => o.trigger)).toEqual(['mx_background']);
  });

  it("the night's last, a second after the user was read, is read a window after that read, as any hint", async () => {
    // MX aggregated MEMBER tonight: read, it is in.
    const { watch, deliver, scheduled, scheduledAt, clock } = idleWithTwo({ aggregated_at: '2026-11-25T02:30:00Z' });
    await deliver(background());
    await watch.readHints(USER);
    clock.advance(1_000);
    await watch.handleReport(background({ member_guid: 'MBR-2' }));
    expect([scheduled, scheduledAt]).toEqual([[USER], [now + HINT_WINDOW_MS]]);
  });

  it("a release whose read cannot be scheduled is undone: the report's retry releases it again", async () => {
    const { watch, scheduled, scheduledAt, scheduleFailures, unscheduled, metrics } = setup(seen, {}, reconcile, undefined, {
      freshSession: false,
    });
    scheduleFailures.left = 1;
    await expect(watch.handleReport(background())).rejects.toThrow('SQS unavailable');
    expect(unscheduled).toEqual([now]);
    await watch.handleReport(background());
    expect([scheduled, scheduledAt]).toEqual([[USER], [now]]);
    expect(metrics).toContainEqual(['MemberReports', 1, { kind: 'aggregation', outcome: 'released' }]);
  });

  it('a held hint a deletion is due to be read with in its window releases nothing: that read takes it', async () => {
    const { watch, scheduled, scheduledAt, metrics, clock } = setup(seen, {}, reconcile, undefined, { freshSession: false });
    const deleted = { kind: 'transactions' as const, member_guid: MEMBER, user_id: USER };
    await watch.handleReport({ member_report: { ...deleted, transaction: { guid: 'TRN-1', action: 'deleted' } }, due_at: 0 });
    clock.advance(1_000);
    await watch.handleReport(background());
    expect([scheduled, scheduledAt]).toEqual([[USER], [now + HINT_WINDOW_MS]]);
    expect(metrics).toContainEqual(['MemberReports', 1, { kind: 'aggregation', outcome: 'coalesced' }]);
  });

  it('a member MX skips tonight: the turn three quarters of an interval after the first reads what came', async () => {
    const { watch, deliver, opened, metrics, reads, clock } = idleWithTwo();
    await deliver(background());
    clock.advance(reconcile.intervalMs / 2);
    await watch.reconcileTurn({ user_id: USER, since: now - 3600_000, webhooks_on: true });
    expect(reads()).toBe(0);
    clock.advance(reconcile.intervalMs / 4);
    await watch.reconcileTurn({ user_id: USER, since: now - 3600_000, webhooks_on: true });
    expect(metrics).toContainEqual(['HeldHintTurns', 1, { decision: 'read' }]);
    expect([opened.map((o) => o.trigger), reads()]).toEqual([['mx_background'], 1]);
  });

  it('a turn whose read MX failed leaves the held hints to its retry', async () => {
    const { watch, deliver, opened, listFailures, clock } = idleWithTwo();
    await deliver(background());
    clock.advance(reconcile.intervalMs);
    listFailures.left = 1;
    const turn = { user_id: USER, since: now - 3600_000, webhooks_on: true };
    await expect(watch.reconcileTurn(turn)).rejects.toThrow('unavailable');
    expect(opened).toEqual([]);
    await watch.reconcileTurn(turn);
    expect(opened.map((o) => o.trigger)).toEqual(['mx_background']);
  });

  it('with a fresh session (someone is using an app), MX in the foreground, or the setting off: read at once', async () => {
    for (const [atTurn, report, keptFor] of [
      [{ freshSession: true }, background(), reconcile.intervalMs],
      [{ freshSession: false }, background({ is_background: false }), reconcile.intervalMs],
      [undefined, background(), HINT_WINDOW_MS],
    ] as const) {
      const { deliver, opened, metrics, keptUntil } = setup(seen, {}, reconcile, undefined, atTurn);
      await deliver(report);
      expect(opened).toHaveLength(1);
      expect(metrics).toContainEqual(['MemberReports', 1, { kind: 'aggregation', outcome: 'hinted' }]);
      // With the setting on, a hint read at once still keeps the hints until the turn: one held before it waits for it.
      expect(keptUntil).toEqual([now + keptFor]);
    }
  });
});

describe('MemberWatch: the reconcile', () => {
  it('records a member seen for the first time, then opens an mx job when its aggregated_at moves', async () => {
    const first = setup();
    expect(await first.watch.reconcile(USER)).toEqual({ members: 1, opened: 0 });
    expect(first.state()).toMatchObject({ aggregatedAt: '2026-11-24T08:00:00Z', connectionStatus: 'CONNECTED' });
    expect(first.opened).toEqual([]);

    const later = setup({ aggregatedAt: '2026-11-23T08:00:00Z', connectionStatus: 'CONNECTED', statusSeq: 0 });
    expect(await later.watch.reconcile(USER)).toEqual({ members: 1, opened: 1 });
    expect(later.opened.map((o) => o.trigger)).toEqual(['mx']);
    // An end the member list showed is the reconcile's find, not a push (detected_by=reconcile).
    expect(later.polled).toHaveLength(1);
    expect(later.detectedBy).toEqual(['reconcile']);
    expect(await later.watch.reconcile(USER)).toEqual({ members: 1, opened: 0 });
  });

  it('a member never seen, aggregated within the last interval (connected through the widget), is reported', async () => {
    const { watch, opened } = setup(undefined, {}, { now: Date.parse('2026-11-24T09:00:00Z'), intervalMs: 6 * 3600_000 });
    expect(await watch.reconcile(USER)).toEqual({ members: 1, opened: 1 });
    expect(opened.map((o) => o.trigger)).toEqual(['mx']);
    const old = setup(undefined, {}, { now: Date.parse('2026-11-25T09:00:00Z'), intervalMs: 6 * 3600_000 });
    expect(await old.watch.reconcile(USER)).toEqual({ members: 1, opened: 0 });
  });

  it('unlists the members recorded as needing their user that MX no longer lists (deleted outside the relay)', async () => {
    const { watch, gone, recordNeedingUser } = setup({
      aggregatedAt: '2026-11-24T08:00:00Z',
      connectionStatus: 'CONNECTED',
      statusSeq: 0,
    });
    recordNeedingUser([MEMBER, 'MBR-deleted-elsewhere']);
    await watch.reconcile(USER);
    expect(gone()).toEqual(['MBR-deleted-elsewhere']);
  });
});

describe('MemberLedger: did MX aggregate for a job', () => {
  const job = {
    id: 'job_a',
    userId: USER,
    memberGuid: MEMBER,
    trigger: 'refresh' as const,
    createdAt: Date.parse('2026-11-24T09:00:00Z'),
  };

  it('yes when the stamp moved past the recorded one, or the state names the job; no when it stayed', async () => {
    const recorded = { aggregatedAt: '2026-11-24T08:59:58Z', jobId: 'job_before', connectionStatus: 'CONNECTED', statusSeq: 0 };
    expect(await setup(recorded).ledger.jobEnded(job, at('2026-11-24T09:00:01Z'))).toBe(true);
    // Inside MX's throttle window the stamp stays the previous aggregation's, seconds old as it may be.
    const throttled = setup(recorded);
    expect(await throttled.ledger.jobEnded(job, at('2026-11-24T08:59:58Z'))).toBe(false);
    // Nothing moved, nothing written: the same step retried after a failure answers the same.
    expect(throttled.state()).toEqual(recorded);
    expect(throttled.writes()).toBe(0);
    expect(await throttled.ledger.jobEnded(job, at('2026-11-24T08:59:58Z'))).toBe(false);
    // An aggregation of its own is recorded as this job's, and a retry knows it.
    const aggregated = setup(recorded);
    expect(await aggregated.ledger.jobEnded(job, at('2026-11-24T09:00:01Z'))).toBe(true);
    expect(aggregated.state()).toMatchObject({ aggregatedAt: '2026-11-24T09:00:01Z', jobId: 'job_a' });
    expect(await aggregated.ledger.jobEnded(job, at('2026-11-24T09:00:01Z'))).toBe(true);
    expect(await setup({ ...recorded, jobId: 'job_a' }).ledger.jobEnded(job, at('2026-11-24T08:59:58Z'))).toBe(true);
  });

  it('with no state, a stamp from the job’s own time; an MX-started job always', async () => {
    expect(await setup().ledger.jobEnded(job, at('2026-11-24T08:59:57Z'))).toBe(true);
    expect(await setup().ledger.jobEnded(job, at('2026-11-24T06:00:00Z'))).toBe(false);
    expect(await setup().ledger.jobEnded({ ...job, trigger: 'mx' }, at('2026-11-24T06:00:00Z'))).toBe(true);
  });
});

describe('a user that left the reconcile', () => {
  it('has its transactions forgotten only while it is off the cycle; a later batch only deletes, back or not', async () => {
    const forgotten: [string, number | undefined][] = [];
    const statesDeleted: string[] = [];
    const left = new Set(['u1']);
    let done = false;
    const watch = new MemberWatch({
      states: { deleteAll: async (userId: string) => (statesDeleted.push(userId), 1) },
      reads: {
        noteRead: async () => true,
        turnFacts: async (ids: readonly string[]) => new Map(ids.map((id) => [id, left.has(id) ? { left: true } : {}])),
      },
      forgetting: {
        forget: async (userId: string, resetSeq?: number) => (forgotten.push([userId, resetSeq]), { done, resetSeq: 7 }),
      },
    } as never);
    const next = await watch.reconcileTurn({ user_id: 'u1', left: true });
    expect(next).toEqual({ user_id: 'u1', left: true, reset_seq: 7 });
    // Back on the cycle before the next batch: that forgetting's deletions go on, and nothing more is forgotten.
    left.delete('u1');
    expect(await watch.reconcileTurn(next!)).toEqual(next);
    done = true;
    expect(await watch.reconcileTurn(next!)).toBeUndefined();
    // Back meanwhile: its member states stay. Still away at the end: they go with its transactions.
    expect(statesDeleted).toEqual([]);
    left.add('u1');
    expect(await watch.reconcileTurn(next!)).toBeUndefined();
    expect(statesDeleted).toEqual(['u1']);
    // Served again before worker-poll came to it (back on the cycle, or it never left): nothing is forgotten.
    expect(await watch.reconcileTurn({ user_id: 'u2', left: true })).toBeUndefined();
    expect(forgotten).toEqual([
      ['u1', undefined],
      ['u1', 7],
      ['u1', 7],
      ['u1', 7],
    ]);
  });
});
