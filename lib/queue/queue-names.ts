/**
 * The relay's work queues, each by the one name it has everywhere: in code, in the metrics' `queue` dimension, on the
 * CLI, in the local stack and in the deployed queue's name (`nexus-relay-<env>-<name>`). Each has a dead-letter queue.
 */
export const QUEUE_NAMES = ['poll', 'delivery', 'refresh-requests'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const variablePrefix = (queue: QueueName) => queue.toUpperCase().replaceAll('-', '_');

/** The environment variable holding the queue's URL: `POLL_QUEUE_URL`, `REFRESH_REQUESTS_QUEUE_URL`. */
export const queueUrlVariable = (queue: QueueName) => `${variablePrefix(queue)}_QUEUE_URL` as const;

/** The environment variable holding its dead-letter queue's URL: `POLL_DLQ_URL`, `REFRESH_REQUESTS_DLQ_URL`. */
export const deadLetterUrlVariable = (queue: QueueName) => `${variablePrefix(queue)}_DLQ_URL` as const;
