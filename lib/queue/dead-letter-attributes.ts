/**
 * What the relay adds to a message it dead-letters itself (lib/queue/dead-letter-queue.ts); `nexus-relay dlq
 * redrive` drops them again. A module of its own, without the SQS client, so the CLI can read it at start-up.
 */
export const DEAD_LETTER_ATTRIBUTES = ['reason', 'detail', 'error_field', 'source_message_id'] as const;
export type DeadLetterAttributes = Partial<Record<(typeof DEAD_LETTER_ATTRIBUTES)[number], string>>;
