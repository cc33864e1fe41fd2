import { startOfDay } from './calendar.ts';
import { toIso } from './clock.ts';
import type { JsonObject } from './input-validation.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { type SimTransaction, compareCodeUnits } from './read-model.ts';
import { pagedListBody } from './read-views.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';
import {
  optionalAmount,
  optionalBoolean,
  optionalCode,
  optionalDay,
  optionalString,
  requiredAmount,
  requiredString,
  rootedBody,
} from './write-bodies.ts';

export interface SimScheduledPayment {
  guid: string;
  userGuid: string;
  amount: number;
  description: string;
  merchantGuid: string | null;
  /** The day it is next due. */
  occursOn: string;
  isRecurring: boolean;
  recurrenceDay: number | null;
  isCompleted: boolean;
  /** 1 CREDIT, 2 DEBIT (MX's scheduled payments overview). */
  transactionType: 1 | 2;
  createdAt: number;
  updatedAt: number;
}

/** The only recurrence whose code MX's pages show: 3 EVERY_MONTH (MX's Update a scheduled payment example). */
const EVERY_MONTH = 3;
const SEEDED_PAYMENTS = 2;

const stores = new WeakMap<SimulatorState, Map<string, SimScheduledPayment[]>>();

/** The day a month after `day`, on the same day of the month (the month's last when it is shorter). */
function monthAfter(day: string): string {
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date, last))).toISOString().slice(0, 10);
}

/**
 * The user's scheduled payments: seeded on first use with the user's latest recurring bills (their bill category's
 * newest transactions: the next month's payment of the same amount), then as the writes leave them. Guids come from
 * the simulator's guid stream, so a seed and the same calls replay them.
 */
export function scheduledPaymentsOf(state: SimulatorState, user: SimUser): SimScheduledPayment[] {
  let store = stores.get(state);
  if (!store) {
    store = new Map();
    stores.set(state, store);
  }
  let payments = store.get(user.id);
  if (!payments) {
    payments = seededPayments(state, user);
    store.set(user.id, payments);
  }
  return payments;
}

function seededPayments(state: SimulatorState, user: SimUser): SimScheduledPayment[] {
  const bills = new Set(
    state.seedData.categories.filter((category) => category.kind === 'bill').map((category) => category.guid),
  );
  const latest = new Map<string, SimTransaction>();
  // Newest first already: the first of each description is its latest payment.
  for (const transaction of readDataOf(state.seedData, user.id).transactions) {
    if (transaction.type === 'DEBIT' && bills.has(transaction.categoryGuid) && !latest.has(transaction.description)) {
      latest.set(transaction.description, transaction);
    }
  }
  return [...latest.values()]
    .sort((a, b) => compareCodeUnits(a.description, b.description))
    .slice(0, SEEDED_PAYMENTS)
    .map((transaction) => {
      const occursOn = monthAfter(transaction.date);
      return {
        guid: state.newGuid('SCH'),
        userGuid: user.guid,
        amount: transaction.amount,
        description: transaction.description,
        merchantGuid: null,
        occursOn,
        isRecurring: true,
        recurrenceDay: Number(occursOn.slice(8, 10)),
        isCompleted: false,
        transactionType: 2,
        createdAt: transaction.createdAt,
        updatedAt: transaction.createdAt,
      };
    });
}

/** The fields of MX's Update a scheduled payment example. */
export const scheduledPaymentView = (payment: SimScheduledPayment) => ({
  amount: payment.amount,
  created_at: toIso(payment.createdAt),
  description: payment.description,
  guid: payment.guid,
  is_completed: payment.isCompleted,
  is_recurring: payment.isRecurring,
  merchant_guid: payment.merchantGuid,
  occurs_on: toIso(startOfDay(payment.occursOn)),
  recurrence_day: payment.recurrenceDay,
  recurrence_type: payment.isRecurring ? EVERY_MONTH : null,
  recurrence_type_name: payment.isRecurring ? 'EVERY_MONTH' : null,
  transaction_type: payment.transactionType,
  transaction_type_name: payment.transactionType === 1 ? 'CREDIT' : 'DEBIT',
  updated_at: toIso(payment.updatedAt),
  user_guid: payment.userGuid,
});

/** The fields a create or update gives, checked; `creating` makes amount, description and occurs_on required. */
function paymentFields(input: JsonObject, creating: boolean): Partial<SimScheduledPayment> {
  const fields: Partial<SimScheduledPayment> = {};
  const amount = creating ? requiredAmount(input, 'amount', 0) : optionalAmount(input, 'amount', { min: 0 });
  if (typeof amount === 'number') fields.amount = amount;
  const description = creating ? requiredString(input, 'description') : optionalString(input, 'description');
  if (typeof description === 'string') fields.description = description;
  const occursOn = optionalDay(input, 'occurs_on');
  if (creating && occursOn === undefined) throw new MxError(400, 'occurs_on is required.');
  if (occursOn !== undefined) fields.occursOn = occursOn;
  const merchant = optionalString(input, 'merchant_guid', { nullable: true });
  if (merchant !== undefined) {
    if (merchant !== null && !/^MCH-[A-Za-z0-9-]+$/.test(merchant))
      throw new MxError(400, 'merchant_guid must be an MCH-… guid.');
    fields.merchantGuid = merchant;
  }
  const transactionType = optionalCode(input, 'transaction_type', [1, 2] as const);
  if (transactionType !== undefined) fields.transactionType = transactionType;
  const isRecurring = optionalBoolean(input, 'is_recurring');
  if (isRecurring !== undefined) fields.isRecurring = isRecurring;
  // MX's pages show one recurrence code, 3 EVERY_MONTH: the simulator takes that one only.
  optionalCode(input, 'recurrence_type', [EVERY_MONTH] as const);
  const recurrenceDay = optionalCode(
    input,
    'recurrence_day',
    Array.from({ length: 31 }, (_, index) => index + 1),
  );
  if (recurrenceDay !== undefined) fields.recurrenceDay = recurrenceDay;
  const isCompleted = optionalBoolean(input, 'is_completed');
  if (isCompleted !== undefined) fields.isCompleted = isCompleted;
  return fields;
}

/**
 * Nexus scheduled payments: create (MX's page; its body's fields did not survive, so Platform-style
 * `{"scheduled_payment":{amount, description, occurs_on, transaction_type, is_recurring, recurrence_type,
 * recurrence_day, merchant_guid}}`), update `PUT /scheduled_payments/{guid}` (MX's bare `{guid}`; its curl sends `{}`,
 * which changes nothing) and list (its page was not found: UNCONFIRMED; paged as Nexus's lists are). "There can only
 * be one scheduled payment per merchant" (MX's overview): a second for a merchant_guid is a 409. PFM: pfmEndpoint.
 */
export function scheduledPaymentRoutes(state: SimulatorState): MxRoute[] {
  const now = () => state.clock.now();
  const oneForMerchant = (payments: SimScheduledPayment[], merchantGuid: string | null | undefined, except?: string) => {
    if (merchantGuid && payments.some((payment) => payment.merchantGuid === merchantGuid && payment.guid !== except)) {
      throw new MxError(409, 'merchant_guid already has a scheduled payment.');
    }
  };
  return [
    {
      methods: ['GET'],
      pattern: '/scheduled_payments',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('scheduled_payments', scheduledPaymentsOf(state, user), scheduledPaymentView, query),
      })),
    },
    {
      methods: ['POST'],
      pattern: '/scheduled_payments',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const fields = paymentFields(rootedBody(body, 'scheduled_payment'), true);
        const payments = scheduledPaymentsOf(state, user);
        oneForMerchant(payments, fields.merchantGuid);
        const at = now();
        const isRecurring = fields.isRecurring ?? false;
        const payment: SimScheduledPayment = {
          guid: state.newGuid('SCH'),
          userGuid: user.guid,
          amount: fields.amount!,
          description: fields.description!,
          merchantGuid: fields.merchantGuid ?? null,
          occursOn: fields.occursOn!,
          isRecurring,
          recurrenceDay: isRecurring ? (fields.recurrenceDay ?? Number(fields.occursOn!.slice(8, 10))) : null,
          isCompleted: fields.isCompleted ?? false,
          transactionType: fields.transactionType ?? 2,
          createdAt: at,
          updatedAt: at,
        };
        payments.push(payment);
        return { status: 200, body: { scheduled_payment: scheduledPaymentView(payment) } };
      }),
    },
    {
      methods: ['PUT'],
      pattern: '/scheduled_payments/{guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const payments = scheduledPaymentsOf(state, user);
        const payment = payments.find(({ guid }) => guid === params.guid);
        if (!payment) throw new MxError(404, 'Scheduled payment not found.');
        const input = rootedBodyOrEmpty(body);
        const fields = paymentFields(input, false);
        oneForMerchant(payments, fields.merchantGuid, payment.guid);
        if (Object.keys(fields).length > 0) {
          Object.assign(payment, fields, { updatedAt: now() });
          if (!payment.isRecurring) payment.recurrenceDay = null;
          else payment.recurrenceDay ??= Number(payment.occursOn.slice(8, 10));
        }
        return { status: 200, body: { scheduled_payment: scheduledPaymentView(payment) } };
      }),
    },
  ];
}

/** MX's update example sends `{}`: no change. Anything else must be rooted in `scheduled_payment`. */
function rootedBodyOrEmpty(body: Buffer): JsonObject {
  const text = body.toString('utf8').trim();
  if (text === '' || text === '{}') return {};
  return rootedBody(body, 'scheduled_payment');
}
