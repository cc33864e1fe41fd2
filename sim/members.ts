import {
  type AggregationRun,
  type AggregationScript,
  type RunChallenge,
  type RunKind,
  pendingChallengeAt,
  progressAt,
} from './aggregation-script.ts';
import type { ConnectionStatusName } from './connection-statuses.ts';
import type { GuidFactory } from './identifiers.ts';
import { type Institution, institutionFor } from './institutions.ts';
import { InvalidInputError } from './input-validation.ts';

export const USE_CASES = ['PFM', 'MONEY_MOVEMENT'] as const;
export type UseCase = (typeof USE_CASES)[number];

export const isUseCase = (value: unknown): value is UseCase => USE_CASES.includes(value as UseCase);

/** A partner user: `id` is the partner's user id (SSO path), `guid` MX's USR-… guid. */
export interface SimUser {
  id: string;
  guid: string;
}

export interface SimMember {
  guid: string;
  owner: SimUser;
  name: string;
  useCases: UseCase[] | null;
  /** Where the member aggregates (MX Bank unless the control API says otherwise). */
  institution: Institution;
  /** The script the next aggregation follows; a running one keeps the script it started with. */
  script: AggregationScript;
  run: AggregationRun | null;
  /** The latest run of each premium kind: what account numbers and owners are read from once it has succeeded. */
  premiumRuns: Partial<Record<Exclude<RunKind, 'AGGREGATION'>, AggregationRun>>;
  /** `successfully_aggregated_at` as it stood when the current run started (a failed run does not clear it). */
  succeededBeforeRun: number | null;
  /**
   * A status MX gave the member outside any run (the control API's `connection_status`: credentials that expired or
   * were revoked at the bank, or healed), read from `since` on until the next run starts.
   */
  statusOverride: { status: ConnectionStatusName; since: number } | null;
  /**
   * The accounts and transactions it holds when scripted through the control API or created at MX (see ReadSide);
   * null for the seeded users' members, whose data is seeded.
   */
  data: MemberData | null;
  /** A digest of the credentials a member was created with (create member): how MX finds a duplicate. */
  credentialsDigest?: string;
  metadata?: string;
  /** The partner's own id for the member, given at create (`external_guid`). */
  externalGuid?: string;
  /** Created with `is_oauth`: the user authorises at the bank through an OAuth window, not with credentials. */
  isOauth?: boolean;
}

/** How much read-side data a member scripted through the control API holds (generated: see ReadSide). */
export interface MemberData {
  accounts: number;
  /** Spread over its accounts; none while it has no account, or while its use cases leave out PFM. */
  transactions: number;
}

/** Small enough to stay cheap for benches with thousands of members, big enough to page at Nexus's minimum of 10. */
export const DEFAULT_MEMBER_DATA: MemberData = { accounts: 2, transactions: 30 };

export interface MemberState {
  status: ConnectionStatusName;
  isBeingAggregated: boolean;
  aggregatedAt: number | null;
  successfullyAggregatedAt: number | null;
  mostRecentJobGuid: string | null;
}

/** What the control API asks for; `undefined` fields keep the existing value (or take the default). */
export interface MemberSpec {
  userId: string;
  memberGuid: string | undefined;
  name: string | undefined;
  useCases: UseCase[] | null | undefined;
  script: AggregationScript;
  /** Optional: MX Bank when neither is given (see institutionFor). */
  institutionCode?: string;
  institutionGuid?: string;
  /**
   * Given by the control API only: the counts given replace the member's (a new member starts from the defaults), so
   * it holds generated accounts and transactions.
   */
  data?: Partial<MemberData>;
}

const DEFAULT_MEMBER_NAME = 'MX Bank';

/** The member at `now`: as its latest run leaves it, unless MX has set its status since (see `setConnectionStatus`). */
export function memberStateAt(member: SimMember, now: number): MemberState {
  const state = runStateAt(member, now);
  return overriddenAt(member, now) ? { ...state, status: member.statusOverride!.status } : state;
}

const overriddenAt = (member: SimMember, now: number): boolean =>
  member.statusOverride !== null && now >= member.statusOverride.since;

/** The member at `now` as its latest run alone leaves it: what MX's webhook about that run reports. */
export function runStateAt(member: SimMember, now: number): MemberState {
  const { run } = member;
  if (!run) {
    return {
      status: 'CONNECTED',
      isBeingAggregated: false,
      aggregatedAt: null,
      successfullyAggregatedAt: null,
      mostRecentJobGuid: null,
    };
  }
  const progress = progressAt(run, now);
  return {
    status: progress.status,
    isBeingAggregated: progress.isBeingAggregated,
    aggregatedAt: run.startedAt,
    successfullyAggregatedAt: progress.succeededAt ?? member.succeededBeforeRun,
    mostRecentJobGuid: run.jobGuid,
  };
}

/** The run's pending challenge; none once MX has set another status (a challenge left unanswered turns EXPIRED). */
export function pendingChallenge(member: SimMember, now: number): RunChallenge | null {
  if (overriddenAt(member, now)) return null;
  return member.run ? pendingChallengeAt(member.run, now) : null;
}

/** Whether the member's latest run of `kind` has ended CONNECTED by `now`. */
export function succeeded(member: SimMember, kind: Exclude<RunKind, 'AGGREGATION'>, now: number): boolean {
  const run = member.premiumRuns[kind];
  return run !== undefined && progressAt(run, now).succeededAt !== null;
}

/** MX refuses to aggregate a member whose use cases are set and leave out PFM. */
export const mayAggregate = (member: SimMember): boolean => member.useCases?.includes('PFM') ?? true;

/** A member with no use cases predates the feature, so a `use_case` filter does not exclude it. */
export const hasUseCase = (member: SimMember, useCase: UseCase): boolean => member.useCases?.includes(useCase) ?? true;

/**
 * Starts a run of `kind` following the member's script (without its transactions unless `transactions`), unless one is already running: MX then answers 202 for a run
 * of the same kind (no new job) and 409 for another (`busy`). `background`: MX started it on its own (background
 * aggregation), not an aggregate call. A new run clears a status MX set outside a run.
 */
export function startAggregation(
  member: SimMember,
  now: number,
  newGuid: GuidFactory,
  {
    background = false,
    kind = 'AGGREGATION',
    transactions = true,
  }: { background?: boolean; kind?: RunKind; transactions?: boolean } = {},
): 'started' | 'already-running' | 'busy' {
  const current = memberStateAt(member, now);
  if (current.isBeingAggregated) return member.run?.kind === kind ? 'already-running' : 'busy';

  // A premium job without `include_transactions` gathers no transactions.
  const script = transactions ? member.script : { ...member.script, transactions: { add: 0, update: 0, post: 0 } };
  member.succeededBeforeRun = current.successfullyAggregatedAt;
  member.statusOverride = null;
  member.run = {
    jobGuid: newGuid('JOB'),
    kind,
    startedAt: now,
    background,
    script,
    challenge: script.challenge && { guid: newGuid('CRD'), ...script.challenge },
    answer: null,
  };
  if (kind !== 'AGGREGATION') member.premiumRuns[kind] = member.run;
  return 'started';
}

/**
 * MX's minimum time between standard aggregations: inside `windowMs` after the member's last successful aggregation
 * ended, an aggregate call starts nothing (202, the member unchanged). A window of 0 never throttles.
 */
export function throttledAt(member: SimMember, now: number, windowMs: number): boolean {
  const { successfullyAggregatedAt } = memberStateAt(member, now);
  return windowMs > 0 && successfullyAggregatedAt !== null && now < successfullyAggregatedAt + windowMs;
}

/**
 * MX changes the member's status outside any run (a session at the bank expired, credentials revoked, or the
 * connection healed): the member reads `status` from `now` until its next run starts; `aggregated_at` and
 * `successfully_aggregated_at` stay. Refused while a run aggregates.
 */
export function setConnectionStatus(member: SimMember, status: ConnectionStatusName, now: number): 'set' | 'aggregating' {
  if (memberStateAt(member, now).isBeingAggregated) return 'aggregating';
  member.statusOverride = { status, since: now };
  return 'set';
}

export interface ChallengeAnswer {
  guid: string;
  value: string;
}

export type ResumeOutcome = 'not-challenged' | 'invalid-answers' | 'accepted' | 'rejected';

/** Answers the pending challenge. A run has one challenge, so exactly one answer, addressed to it, is valid. */
export function resumeAggregation(member: SimMember, now: number, answers: ChallengeAnswer[]): ResumeOutcome {
  const challenge = pendingChallenge(member, now);
  if (!challenge || !member.run) return 'not-challenged';
  const [answer] = answers;
  if (answers.length !== 1 || answer?.guid !== challenge.guid) return 'invalid-answers';

  const accepted = answer.value === challenge.answer;
  member.run.answer = { at: now, accepted };
  return accepted ? 'accepted' : 'rejected';
}

/** A re-scripted member's data: the counts given replace its own; a member the control API did not create has none to set. */
function rescriptedData(member: SimMember, request: Partial<MemberData> | undefined): MemberData | null {
  if (request === undefined) return member.data;
  if (member.data !== null) return { ...member.data, ...request };
  const [field] = Object.keys(request);
  if (field !== undefined) {
    throw new InvalidInputError(`${field}: ${member.guid} was not created through the control API, so its data is not scripted`);
  }
  return null;
}

/** Users and their members. Users exist from their first member on, as the control API creates them. */
export class MemberRegistry {
  readonly #users = new Map<string, SimUser>();
  readonly #members = new Map<string, SimMember>();
  /** Each user's members, oldest first: reads look a user's members up on every call, among thousands in benches. */
  readonly #byUser = new Map<SimUser, Set<SimMember>>();
  readonly #newGuid: GuidFactory;

  constructor(newGuid: GuidFactory) {
    this.#newGuid = newGuid;
  }

  /** Creates the member, or re-scripts an existing one (its owner never changes). */
  put(spec: MemberSpec): SimMember {
    const existing = spec.memberGuid === undefined ? undefined : this.#members.get(spec.memberGuid);
    if (existing) {
      // Checked before anything changes, so a refused body leaves the member as it was.
      const data = rescriptedData(existing, spec.data);
      existing.script = spec.script;
      if (spec.name !== undefined) existing.name = spec.name;
      if (spec.useCases !== undefined) existing.useCases = spec.useCases;
      existing.data = data;
      if (spec.institutionCode !== undefined || spec.institutionGuid !== undefined) {
        existing.institution = institutionFor(spec.institutionCode, spec.institutionGuid);
      }
      return existing;
    }

    const member: SimMember = {
      guid: spec.memberGuid ?? this.#newGuid('MBR'),
      owner: this.#userFor(spec.userId),
      name: spec.name ?? DEFAULT_MEMBER_NAME,
      useCases: spec.useCases ?? null,
      institution: institutionFor(spec.institutionCode, spec.institutionGuid),
      script: spec.script,
      run: null,
      premiumRuns: {},
      succeededBeforeRun: null,
      statusOverride: null,
      data: spec.data === undefined ? null : { ...DEFAULT_MEMBER_DATA, ...spec.data },
    };
    this.#members.set(member.guid, member);
    this.#membersOfUser(member.owner).add(member);
    return member;
  }

  /** Adds a user whose guid is already decided (the seeded users); members then join it through `put`. */
  addUser(user: SimUser): void {
    if (this.#users.has(user.id)) throw new Error(`user ${user.id} already exists`);
    this.#users.set(user.id, user);
  }

  user(userId: string): SimUser | undefined {
    return this.#users.get(userId);
  }

  /** Creates a user as the SSO API does; undefined when one with this id exists. */
  createUser(userId: string): SimUser | undefined {
    if (this.#users.has(userId)) return undefined;
    return this.#userFor(userId);
  }

  /** Deletes a user with its members (SSO delete user); false when there was none. */
  deleteUser(userId: string): boolean {
    const user = this.#users.get(userId);
    if (!user) return false;
    for (const member of this.membersOf(user)) this.#members.delete(member.guid);
    this.#byUser.delete(user);
    this.#users.delete(userId);
    return true;
  }

  /** Deletes a member (delete member); false when there was none. */
  delete(guid: string): boolean {
    const member = this.#members.get(guid);
    if (!member) return false;
    this.#byUser.get(member.owner)?.delete(member);
    return this.#members.delete(guid);
  }

  member(guid: string): SimMember | undefined {
    return this.#members.get(guid);
  }

  /** Every member, oldest first. */
  all(): SimMember[] {
    return [...this.#members.values()];
  }

  /** A user's members, oldest first. */
  membersOf(user: SimUser): SimMember[] {
    return [...(this.#byUser.get(user) ?? [])];
  }

  #membersOfUser(user: SimUser): Set<SimMember> {
    let members = this.#byUser.get(user);
    if (!members) {
      members = new Set();
      this.#byUser.set(user, members);
    }
    return members;
  }

  #userFor(userId: string): SimUser {
    let user = this.#users.get(userId);
    if (!user) {
      user = { id: userId, guid: this.#newGuid('USR') };
      this.#users.set(userId, user);
    }
    return user;
  }
}
