import { REFRESH_ROUTES, type RefreshRouteDeps } from '../lib/aggregation/refresh-routes.ts';
import { idempotent } from '../lib/http/idempotency.ts';
import { operationsOf } from '../lib/http/route.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { refreshService } from '../lib/services/refresh.ts';
import { resumeService } from '../lib/services/resume.ts';
import { apiKeyAccess, idempotency } from '../lib/services/store.ts';

const services = getServices();
const deps: RefreshRouteDeps = {
  get refresh() {
    return refreshService(services);
  },
  get resume() {
    return resumeService(services);
  },
};

export const handler = httpHandler(
  services,
  operationsOf(REFRESH_ROUTES, deps, (operation) => idempotent(operation, idempotency(services))),
  apiKeyAccess(services),
);
