import { operations } from '../lib/api/docs.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';

const services = getServices();

export const handler = httpHandler(services, operations());
