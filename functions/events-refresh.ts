import { getServices } from '../lib/services.ts';

const services = getServices();
// Built at start, so a function missing its queue URLs fails its first invocation instead of every message.
const refreshRequests = services.refreshRequests;

/** Refreshes asked for by upstream systems (EventBridge → SQS `refresh-requests`), rate-capped. */
export const handler = services.sqsRecordHandler((message) => refreshRequests.handle(message));
