import * as z from '../zod.ts';
import type { Route } from '../http/route.ts';
import type { DeadLetterCounts } from './dead-letter-counts.ts';
import { QUEUE_NAMES } from './queue-names.ts';

/** What api-jobs gives this route. */
export interface QueueRouteDeps {
  deadLetters: Pick<DeadLetterCounts, 'count'>;
}

const queuesAnswer = z.strictObject({
  queues: z.array(
    z.strictObject({
      name: z.enum(QUEUE_NAMES),
      dead_letters: z
        .number()
        .check(z.describe('Messages waiting in its dead-letter queue (SQS’s approximate count): read them with `dlq list`')),
    }),
  ),
});

/** The relay's queues as an operator watches them (served by api-jobs, the operator's read function). */
export const QUEUE_ROUTES: readonly Route<QueueRouteDeps>[] = [
  {
    method: 'GET',
    path: '/queues',
    fn: 'api-jobs',
    summary: 'The relay’s queues and the dead letters waiting in each (server keys)',
    auth: 'api_key',
    access: 'server_key',
    async handle(_request, { deadLetters }) {
      const counts = await deadLetters.count();
      return { status: 200, body: { queues: counts.map(({ queue, messages }) => ({ name: queue, dead_letters: messages })) } };
    },
    docs: () => ({
      description:
        `Each work queue (${QUEUE_NAMES.map((name) => `\`${name}\``).join(', ')}) with the messages waiting in its dead-letter queue: what failed for good ` +
        '(a message that cannot be parsed, or one that failed five times). The CLI’s `dlq list|show|redrive` reads and moves them. A user-bound key is refused.',
      responses: { 200: { description: 'The queues', body: queuesAnswer } },
      problems: ['forbidden'],
    }),
  },
];
