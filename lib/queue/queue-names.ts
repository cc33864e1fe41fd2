/**
 * The relay's work queues, each by the one name it has everywhere: in code, in the metrics' `queue` dimension, on the
 * CLI, in the local stack and in the deployed queue's name (`nexus-relay-<env>-<name>`). Each has a dead-letter queue.
 */
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

/**
 * The queues worker-poll consumes: MX-bound work of each kind on its own (an erasure's first step deletes the user at
 * MX), so each has its own concurrency.
 */
export const MX_WORK_QUEUES = ['poll', 'member-reports', 'reconcile', 'erasures'] as const satisfies readonly QueueName[];

/** The webhook delivery lanes: each message names its webhook as its tenant (SQS fair queues). */
export const DELIVERY_QUEUES = ['delivery', 'delivery-slow'] as const satisfies readonly QueueName[];

/**
 * Which of `queues` an SQS record came from, by its `eventSourceARN` (the queue's name ends it: `…:member-reports`
 * locally, `…:nexus-relay-prod-member-reports` deployed); the first of them when none matches.
 */
export function queueOfRecord<Q extends QueueName>(eventSourceArn: string, queues: readonly [Q, ...Q[]]): Q {
  const name = eventSourceArn.slice(eventSourceArn.lastIndexOf(':') + 1);
  return queues.find((queue) => name === queue || name.endsWith(`-${queue}`)) ?? queues[0];
}

const variablePrefix = (queue: QueueName) => queue.toUpperCase().replaceAll('-', '_');

/** The environment variable holding the queue's URL: `POLL_QUEUE_URL`, `REFRESH_REQUESTS_QUEUE_URL`. */
export const queueUrlVariable = (queue: QueueName) => `${variablePrefix(queue)}_QUEUE_URL` as const;

/** The environment variable holding its dead-letter queue's URL: `POLL_DLQ_URL`, `REFRESH_REQUESTS_DLQ_URL`. */
export const deadLetterUrlVariable = (queue: QueueName) => `${variablePrefix(queue)}_DLQ_URL` as const;
