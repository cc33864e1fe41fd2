import { type AggregationScript, type ChallengeScript, DEFAULT_AGGREGATION_SCRIPT } from './aggregation-script.ts';
import { CONNECTION_STATUS_NAMES, isConnectionStatusName } from './connection-statuses.ts';
import { InvalidInputError, optionalNonEmptyString, optionalNumberInRange, requireJsonObject } from './input-validation.ts';
import { MAX_MEMBER_ACCOUNTS, MAX_MEMBER_TRANSACTIONS } from './member-data.ts';
import { type MemberData, type MemberSpec, USE_CASES, type UseCase, isUseCase } from './members.ts';

const MEMBER_GUID = /^MBR-[A-Za-z0-9_-]+$/;
const INSTITUTION_GUID = /^INS-[A-Za-z0-9_-]+$/;
/** Long enough for "never finishes during a test", short enough that dates stay valid. */
const MAX_DURATION_MS = 365 * 24 * 3_600_000;

/** Reads the body of `POST /_sim/members`. */
export function parseMemberSpec(body: unknown): MemberSpec {
  const input = requireJsonObject(body, 'body');

  const userId = optionalNonEmptyString(input.user_id, 'user_id');
  if (userId === undefined) throw new InvalidInputError('user_id is required');

  const memberGuid = optionalNonEmptyString(input.member_guid, 'member_guid');
  if (memberGuid !== undefined && !MEMBER_GUID.test(memberGuid)) {
    throw new InvalidInputError('member_guid must look like MBR-… (letters, digits, "-" and "_")');
  }

  const institutionGuid = optionalNonEmptyString(input.institution_guid, 'institution_guid');
  if (institutionGuid !== undefined && !INSTITUTION_GUID.test(institutionGuid)) {
    throw new InvalidInputError('institution_guid must look like INS-… (letters, digits, "-" and "_")');
  }

  const useCases = parseUseCases(input.use_cases);
  return {
    userId,
    memberGuid,
    name: optionalNonEmptyString(input.name, 'name'),
    useCases,
    script: parseAggregationScript(input.aggregation),
    institutionCode: optionalNonEmptyString(input.institution_code, 'institution_code'),
    institutionGuid,
    data: parseMemberData(input, useCases),
  };
}

/**
 * `accounts` and `transactions`: how many the member holds. A body that asks for transactions and, in the same
 * breath, for no account or for use cases without PFM contradicts itself (such a member shows none).
 */
function parseMemberData(input: Record<string, unknown>, useCases: UseCase[] | null | undefined): Partial<MemberData> {
  const accounts = optionalNumberInRange(input.accounts, 'accounts', { min: 0, max: MAX_MEMBER_ACCOUNTS, integer: true });
  const transactions = optionalNumberInRange(input.transactions, 'transactions', {
    min: 0,
    max: MAX_MEMBER_TRANSACTIONS,
    integer: true,
  });
  if (transactions !== undefined && transactions > 0) {
    if (accounts === 0) throw new InvalidInputError('transactions need an account: accounts is 0');
    if (useCases && !useCases.includes('PFM')) {
      throw new InvalidInputError('transactions need PFM: MX aggregates no transactions for use_cases without it');
    }
  }
  return {
    ...(accounts === undefined ? {} : { accounts }),
    ...(transactions === undefined ? {} : { transactions }),
  };
}

function parseUseCases(value: unknown): UseCase[] | null | undefined {
  if (value === undefined || value === null) return value;
  if (!Array.isArray(value) || value.length === 0 || !value.every(isUseCase)) {
    throw new InvalidInputError(`use_cases must be null or a non-empty array of ${USE_CASES.join(', ')}`);
  }
  return [...new Set(value)];
}

function parseAggregationScript(value: unknown): AggregationScript {
  if (value === undefined) return DEFAULT_AGGREGATION_SCRIPT;
  const input = requireJsonObject(value, 'aggregation');

  const finalStatus = input.final_status ?? DEFAULT_AGGREGATION_SCRIPT.finalStatus;
  if (!isConnectionStatusName(finalStatus)) {
    throw new InvalidInputError(`aggregation.final_status must be one of ${CONNECTION_STATUS_NAMES.join(', ')}`);
  }
  const challenge = parseChallenge(input.challenge);
  if (finalStatus === 'CHALLENGED' && !challenge) {
    throw new InvalidInputError('aggregation.challenge is required to end an aggregation CHALLENGED');
  }

  return {
    durationMs:
      optionalNumberInRange(input.duration_ms, 'aggregation.duration_ms', {
        min: 0,
        max: MAX_DURATION_MS,
        integer: true,
      }) ?? DEFAULT_AGGREGATION_SCRIPT.durationMs,
    finalStatus,
    challenge,
    transactions: parseTransactionChanges(input.transactions),
  };
}

/** `aggregation.transactions: {add?, update?, post?}`: what each successful run adds, updates and posts (0 by default). */
function parseTransactionChanges(value: unknown): AggregationScript['transactions'] {
  if (value === undefined) return DEFAULT_AGGREGATION_SCRIPT.transactions;
  const input = requireJsonObject(value, 'aggregation.transactions');
  const count = (field: 'add' | 'update' | 'post') =>
    optionalNumberInRange(input[field], `aggregation.transactions.${field}`, { min: 0, max: 10_000, integer: true }) ?? 0;
  return { add: count('add'), update: count('update'), post: count('post') };
}

function parseChallenge(value: unknown): ChallengeScript | null {
  if (value === undefined || value === null) return null;
  const input = requireJsonObject(value, 'aggregation.challenge');
  const label = optionalNonEmptyString(input.label, 'aggregation.challenge.label');
  const answer = optionalNonEmptyString(input.answer, 'aggregation.challenge.answer');
  if (label === undefined || answer === undefined) {
    throw new InvalidInputError('aggregation.challenge needs a label and an answer');
  }
  return { label, answer };
}
