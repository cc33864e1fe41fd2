import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { conditionalWrite, keys, TABLE_KEYS, type TableRef } from '../store/table.ts';

/**
 * MX retries a webhook it could not deliver "with decreasing frequency over about 24 hours"
 * (docs.mx.com/resources/webhooks): a body is remembered a little longer.
 */
export const MX_RETRY_HORIZON_MS = 25 * 3600_000;

/**
 * MX's webhooks seen, by the SHA-256 of their canonical JSON (`MXHOOK#{digest}`), for MX_RETRY_HORIZON_MS: HTTP Basic
 * carries no timestamp, so a captured body can be sent again; within MX's horizon it does nothing more. The digest
 * needs no key: a body names MX's own random guids, which nobody can guess from a user id.
 */
export class MxWebhookReplays {
  constructor(private readonly table: TableRef) {}

  /** True the first time `digest` is seen within the horizon; false for a replay. */
  first(digest: string, now: number): Promise<boolean> {
    return conditionalWrite(
      this.table.client.send(
        new PutCommand({
          TableName: this.table.tableName,
          Item: { ...keys.mxWebhook(digest), [TABLE_KEYS.ttl]: toEpochSeconds(now + MX_RETRY_HORIZON_MS) },
          // dynalite never expires items: one past its ttl is absent.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttl },
          ExpressionAttributeValues: { ':now': toEpochSeconds(now) },
        }),
      ),
    );
  }
}
