import { createNexusClient } from '../mx/index.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import type { Services } from './container.ts';
import { sessionTokenBox } from './secret-boxes.ts';
import { table } from './store.ts';

/** The MX client: one keep-alive dispatcher per MX origin, sessions shared through the table. */
export function nexusClient(services: Services): NexusClient {
  return services.once(nexusClient, () =>
    createNexusClient(services.config.mx, {
      table: table(services),
      clock: services.clock,
      log: services.log,
      metrics: services.metrics,
      dispatchers: services.overrides.mxDispatchers,
      sessionBox: sessionTokenBox(services),
    }),
  );
}
