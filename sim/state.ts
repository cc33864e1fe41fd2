import type { Clock } from './clock.ts';
import { DEFAULT_AGGREGATION_SCRIPT } from './aggregation-script.ts';
import { BackgroundAggregation } from './background-aggregation.ts';
import { CallStats } from './call-stats.ts';
import type { Dialect } from './dialect.ts';
import { type FaultSettings, NO_FAULTS } from './faults.ts';
import { type GuidFactory, createGuidFactory } from './identifiers.ts';
import { ReadSide } from './member-data.ts';
import { MemberRegistry } from './members.ts';
import { type RandomSource, createSeededRandom } from './seeded-random.ts';
import { type SeedData, generateSeedData } from './seed-data.ts';
import { dataAsOf } from './calendar.ts';
import { SessionRegistry } from './sessions.ts';
import { type SimSettings, minutesToMs } from './sim-settings.ts';
import { TransactionLedger } from './transaction-ledger.ts';
import { transactionWebhook } from './webhook-payloads.ts';
import { WebhookPusher } from './webhook-pusher.ts';

/** Everything the simulator knows, shared by the MX side and the control API. */
/** A one-time OAuth window URI: the member it authorises and what happens after (MX's generate OAuth window URI). */
export interface OAuthWindow {
  memberGuid: string;
  expiresAt: number;
  /** MX's `skip_aggregation`: authorised, the member does not aggregate at once. */
  skipAggregation: boolean;
  /** MX's `client_redirect_url`: where the user's browser goes after, with `status` and `member_guid` appended. */
  clientRedirectUrl?: string;
}

export interface SimulatorState {
  readonly clock: Clock;
  readonly clientId: string;
  readonly apiKey: string;
  readonly members: MemberRegistry;
  /** The users present from start and their read-side data (accounts, transactions, beats, spending plans). */
  readonly seedData: SeedData;
  /** Accounts and transactions as seeded and as generated for the control API's members, before aggregations change them. */
  readonly readSide: ReadSide;
  readonly sessions: SessionRegistry;
  readonly stats: CallStats;
  readonly newGuid: GuidFactory;
  readonly faultRandom: RandomSource;
  faults: FaultSettings;
  /** The shapes answered where MX's documents leave a choice (`POST /_sim/dialect`). */
  dialect: Dialect;
  /** The dialect the simulator started with: what `POST /_sim/dialect {}` restores. */
  readonly startDialect: Dialect;
  /** The users' transactions as aggregations add and update them. */
  readonly transactions: TransactionLedger;
  /** MX-style webhooks about aggregations that end; off until the control API gives a target. */
  readonly webhooks: WebhookPusher;
  /** Background aggregation and the throttle window (`POST /_sim/settings`); apply changes with `applySettings`. */
  settings: SimSettings;
  /** The settings the simulator started with (options, environment): what `POST /_sim/settings {}` restores. */
  readonly startSettings: SimSettings;
  /** MX's own aggregations: on demand and, when set, on a schedule. */
  readonly background: BackgroundAggregation;
  /** Aborted when the simulator closes, so an injected latency does not hold a connection (or the process) open. */
  readonly shutdown: AbortSignal;
  /** Widget URLs issued, by their one-time token; `useCases` as the URL asked (what a member made on it gets). */
  readonly widgetUrls: Map<string, { userId: string; type: string; expiresAt: number; useCases?: string[] }>;
  /** Connect pages opened (a widget URL spent), by the page's own id: what the page's form posts to. */
  readonly connectPages: Map<string, { userId: string; useCases?: string[]; expiresAt: number }>;
  /** One-time OAuth window URIs (`/_sim/oauth/{token}`): the member they authorise and where to send the user after. */
  readonly oauthWindows: Map<string, OAuthWindow>;
}

export interface SimulatorStateOptions {
  clock: Clock;
  seed: number;
  clientId: string;
  apiKey: string;
  shutdown: AbortSignal;
  /** Whether webhooks fire on real timers (see WebhookPusher). */
  realTimers: boolean;
  log: (line: string) => void;
  settings: SimSettings;
  dialect: Dialect;
}

/** Decorrelates the transaction changes from the other streams. */
const LEDGER_STREAM_SALT = 0x2545f491;
/** Decorrelates the fault stream from the guid stream, so turning faults on does not change the guids a test sees. */
const FAULT_STREAM_SALT = 0x9e3779b9;

export function createSimulatorState(options: SimulatorStateOptions): SimulatorState {
  const { clock, seed, clientId, apiKey, shutdown } = options;
  const newGuid = createGuidFactory(createSeededRandom(seed));
  const seedData = generateSeedData(seed, dataAsOf(clock.now()));
  const members = registerSeededUsers(new MemberRegistry(newGuid), seedData);
  const readSide = new ReadSide(seed, seedData, members);
  const transactions = new TransactionLedger(readSide, members, seed ^ LEDGER_STREAM_SALT);
  const webhooks = new WebhookPusher({
    clock,
    members,
    realTimers: options.realTimers,
    shutdown,
    log: options.log,
    transactionWebhooks: (member, run, at) =>
      transactions.changesOf(run, at).map((change) => transactionWebhook(change, member.owner.id)),
  });
  const state: SimulatorState = {
    clock,
    clientId,
    apiKey,
    members,
    seedData,
    readSide,
    sessions: new SessionRegistry(clock),
    stats: new CallStats(),
    newGuid,
    faultRandom: createSeededRandom(seed ^ FAULT_STREAM_SALT),
    faults: NO_FAULTS,
    dialect: options.dialect,
    startDialect: options.dialect,
    transactions,
    webhooks,
    settings: options.settings,
    startSettings: options.settings,
    background: new BackgroundAggregation({
      clock,
      members,
      newGuid,
      transactions,
      webhooks,
      realTimers: options.realTimers,
      shutdown,
      throttleMs: () => minutesToMs(state.settings.throttleWindowMinutes),
    }),
    shutdown,
    widgetUrls: new Map(),
    connectPages: new Map(),
    oauthWindows: new Map(),
  };
  applySettings(state, options.settings);
  return state;
}

/** Sets the settings and reschedules background rounds to match. */
export function applySettings(state: SimulatorState, settings: SimSettings): void {
  state.settings = settings;
  state.background.configure(minutesToMs(settings.backgroundAggregationMinutes));
}

function registerSeededUsers(members: MemberRegistry, seedData: SeedData): MemberRegistry {
  for (const { id, guid, members: seededMembers } of seedData.users) {
    members.addUser({ id, guid });
    for (const member of seededMembers) {
      members.put({
        userId: id,
        memberGuid: member.guid,
        name: member.name,
        useCases: member.useCases,
        script: DEFAULT_AGGREGATION_SCRIPT,
      });
    }
  }
  return members;
}
