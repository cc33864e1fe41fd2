import { pollMessageSchema } from '../lib/queue/poll-message.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

/** One poll step per message (see PollService); failed records are retried by SQS, the rest acknowledged. */
export const handler = services.sqsHandler(pollMessageSchema, (message) => services.poll.handle(message));
