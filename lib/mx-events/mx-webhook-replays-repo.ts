import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { toEpochSeconds } from '../clock.ts';
import { conditionalWrite, keys, TABLE_KEYS, type TableRef } from '../store/table.ts';

/** MX retries a webhook for about 24 hours: a body is remembered a little longer. */
export const MX_RETRY_HORIZON_MS = 25 * 3600_000;

/**
 * MX's webhooks seen, by digest: HTTP Basic carries no timestamp, so a captured body can be replayed. The digest needs no
 * key: a body names MX's random guids, which nobody can guess from a user id.
 */
export class MxWebhookReplays {
  constructor(private readonly table: TableRef) {}

  /** False for a replay. */
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
