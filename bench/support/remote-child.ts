import { startEngines } from '../../infra/local/engines.ts';
import { startMxSimulator } from '../../sim/server.ts';
import { installIndexCapacity } from './dynalite-capacity.ts';

/**
 * The "remote" side of a benchmark in a process of its own: dynalite and fauxqs (what AWS runs) and the MX
 * simulator (what MX runs), so the code under test keeps its own core as a Lambda container would.
 * Answers `'cpu'` with its CPU time used so far and its peak RSS, and stops on `'stop'` or when the parent goes away.
 */
installIndexCapacity();
const engines = await startEngines();
const simulator = await startMxSimulator({ log: () => {} });
const { stop, ...address } = engines;
process.send!({ kind: 'ready', engines: address, simulatorUrl: simulator.url });

const shutDown = async () => {
  await simulator.close();
  await stop();
  process.exit(0);
};
process.on('message', (message) => {
  if (message === 'cpu') process.send!({ kind: 'cpu', usage: process.cpuUsage(), maxRssKiB: process.resourceUsage().maxRSS });
  else void shutDown();
});
process.on('disconnect', () => void shutDown());
