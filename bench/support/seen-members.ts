import { MemberStatesRepository } from '../../lib/aggregation/member-states-repo.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import type { EnginesAddress } from './remote-side.ts';

/**
 * Records each member as the relay does when MX first announces it (its AGGREGATION webhook after the member's
 * first aggregation, read by a member report): a member's first refresh of all reads it from MX once more (decision
 * 0025), once in its life, where this run measures the refreshes of its every day.
 */
export async function recordMembersSeen(
  engines: Pick<EnginesAddress, 'region' | 'dynamoDbEndpoint' | 'tableName'>,
  members: readonly { userId: string; guid: string }[],
  now = Date.now(),
): Promise<void> {
  const client = createDocumentClient({ region: engines.region, dynamoDbEndpoint: engines.dynamoDbEndpoint });
  const states = new MemberStatesRepository({ client, tableName: engines.tableName });
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < members.length; i = next++) {
        const { userId, guid } = members[i]!;
        await states.record(userId, guid, 0, { connectionStatus: 'CONNECTED', statusSeq: 0, now });
      }
    }),
  );
  client.destroy();
}
