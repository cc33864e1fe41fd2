import { API_DOCS_ROUTES } from '../lib/api-docs/api-docs-routes.ts';
import { operationsOf } from '../lib/http/route.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';

const services = getServices();

export const handler = httpHandler(services, operationsOf(API_DOCS_ROUTES, {}));
