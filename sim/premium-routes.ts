import { createHash } from 'node:crypto';
import type { RunKind } from './aggregation-script.ts';
import { jsonBody } from './connect-routes.ts';
import { supportOf, type InstitutionSupport } from './institutions.ts';
import { isJsonObject } from './input-validation.ts';
import { memberView } from './member-view.ts';
import { type SimMember, type SimUser, mayAggregate, startAggregation, succeeded } from './members.ts';
import { memberOfUser } from './member-routes.ts';
import { MxError } from './mx-errors.ts';
import type { MxRequest, MxRoute } from './mx-endpoint.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

type PremiumKind = Exclude<RunKind, 'AGGREGATION'>;

/**
 * Each premium job: MX's path, the institution field that must be true and MX's 400 when it is not (none for balances),
 * the 2xx it starts with.
 */
const JOBS: Record<PremiumKind, { path: string; support?: keyof InstitutionSupport; unsupported?: string; started: number }> = {
  VERIFICATION: {
    path: '/members/{member_guid}/verify',
    support: 'supports_account_verification',
    unsupported: "Member's institution does not support instant account verification",
    started: 200,
  },
  IDENTIFICATION: {
    path: '/members/{member_guid}/identify',
    support: 'supports_account_identification',
    unsupported: "Member's institution does not support instant account identification",
    started: 202,
  },
  HISTORY: {
    path: '/members/{member_guid}/extend_history',
    support: 'supports_transaction_history',
    unsupported: "Member's institution does not support extended transaction history",
    started: 202,
  },
  // Check balances "operates much like the aggregate member endpoint except that it gathers only account balance
  // information" (Nexus reference, check-member-balance); its answer is UNCONFIRMED: Platform's 202.
  BALANCE: { path: '/members/{member_guid}/check_balance', started: 202 },
};

/**
 * MX's premium jobs on a member (verify, identify, extend history) and what they gather: account numbers (per member
 * and, as MX's reference names it, per account: `/accounts/{guid}/account_number`) and account owners. Each job is a
 * run like an aggregation (MFA included); its data is there once its latest run ended CONNECTED. Extended history
 * needs PFM, as transactions do; the institution must support the job (MX's 400 otherwise); a job of the same kind
 * running answers 202, another kind 409.
 */
export function premiumRoutes(state: SimulatorState): MxRoute[] {
  const memberOf = (user: SimUser, guid: string | undefined): SimMember => memberOfUser(state, user, guid);

  const start = (kind: PremiumKind) =>
    userEndpoint(state, (request: MxRequest, user) => {
      const member = memberOf(user, request.params.member_guid);
      const job = JOBS[kind];
      const includeTransactions = kind === 'HISTORY' || (kind !== 'BALANCE' && includesTransactions(request));
      if (job.support && !supportOf(member.institution)[job.support]) throw new MxError(400, job.unsupported!);
      if (kind === 'HISTORY' && !mayAggregate(member)) throw new MxError(403, 'Member use_cases do not include PFM.');
      const at = state.clock.now();
      state.transactions.settle(at);
      const outcome = startAggregation(member, at, state.newGuid, { kind, transactions: includeTransactions });
      if (outcome === 'busy') throw new MxError(409, 'Another aggregation-type process is already running for this member.');
      if (outcome === 'started') {
        if (kind === 'VERIFICATION') member.run!.accounts = accountGuidsOf(member);
        state.webhooks.runChanged(member);
      }
      return { status: outcome === 'started' ? job.started : 202, body: { member: memberView(member, at) } };
    });

  /** The member's accounts: those its data holds, else the one account an aggregation gives a member created at MX. */
  const accountGuidsOf = (member: SimMember): string[] => {
    const held = state.readSide.accountsOf(member.owner).filter((account) => account.memberGuid === member.guid);
    return held.length > 0 ? held.map((account) => account.guid) : [`ACT-${member.guid.slice(4)}`];
  };

  const numbersOf = (member: SimMember, accountGuids: string[]) =>
    succeeded(member, 'VERIFICATION', state.clock.now()) ? accountGuids.map((guid) => accountNumber(member, guid)) : [];

  return [
    ...(Object.keys(JOBS) as PremiumKind[]).map((kind) => ({
      methods: ['POST'],
      pattern: JOBS[kind].path,
      handler: start(kind),
    })),
    {
      methods: ['GET'],
      pattern: '/members/{member_guid}/account_numbers',
      handler: userEndpoint(state, ({ params }, user) => {
        const member = memberOf(user, params.member_guid);
        return { status: 200, body: { account_numbers: numbersOf(member, accountGuidsOf(member)) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/accounts/{account_guid}/account_number',
      handler: userEndpoint(state, ({ params }, user) => {
        const member = state.members
          .membersOf(user)
          .find((candidate) => accountGuidsOf(candidate).includes(params.account_guid!));
        if (!member) throw new MxError(404, 'Account not found.');
        return { status: 200, body: { account_numbers: numbersOf(member, [params.account_guid!]) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/members/{member_guid}/account_owners',
      handler: userEndpoint(state, ({ params }, user) => {
        const member = memberOf(user, params.member_guid);
        const owners = succeeded(member, 'IDENTIFICATION', state.clock.now())
          ? accountGuidsOf(member).map((guid) => accountOwner(member, guid))
          : [];
        return { status: 200, body: { account_owners: owners } };
      }),
    },
  ] satisfies MxRoute[];
}

/** `include_transactions` of a verify or identify body (optional, default false); a body that is not JSON is MX's 400. */
function includesTransactions(request: MxRequest): boolean {
  if (request.body.length === 0) return false;
  const input = jsonBody(request);
  if (!isJsonObject(input)) throw new MxError(400, 'The body must be a JSON object.');
  if (input.include_transactions !== undefined && typeof input.include_transactions !== 'boolean') {
    throw new MxError(400, 'include_transactions must be a boolean.');
  }
  return input.include_transactions === true;
}

/** Digits drawn from a digest of `seed`: the same account always has the same numbers. */
const digits = (seed: string, count: number): string =>
  [...createHash('sha256').update(seed).digest()]
    .slice(0, count)
    .map((byte) => byte % 10)
    .join('');

/**
 * An account's numbers, as MX's reference shows them. Distinctive on purpose (12 and 9 digits), so the test suite's
 * secrets scan can see one anywhere it must not be.
 */
const accountNumber = (member: SimMember, accountGuid: string) => ({
  account_guid: accountGuid,
  account_number: `44${digits(`account:${accountGuid}`, 10)}`,
  institution_number: null,
  member_guid: member.guid,
  passed_validation: true,
  routing_number: `0${digits(`routing:${member.institution.guid}`, 8)}`,
  transit_number: null,
  user_guid: member.owner.guid,
});

const GIVEN = ['Wendeline', 'Thaddeus', 'Marigold', 'Evander', 'Perpetua', 'Lysander'];
const FAMILY = ['Quarrington', 'Abernathy-Voss', 'Featherstonehaugh', 'Okonkwo-Lindqvist', 'Delacroix-Mbeki'];
const STREETS = ['Thistledown Parkway', 'Marrowbone Crescent', 'Quillfeather Lane', 'Brambleworth Avenue'];

/** An account's owner: a made-up person, the same for the same member, each field distinctive (see accountNumber). */
function accountOwner(member: SimMember, accountGuid: string) {
  const pick = <T>(list: readonly T[], salt: string): T => list[Number(digits(`${salt}:${member.guid}`, 3)) % list.length]!;
  const first = pick(GIVEN, 'given');
  const last = pick(FAMILY, 'family');
  return {
    account_guid: accountGuid,
    address: `${digits(`number:${member.guid}`, 4)} ${pick(STREETS, 'street')}`,
    city: 'Quillerton Heights',
    country: 'United States',
    email: `${first}.${last}@owners.example`.toLowerCase(),
    first_name: null,
    last_name: null,
    member_guid: member.guid,
    owner_name: `${first} ${last}`,
    phone: `801-555-${digits(`phone:${member.guid}`, 4)}`,
    postal_code: `84034-${digits(`zip:${member.guid}`, 4)}`,
    state: 'Utah',
    user_guid: member.owner.guid,
  };
}
