import { operations } from '../lib/api/read.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { apiKeyAccess } from '../lib/services/store.ts';

const services = getServices();

export const handler = httpHandler(services, operations(services), apiKeyAccess(services));
