import { getServices } from '../lib/services/container.ts';
import { sqsRecordHandler } from '../lib/services/queue-handlers.ts';
import { refreshRequests as composeRefreshRequests } from '../lib/services/refresh-requests.ts';

const services = getServices();
// Built at start, so a function missing its queue URLs fails its first invocation instead of every message.
const refreshRequests = composeRefreshRequests(services);

/** Refreshes asked for by upstream systems (EventBridge → SQS `refresh-requests`), rate-capped. */
export const handler = sqsRecordHandler(services, (message) => refreshRequests.handle(message));
