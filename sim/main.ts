import { startMxSimulator } from './server.ts';
import { settingsFromEnvironment } from './sim-settings.ts';

const DEFAULT_PORT = 3001;

function portFromEnvironment(): number {
  const raw = process.env.MX_SIM_PORT;
  if (raw === undefined || raw === '') return DEFAULT_PORT;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`MX_SIM_PORT must be a port number (0-65535), got "${raw}"`);
  }
  return port;
}

// MX_SIM_BACKGROUND_AGGREGATION_MINUTES and MX_SIM_THROTTLE_MINUTES: both off (0) unless set.
const simulator = await startMxSimulator({ port: portFromEnvironment(), ...settingsFromEnvironment(process.env) });
console.log(`mx simulator listening on ${simulator.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    simulator.close().catch((error: unknown) => {
      console.error('mx simulator did not close cleanly', error);
      process.exitCode = 1;
    });
  });
}
