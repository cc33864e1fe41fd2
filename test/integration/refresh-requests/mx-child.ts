import { startMxSimulator } from '../../../sim/server.ts';
import { startMxCallRecorder } from './mx-call-recorder.ts';

/** Runs in the child process of `startMxProcess`: the simulator and its recorder, off the loop of the code under test. */
const simulator = await startMxSimulator();
const recorder = await startMxCallRecorder(simulator.url);
process.send!({ simulatorUrl: simulator.url, recorderUrl: recorder.url });
process.on('message', (message) => {
  if (message === 'aggregate-calls') process.send!({ aggregateCalls: recorder.aggregateCalls });
  if (message === 'stop') void shutDown();
});
process.on('disconnect', () => void shutDown());

async function shutDown() {
  await recorder.close();
  await simulator.close();
  process.exit(0);
}
