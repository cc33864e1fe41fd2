/** The relay's work queues, each by the one name it has everywhere. Each has a dead-letter queue. */
export const QUEUE_NAMES = [
  'poll',
  'member-reports',
  'reconcile',
  'erasures',
  'delivery',
  'delivery-slow',
  'refresh-requests',
] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** The queues worker-poll consumes: each kind of MX-bound work on its own, with its own concurrency. */
export const MX_WORK_QUEUES = ['poll', 'member-reports', 'reconcile', 'erasures'] as const satisfies readonly QueueName[];

/** The webhook delivery lanes: each message names its webhook as its tenant (SQS fair queues). */
export const DELIVERY_QUEUES = ['delivery', 'delivery-slow'] as const satisfies readonly QueueName[];

/** Which of `queues` an SQS record came from, by the end of its `eventSourceARN`; the first when none matches. */
export function queueOfRecord<Q extends QueueName>(eventSourceArn: string, queues: readonly [Q, ...Q[]]): Q {
  const name = eventSourceArn.slice(eventSourceArn.lastIndexOf(':') + 1);
  return queues.find((queue) => name === queue || name.endsWith(`-${queue}`)) ?? queues[0];
}

const variablePrefix = (queue: QueueName) => queue.toUpperCase().replaceAll('-', '_');

/** The environment variable holding the queue's URL. */
export const queueUrlVariable = (queue: QueueName) => `${variablePrefix(queue)}_QUEUE_URL` as const;

/** The environment variable holding its dead-letter queue's URL. */
export const deadLetterUrlVariable = (queue: QueueName) => `${variablePrefix(queue)}_DLQ_URL` as const;
