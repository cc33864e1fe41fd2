import { FALLBACK_OPERATIONS } from '../lib/http/fallback-route.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';

const services = getServices();

export const handler = httpHandler(services, FALLBACK_OPERATIONS);
