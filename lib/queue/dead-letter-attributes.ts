/** What the relay adds to a message it dead-letters; a module without the SQS client, so the CLI reads it at start-up. */
export const DEAD_LETTER_ATTRIBUTES = ['reason', 'detail', 'error_field', 'source_message_id'] as const;
export type DeadLetterAttributes = Partial<Record<(typeof DEAD_LETTER_ATTRIBUTES)[number], string>>;
