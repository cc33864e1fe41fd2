import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiKeyMaterial, generateApiKey } from '../../lib/api-keys.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import { parseConfig } from '../../lib/config.ts';
import { ApiKeysRepository } from '../../lib/store/api-keys-repo.ts';
import { deadLetterUrlVariable, QUEUE_NAMES, type QueueName, queueUrlVariable } from '../../lib/queue/queue-names.ts';
import { startEngines, type LocalEngines, type StartEnginesOptions } from './engines.ts';
import { startGateway } from './gateway.ts';
import { queueWorkers, scheduledFunctions } from './handlers.ts';
import { lambdaContext } from './lambda-context.ts';
import { mxTargetOf } from './mx-target.ts';
import { listenOn, LOOPBACK } from './ports.ts';
import { startMxSimulator } from '../../sim/server.ts';
import { settingsFromEnvironment } from '../../sim/sim-settings.ts';
import { startPoller } from './sqs-poller.ts';

export interface LocalStackOptions {
  port: number;
  simPort: number;
  /** The engines' ports (default: any free port). */
  dynamoDbPort?: number;
  sqsPort?: number;
  /** Keep DynamoDB data here between runs. */
  persistDir?: string;
  /** Extra environment (same variables the Lambdas read), e.g. AGGREGATION_DEADLINE_SECONDS. */
  env?: Record<string, string | undefined>;
  /** Where dynalite and fauxqs run (default: in this process); load tests start them in a process of their own. */
  startEngines?: (options: StartEnginesOptions) => Promise<LocalEngines>;
  /** Batches each queue's consumer handles at once, where the default (`queueWorkers`) does not fit. */
  pollerConcurrency?: Partial<Record<QueueName, number>>;
}

export interface LocalStack {
  url: string;
  /** Set when the stack runs against the simulator rather than a real MX. */
  simulatorUrl?: string;
  apiKey: string;
  apiKeyGenerated: boolean;
  engines: LocalEngines;
  stop(): Promise<void>;
}

/** The simulator's credentials; the local stack uses them unless real MX credentials are configured. */
const SIMULATOR_CREDENTIALS = { MX_CLIENT_ID: 'sim-client', MX_API_KEY: 'sim-api-key' };

/**
 * The HTTP Basic credentials `/mx/webhooks` expects when the stack runs the simulator and none are configured:
 * fixed and public like the simulator's own, so one documented `POST /_sim/webhooks` turns pushing on.
 */
export const SIMULATOR_WEBHOOK_CREDENTIALS = { MX_WEBHOOK_USERNAME: 'sim-webhooks', MX_WEBHOOK_PASSWORD: 'sim-webhook-password' };

const WEBHOOK_CREDENTIAL_VARIABLES = ['MX_WEBHOOK_USERNAME', 'MX_WEBHOOK_PASSWORD', 'MX_WEBHOOK_CREDENTIALS_SECRET_ARN'];

/**
 * The whole service on one machine: dynalite, fauxqs, the MX simulator (unless MX_BASE_URL, MX_SSO_BASE_URL,
 * MX_REALTIME_BASE_URL, MX_CLIENT_ID and MX_API_KEY name a real MX; some of them without the rest refuse to start: mx-target.ts), the gateway and one poller per queue — configured through the same environment
 * variables the Lambdas read, which this sets for the current process before any function module loads.
 * The simulator's MX webhooks stay off until asked for (`POST /_sim/webhooks`), as the poll loop must work alone.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const given = { ...process.env, ...options.env };
  const useRealMx = mxTargetOf(given).kind === 'mx';
  const stoppers: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch((error) => console.error('stop failed', error));
  };

  try {
    const engines = await (options.startEngines ?? startEngines)({
      persistDir: options.persistDir,
      dynamoDbPort: options.dynamoDbPort,
      sqsPort: options.sqsPort,
    });
    stoppers.push(() => engines.stop());
    const simulator = useRealMx
      ? undefined
      : await listenOn('simulator', options.simPort, () =>
          // MX_SIM_BACKGROUND_AGGREGATION_MINUTES, MX_SIM_THROTTLE_MINUTES: MX's background runs and throttle, off unless set.
          // Opted in to use cases unless MX_USE_CASES_ENABLED=false; the relay then follows it (below).
          startMxSimulator({
            port: options.simPort,
            host: LOOPBACK,
            ...settingsFromEnvironment(given),
            dialect: { use_cases: given.MX_USE_CASES_ENABLED === 'false' ? 'not_opted_in' : 'opted_in' },
          }),
        );
    if (simulator) stoppers.push(() => simulator.close());

    // One way to make keys: the same generator as `nexus-relay keys create`, stored with its display prefix.
    const seededKey = given.LOCAL_API_KEY
      ? { key: given.LOCAL_API_KEY, ...apiKeyMaterial(given.LOCAL_API_KEY) }
      : generateApiKey();
    const apiKey = seededKey.key;
    const secretsKey = given.LOCAL_SECRETS_KEY ?? localSecretsKey(options.persistDir);
    Object.assign(process.env, {
      ...given,
      NEXUS_RELAY_ENV: 'local',
      // What Lambda sets for a function started on demand: Powertools counts its ColdStart metric only then.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_REGION: engines.region,
      AWS_ENDPOINT_URL_DYNAMODB: engines.dynamoDbEndpoint,
      AWS_ENDPOINT_URL_SQS: engines.sqsEndpoint,
      TABLE_NAME: engines.tableName,
      // Every queue and its dead-letter queue, to every function (one process serves them all).
      ...Object.fromEntries(
        QUEUE_NAMES.flatMap((queue) => [
          [queueUrlVariable(queue), engines.queueUrls[queue]],
          [deadLetterUrlVariable(queue), engines.deadLetterQueueUrls[queue]],
        ]),
      ),
      LOCAL_API_KEY: apiKey,
      LOCAL_SECRETS_KEY: secretsKey,
      // Receivers on this machine (the demo's, `npm run receiver`, tests): said at start-up (infra/local/start.ts).
      WEBHOOK_ALLOW_LOOPBACK: given.WEBHOOK_ALLOW_LOOPBACK ?? 'true',
      ...(simulator
        ? {
            MX_BASE_URL: simulator.url,
            MX_SSO_BASE_URL: simulator.url,
            MX_REALTIME_BASE_URL: simulator.realtimeUrl,
            MX_USE_CASES_ENABLED: given.MX_USE_CASES_ENABLED ?? 'true',
            ...SIMULATOR_CREDENTIALS,
          }
        : {}),
      ...(simulator && !WEBHOOK_CREDENTIAL_VARIABLES.some((name) => given[name]) ? SIMULATOR_WEBHOOK_CREDENTIALS : {}),
    });
    const config = parseConfig(process.env);

    const table = { client: createDocumentClient(config.aws), tableName: config.tableName };
    stoppers.push(async () => table.client.destroy());
    await new ApiKeysRepository(table).put({
      hash: seededKey.hash,
      prefix: seededKey.prefix,
      name: 'local-dev',
      createdAt: new Date().toISOString(),
    });

    const sqs = createSqsClient(config.aws);
    stoppers.push(async () => sqs.destroy());
    for (const [role, worker] of Object.entries(queueWorkers) as [QueueName, (typeof queueWorkers)[QueueName]][]) {
      const poller = startPoller({
        sqs,
        queueUrl: engines.queueUrls[role],
        functionName: worker.name,
        handler: worker.load,
        concurrency: options.pollerConcurrency?.[role] ?? worker.concurrency,
      });
      stoppers.push(() => poller.stop());
    }

    const sweepMs = given.LOCAL_SWEEP_SECONDS === undefined ? undefined : 1000 * Number(given.LOCAL_SWEEP_SECONDS);
    if (sweepMs !== undefined && !(sweepMs >= 1000)) throw new Error('LOCAL_SWEEP_SECONDS must be a number of seconds ≥ 1');
    for (const scheduled of scheduledFunctions) {
      const handler = await scheduled.load();
      const timer = setInterval(
        () => {
          handler({}, lambdaContext(scheduled.name)).catch((error: unknown) => console.error(`${scheduled.name} failed`, error));
        },
        (scheduled.name === 'sweeper' && sweepMs) || scheduled.everyMs,
      );
      timer.unref();
      stoppers.push(async () => clearInterval(timer));
    }

    const gateway = await listenOn('gateway', options.port, () => startGateway({ port: options.port, host: LOOPBACK }));
    stoppers.push(() => gateway.close());

    return {
      url: gateway.url,
      simulatorUrl: simulator?.url,
      apiKey,
      apiKeyGenerated: !given.LOCAL_API_KEY,
      engines,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The key that seals webhook signing secrets locally: kept beside the persisted data (0600), so that webhooks
 * stored by an earlier run still sign; a fresh one per run without `--persist`.
 */
function localSecretsKey(persistDir: string | undefined): string {
  if (!persistDir) return randomBytes(32).toString('base64');
  const file = join(persistDir, 'webhook-secrets.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
