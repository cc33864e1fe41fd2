import { MINUTE_MS } from './calendar.ts';
import { toIso } from './clock.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';
import { jsonObjectBody, optionalCode, requiredAmount, requiredString, rootedBody } from './write-bodies.ts';

/**
 * MX's microdeposit statuses: 0 INITIATED, 1 REQUESTED, 2 DEPOSITED, 3 VERIFIED (MX's microdeposits overview; its table
 * is cut off after those). DENIED and PREINITIATED exist (MX's pages name them) but their codes did not survive: the
 * simulator's 4 and 5 are UNCONFIRMED.
 */
const STATUS = { INITIATED: 0, REQUESTED: 1, DEPOSITED: 2, VERIFIED: 3, DENIED: 4, PREINITIATED: 5 } as const;
type StatusName = keyof typeof STATUS;

/** The amounts the simulator deposits: MX's Verify a microdeposit example's 0.09 and 0.09. */
export const DEPOSITED_AMOUNTS = [0.09, 0.09] as const;

interface SimMicroDeposit {
  guid: string;
  firstName: string;
  lastName: string;
  email: string;
  account: { number: string; routing: string; type: 1 | 2 } | null;
  createdAt: number;
  updatedAt: number;
  /** Set by verify: VERIFIED or DENIED, and when. */
  outcome: { status: 'VERIFIED' | 'DENIED'; at: number } | null;
}

const ACCOUNT_TYPE_NAMES = { 1: 'CHECKING', 2: 'SAVINGS' } as const;

/**
 * Where a microdeposit stands at `now`: without account details PREINITIATED; else INITIATED when created, REQUESTED
 * from a minute on and DEPOSITED two minutes after that (MX's test environment: "REQUESTED → DEPOSITED after two
 * minutes"), then what verifying made it.
 */
function statusAt(deposit: SimMicroDeposit, now: number): StatusName {
  if (deposit.outcome) return deposit.outcome.status;
  if (!deposit.account) return 'PREINITIATED';
  const age = now - deposit.createdAt;
  return age < MINUTE_MS ? 'INITIATED' : age < 3 * MINUTE_MS ? 'REQUESTED' : 'DEPOSITED';
}

const view = (deposit: SimMicroDeposit, now: number) => {
  const status = statusAt(deposit, now);
  const changedAt =
    deposit.outcome?.at ??
    (deposit.account === null
      ? deposit.updatedAt
      : deposit.createdAt +
        { INITIATED: 0, REQUESTED: MINUTE_MS, DEPOSITED: 3 * MINUTE_MS, VERIFIED: 0, DENIED: 0, PREINITIATED: 0 }[status]);
  const typeName = deposit.account === null ? null : ACCOUNT_TYPE_NAMES[deposit.account.type];
  return {
    account_name:
      typeName === null
        ? null
        : `MX Bank ${typeName === 'CHECKING' ? 'Checking' : 'Savings'} …${deposit.account!.number.slice(-4)}`,
    account_number: deposit.account?.number ?? null,
    account_type: deposit.account?.type ?? null,
    account_type_name: typeName,
    created_at: toIso(deposit.createdAt),
    email: deposit.email,
    error_code: null,
    error_message: status === 'DENIED' ? 'The deposit amounts did not match.' : null,
    first_name: deposit.firstName,
    guid: deposit.guid,
    institution_name: deposit.account === null ? null : 'MX Bank',
    last_name: deposit.lastName,
    routing_number: deposit.account?.routing ?? null,
    status: STATUS[status],
    status_name: status,
    updated_at: toIso(Math.max(deposit.updatedAt, changedAt)),
    verified_at: status === 'VERIFIED' ? toIso(deposit.outcome!.at) : null,
  };
};

/**
 * Nexus microdeposits (MONEY_MOVEMENT, so plain user endpoints): list (MX's example wraps each in `micro_deposit`, no
 * paging), create or preinitiate (`{"micro_deposit":{first_name, last_name, email[, account_number, routing_number,
 * account_type]}}`), read (its page's example did not survive: UNCONFIRMED, the list's object rooted), and verify
 * (`PUT`, flat `{deposit_amount_1, deposit_amount_2}`): once DEPOSITED, the amounts deposited make it VERIFIED, others
 * DENIED; before, a 400.
 */
export function microDepositRoutes(state: SimulatorState): MxRoute[] {
  const deposits = new Map<string, SimMicroDeposit[]>();
  const depositsOf = (user: SimUser) => {
    let list = deposits.get(user.id);
    if (!list) {
      list = [];
      deposits.set(user.id, list);
    }
    return list;
  };
  const depositOf = (user: SimUser, guid: string | undefined) => {
    const deposit = depositsOf(user).find((candidate) => candidate.guid === guid);
    if (!deposit) throw new MxError(404, 'Microdeposit not found.');
    return deposit;
  };
  const now = () => state.clock.now();

  return [
    {
      methods: ['GET'],
      pattern: '/micro_deposits',
      handler: userEndpoint(state, (_request, user) => ({
        status: 200,
        body: { micro_deposits: depositsOf(user).map((deposit) => ({ micro_deposit: view(deposit, now()) })) },
      })),
    },
    {
      methods: ['POST'],
      pattern: '/micro_deposits',
      handler: userEndpoint(state, ({ body }, user) => {
        const input = rootedBody(body, 'micro_deposit');
        const firstName = requiredString(input, 'first_name');
        const lastName = requiredString(input, 'last_name');
        const email = requiredString(input, 'email');
        if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
          throw new MxError(400, 'email must be an address written user@domain.tld.');
        const accountFields = ['account_number', 'routing_number', 'account_type'].filter((field) => input[field] !== undefined);
        let account: SimMicroDeposit['account'] = null;
        if (accountFields.length > 0) {
          const number = String(input.account_number ?? '');
          if (!/^\d{4,17}$/.test(number)) throw new MxError(400, 'account_number must be 4 to 17 digits.');
          const routing = String(input.routing_number ?? '');
          if (!/^\d{9}$/.test(routing)) throw new MxError(400, 'routing_number must be 9 digits.');
          const type = optionalCode(input, 'account_type', [1, 2] as const);
          if (type === undefined) throw new MxError(400, 'account_type is required (1 CHECKING, 2 SAVINGS).');
          account = { number, routing, type };
        }
        const at = now();
        const deposit: SimMicroDeposit = {
          guid: state.newGuid('MIC'),
          firstName,
          lastName,
          email,
          account,
          createdAt: at,
          updatedAt: at,
          outcome: null,
        };
        depositsOf(user).push(deposit);
        return { status: 200, body: { micro_deposit: view(deposit, at) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/micro_deposits/{micro_deposit_guid}',
      handler: userEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { micro_deposit: view(depositOf(user, params.micro_deposit_guid), now()) },
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/micro_deposits/{micro_deposit_guid}',
      handler: userEndpoint(state, ({ params, body }, user) => {
        const deposit = depositOf(user, params.micro_deposit_guid);
        const input = jsonObjectBody(body);
        const first = requiredAmount(input, 'deposit_amount_1', 0);
        const second = requiredAmount(input, 'deposit_amount_2', 0);
        const at = now();
        const status = statusAt(deposit, at);
        if (status !== 'DEPOSITED')
          throw new MxError(400, `The microdeposit is ${status}: only a DEPOSITED one can be verified.`);
        const matches = [first, second].sort().join() === [...DEPOSITED_AMOUNTS].sort().join();
        deposit.outcome = { status: matches ? 'VERIFIED' : 'DENIED', at };
        deposit.updatedAt = at;
        return { status: 200, body: { micro_deposit: view(deposit, at) } };
      }),
    },
  ];
}
