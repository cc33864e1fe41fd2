import type { Clock } from '../../../lib/clock.ts';
import { CallStats } from './call-stats.ts';
import { type FaultSettings, NO_FAULTS } from './faults.ts';
import { type GuidFactory, createGuidFactory } from './identifiers.ts';
import { MemberRegistry } from './members.ts';
import { type RandomSource, createSeededRandom } from './seeded-random.ts';
import { SessionRegistry } from './sessions.ts';

/** Everything the simulator knows, shared by the MX side and the control API. */
export interface SimulatorState {
  readonly clock: Clock;
  readonly clientId: string;
  readonly apiKey: string;
  readonly members: MemberRegistry;
  readonly sessions: SessionRegistry;
  readonly stats: CallStats;
  readonly newGuid: GuidFactory;
  readonly faultRandom: RandomSource;
  faults: FaultSettings;
  /** Aborted when the simulator closes, so an injected latency does not hold a connection (or the process) open. */
  readonly shutdown: AbortSignal;
}

export interface SimulatorStateOptions {
  clock: Clock;
  seed: number;
  clientId: string;
  apiKey: string;
  shutdown: AbortSignal;
}

/** Decorrelates the fault stream from the guid stream, so turning faults on does not change the guids a test sees. */
const FAULT_STREAM_SALT = 0x9e3779b9;

export function createSimulatorState({ clock, seed, clientId, apiKey, shutdown }: SimulatorStateOptions): SimulatorState {
  const newGuid = createGuidFactory(createSeededRandom(seed));
  return {
    clock,
    clientId,
    apiKey,
    members: new MemberRegistry(newGuid),
    sessions: new SessionRegistry(clock),
    stats: new CallStats(),
    newGuid,
    faultRandom: createSeededRandom(seed ^ FAULT_STREAM_SALT),
    faults: NO_FAULTS,
    shutdown,
  };
}
