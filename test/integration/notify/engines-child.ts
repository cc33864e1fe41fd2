import { startEngines } from '../../../infra/local/engines.ts';

/** Runs in the child process of `startEnginesProcess`: starts the engines, reports where, stops when told. */
const engines = await startEngines(JSON.parse(process.argv[2] ?? '{}'));
const { stop, ...address } = engines;
process.send!(address);
const shutDown = async () => {
  await stop();
  process.exit(0);
};
process.on('message', shutDown);
process.on('disconnect', shutDown);
