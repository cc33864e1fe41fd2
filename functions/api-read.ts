import { operationsOf } from '../lib/http/route.ts';
import { READ_ROUTES, type ReadRouteDeps } from '../lib/reads/read-routes.ts';
import { getServices } from '../lib/services/container.ts';
import { httpHandler } from '../lib/services/http.ts';
import { nexusClient } from '../lib/services/nexus.ts';
import { apiKeyAccess } from '../lib/services/store.ts';
import { transactionSync } from '../lib/services/transactions.ts';
import { SYNC_ROUTE, type SyncRouteDeps } from '../lib/transactions/sync-routes.ts';

const services = getServices();
const deps: ReadRouteDeps & SyncRouteDeps = {
  get nexus() {
    return nexusClient(services);
  },
  get transactions() {
    return transactionSync(services);
  },
};

export const handler = httpHandler(
  services,
  operationsOf<ReadRouteDeps & SyncRouteDeps>([...READ_ROUTES, SYNC_ROUTE], deps),
  apiKeyAccess(services),
);
