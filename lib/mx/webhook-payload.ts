import * as z from '../zod.ts';
import { params } from '../identifiers.ts';

/**
 * The MX webhooks nexus-relay acts on (MX's webhooks guide): AGGREGATION (`member_data_updated`, after an aggregation
 * with new data) and CONNECTION_STATUS (the member entered an end-user-actionable status). Only what we act on
 * or log is read; MX may send nulls, new fields and new types, so informational fields never reject a payload.
 */
export type MxWebhook =
  | { type: 'AGGREGATION'; memberGuid: string; action: string | null; jobGuid: string | null; isBackground: boolean }
  | { type: 'CONNECTION_STATUS'; memberGuid: string; action: string | null; connectionStatus: string | null };

export type MxWebhookParse = { ok: true; webhook: MxWebhook } | { ok: false; reason: string };

/** A field we only log: anything but a short string reads as null. */
const info = z.catch(z.nullable(z.string().check(z.maxLength(128))), null);

const envelope = z.looseObject({ type: z.string().check(z.maxLength(64)) });
const aggregation = z.looseObject({
  member_guid: params.memberGuid,
  action: info,
  job_guid: info,
  is_background: z.catch(z.nullable(z.boolean()), null),
});
const connectionStatus = z.looseObject({ member_guid: params.memberGuid, action: info, connection_status: info });

/** Reads a webhook body; never throws, whatever the input. */
export function parseMxWebhook(body: unknown): MxWebhookParse {
  const head = envelope.safeParse(body);
  if (!head.success) return { ok: false, reason: 'not an MX webhook: no `type`' };
  const { type } = head.data;
  switch (type) {
    case 'AGGREGATION': {
      const parsed = aggregation.safeParse(body);
      if (!parsed.success) return withoutMember(type);
      const { member_guid, action, job_guid, is_background } = parsed.data;
      return {
        ok: true,
        webhook: { type, memberGuid: member_guid, action, jobGuid: job_guid, isBackground: is_background === true },
      };
    }
    case 'CONNECTION_STATUS': {
      const parsed = connectionStatus.safeParse(body);
      if (!parsed.success) return withoutMember(type);
      const { member_guid, action, connection_status } = parsed.data;
      return { ok: true, webhook: { type, memberGuid: member_guid, action, connectionStatus: connection_status } };
    }
    default:
      return { ok: false, reason: `type ${JSON.stringify(type)} is not one nexus-relay acts on` };
  }
}

const withoutMember = (type: string): MxWebhookParse => ({ ok: false, reason: `${type} webhook without a valid member_guid` });
