import * as z from '../zod.ts';
import { mxGuid, params } from '../identifiers.ts';

/** MX's `member_data_updated` webhooks: after an aggregation, an extended history, a verification. */
export const MEMBER_DATA_WEBHOOKS = ['AGGREGATION', 'BALANCE', 'HISTORY', 'VERIFICATION'] as const;
type MemberDataWebhook = (typeof MEMBER_DATA_WEBHOOKS)[number];
const isMemberData = (type: string): type is MemberDataWebhook => (MEMBER_DATA_WEBHOOKS as readonly string[]).includes(type);

/**
 * The MX webhooks nexus-relay acts on. Only what we act on or log is read; MX may send nulls, new fields and new types,
 * so informational fields never reject a payload.
 */
export type MxWebhook =
  | {
      type: MemberDataWebhook;
      memberGuid: string;
      /** MX's `user_id` is the relay's, as users are made with it. */
      userId: string | null;
      userGuid: string | null;
      action: string | null;
      jobGuid: string | null;
      isBackground: boolean;
    }
  | {
      type: 'CONNECTION_STATUS';
      memberGuid: string;
      /** MX names the user by its own guid only on this webhook. */
      userGuid: string | null;
      action: string | null;
      connectionStatus: string | null;
    }
  | {
      type: 'TRANSACTIONS';
      action: TransactionAction;
      transactionGuid: string;
      memberGuid: string;
      userId: string | null;
      userGuid: string | null;
    }
  | {
      /** Acted on only when the member was deleted. */
      type: 'MEMBER';
      action: 'deleted';
      memberGuid: string;
      userId: string | null;
      userGuid: string | null;
    };

export const TRANSACTION_ACTIONS = ['created', 'updated', 'deleted'] as const;
export type TransactionAction = (typeof TRANSACTION_ACTIONS)[number];

export type MxWebhookParse = { ok: true; webhook: MxWebhook } | { ok: false; reason: string };

/** A field we only log: anything but a short string reads as null. */
const info = z.catch(z.nullable(z.string().check(z.maxLength(128))), null);

/** An identifier we look up: anything malformed reads as absent (the webhook is then placed by the other, or not). */
const userId = z.catch(z.nullable(params.userId), null);
const userGuid = z.catch(z.nullable(mxGuid('USR')), null);

const envelope = z.looseObject({ type: z.string().check(z.maxLength(64)) });
/** TRANSACTIONS and MEMBER webhooks carry the record under its name beside `action` (envelope unconfirmed, `type` optional). */
const actionOf = z.catch(z.nullable(z.string().check(z.maxLength(32))), null);
const transactionRecord = z.looseObject({
  action: actionOf,
  transaction: z.looseObject({
    guid: mxGuid('TRN'),
    member_guid: params.memberGuid,
    user_id: z.optional(userId),
    user_guid: z.optional(userGuid),
    is_deleted: z.catch(z.optional(z.boolean()), undefined),
  }),
});
const memberRecord = z.looseObject({
  action: actionOf,
  member: z.looseObject({
    guid: params.memberGuid,
    user_id: z.optional(userId),
    user_guid: z.optional(userGuid),
    is_deleted: z.catch(z.optional(z.boolean()), undefined),
  }),
});
const aggregation = z.looseObject({
  member_guid: params.memberGuid,
  user_id: z.optional(userId),
  user_guid: z.optional(userGuid),
  action: info,
  job_guid: info,
  is_background: z.catch(z.nullable(z.boolean()), null),
});
const connectionStatus = z.looseObject({
  member_guid: params.memberGuid,
  user_guid: z.optional(userGuid),
  action: info,
  connection_status: info,
});

/** Reads a webhook body; never throws, whatever the input. */
export function parseMxWebhook(body: unknown): MxWebhookParse {
  if (body !== null && typeof body === 'object' && 'transaction' in body) return parseTransaction(body);
  if (body !== null && typeof body === 'object' && 'member' in body) return parseMember(body);
  const head = envelope.safeParse(body);
  if (!head.success) return { ok: false, reason: 'not an MX webhook: no `type`' };
  const { type } = head.data;
  // Or the record's fields flat beside `type` and `action`, as MX's field tables list them.
  if (FLAT_TRANSACTION.has(type)) return parseTransaction({ action: (body as { action?: unknown }).action, transaction: body });
  if (FLAT_MEMBER.has(type)) return parseMember({ action: (body as { action?: unknown }).action, member: body });
  if (isMemberData(type)) {
    const parsed = aggregation.safeParse(body);
    if (!parsed.success) return withoutMember(type);
    const { member_guid, user_id, user_guid, action, job_guid, is_background } = parsed.data;
    return {
      ok: true,
      webhook: {
        type,
        memberGuid: member_guid,
        userId: user_id ?? null,
        userGuid: user_guid ?? null,
        action,
        jobGuid: job_guid,
        isBackground: is_background === true,
      },
    };
  }
  if (type === 'CONNECTION_STATUS') {
    const parsed = connectionStatus.safeParse(body);
    if (!parsed.success) return withoutMember(type);
    const { member_guid, user_guid, action, connection_status } = parsed.data;
    return {
      ok: true,
      webhook: { type, memberGuid: member_guid, userGuid: user_guid ?? null, action, connectionStatus: connection_status },
    };
  }
  return { ok: false, reason: `type ${JSON.stringify(type)} is not one nexus-relay acts on` };
}

const FLAT_TRANSACTION = new Set(['TRANSACTIONS', 'TRANSACTION']);
const FLAT_MEMBER = new Set(['MEMBER', 'MEMBERS']);

const withoutMember = (type: string): MxWebhookParse => ({ ok: false, reason: `${type} webhook without a valid member_guid` });

function parseTransaction(body: object): MxWebhookParse {
  const parsed = transactionRecord.safeParse(body);
  if (!parsed.success) return { ok: false, reason: 'TRANSACTIONS webhook without a valid transaction guid and member_guid' };
  const { action, transaction } = parsed.data;
  const said = transaction.is_deleted === true ? 'deleted' : action?.toLowerCase();
  if (!(TRANSACTION_ACTIONS as readonly (string | undefined)[]).includes(said)) {
    return { ok: false, reason: `TRANSACTIONS action ${JSON.stringify(action)} is not one nexus-relay acts on` };
  }
  return {
    ok: true,
    webhook: {
      type: 'TRANSACTIONS',
      action: said as TransactionAction,
      transactionGuid: transaction.guid,
      memberGuid: transaction.member_guid,
      userId: transaction.user_id ?? null,
      userGuid: transaction.user_guid ?? null,
    },
  };
}

function parseMember(body: object): MxWebhookParse {
  const parsed = memberRecord.safeParse(body);
  if (!parsed.success) return withoutMember('MEMBER');
  const { action, member } = parsed.data;
  if (action?.toLowerCase() !== 'deleted' && member.is_deleted !== true) {
    return { ok: false, reason: `MEMBER action ${JSON.stringify(action)} is not one nexus-relay acts on` };
  }
  return {
    ok: true,
    webhook: {
      type: 'MEMBER',
      action: 'deleted',
      memberGuid: member.guid,
      userId: member.user_id ?? null,
      userGuid: member.user_guid ?? null,
    },
  };
}
