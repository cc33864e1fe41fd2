import * as z from '../zod.ts';
import { describedAs } from '../http/openapi/json-schemas.ts';
import { mxGuid, params } from '../identifiers.ts';

const calendarDate = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD'),
  z.refine((value: string) => {
    const date = new Date(`${value}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
  }, 'must be a real calendar date'),
);

/** Any MX guid (`ABC-…`): MX's prefixes for the newer resources are not all documented, and the shape keeps paths safe. */
const anyGuid = z.string().check(z.regex(/^[A-Z]{2,4}-[A-Za-z0-9-]{1,64}$/, 'must be an MX guid (ABC-…)'));

/** Every path parameter an operation can have, validated by name before anything reaches MX. */
export const PATH_PARAMS: Record<string, z.ZodMiniType<string>> = {
  user_id: params.userId,
  member_guid: params.memberGuid,
  account_guid: mxGuid('ACT'),
  beat_guid: mxGuid('BET'),
  category_guid: mxGuid('CAT'),
  spending_plan_guid: mxGuid('SPL'),
  spending_plan_account_guid: mxGuid('SPA'),
  top_level_category_guids: z
    .string()
    .check(z.regex(/^CAT-[A-Za-z0-9-]{1,64}(,CAT-[A-Za-z0-9-]{1,64}){0,49}$/, 'must be 1–50 comma-separated CAT-… guids')),
  institution_guid: z.string().check(z.regex(/^INS-[A-Za-z0-9_-]{1,100}$/, 'must be MX’s INS-… guid of the institution')),
  start_date: calendarDate,
  end_date: calendarDate,
  transaction_guid: anyGuid,
  transaction_rule_guid: anyGuid,
  budget_guid: anyGuid,
  goal_guid: anyGuid,
  holding_guid: anyGuid,
  insight_guid: anyGuid,
  merchant_guid: anyGuid,
  merchant_location_guid: anyGuid,
  notification_guid: anyGuid,
  deliverable_guid: anyGuid,
  iteration_item_guid: anyGuid,
  micro_deposit_guid: mxGuid('MIC'),
  guid: anyGuid,
};

const integer = (min: number, max: number) =>
  z.pipe(z.string().check(z.regex(/^\d{1,7}$/, 'must be a whole number')), z.transform(Number)).check(
    z.refine((n: number) => n >= min && n <= max, `must be between ${min} and ${max}`),
    z.meta(describedAs({ type: 'integer', minimum: min, maximum: max })),
  );

/** `ACT-1,ACT-2` (API Gateway joins repeated parameters with commas), sent to MX as `account_guids[]`. */
const guidList = z.pipe(
  z
    .string()
    .check(z.regex(/^ACT-[A-Za-z0-9-]{1,64}(,ACT-[A-Za-z0-9-]{1,64}){0,49}$/, 'must be 1–50 comma-separated ACT-… guids')),
  z.transform((value: string) => value.split(',')),
);

/** Every query parameter an operation can take, by MX's name: an operation lists the ones MX documents for it. */
export const QUERY_PARAMS = {
  page: integer(1, 1_000_000),
  records_per_page: integer(10, 1000),
  use_case: z.enum(['PFM', 'MONEY_MOVEMENT']),
  name: z.string().check(z.minLength(1), z.maxLength(100), z.describe('Part of the institution’s name')),
  from_date: calendarDate.check(z.describe('From this day (MX’s default: 120 days ago)')),
  to_date: calendarDate.check(z.describe('Through this day (MX’s default: 5 days ahead)')),
  account_guid: mxGuid('ACT'),
  account_guids: guidList,
  user_transaction_rule_guid: anyGuid,
} satisfies Record<string, z.ZodMiniType>;

export type QueryName = keyof typeof QUERY_PARAMS;

/** Where MX spells a parameter otherwise on the wire: lists as `name[]`. */
export const MX_QUERY_NAMES: Partial<Record<QueryName, string>> = { account_guids: 'account_guids[]' };

/** The pairs of days whose end must not come before their start. */
export const DATE_RANGES = [
  ['start_date', 'end_date'],
  ['from_date', 'to_date'],
] as const;
