import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { NODE_HTTP_CJS, esbuildOptions, isNodeHttp } from '../infra/bundling.ts';
import { type EnvironmentResources, functionEnvironment, perQueue } from '../infra/constructs/function-environment.ts';
import { ENVIRONMENTS, resourceName, withUseCases } from '../infra/environments.ts';
import {
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  SDK_CLIENT_PACKAGES,
  type SdkClient,
  sdkClientsOf,
} from '../infra/constructs/function-specs.ts';
import { functionEntry } from '../infra/constructs/relay-function.ts';
import { addInto, profileByOwner } from './support/attribution.ts';
import { configAsZodSource } from './support/config-as-zod.ts';
import { PROJECT_ROOT, WORK_DIR } from './support/report.ts';
import { seededRandom, shuffled } from './support/stats.ts';

/**
 * The cold-start benchmark's measurement (bench/cold-start.ts): the bundles it builds (each function as the stack builds
 * it, its variants, baselines, floors and probes) and their imports, each in a fresh Node process, in interleaved rounds.
 * What it measured is reported by bench/cold-start-report.ts.
 */

/**
 * Imports per bundle. On a two-core machine a median over 15 moved by 10–20 % between runs, more than the target's
 * margin; 25 narrow it, within the full run's budget.
 */
export const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 25);
/**
 * Rounds more of each function and its floor alone, for the target's ratio and the figures it divides: the functions
 * nearest the target sit within a RUNS-round median's spread of it (their 95 % intervals span it). The other
 * comparisons are reported without a target and keep RUNS.
 */
export const TARGET_RUNS = Number(process.env.BENCH_COLD_TARGET_RUNS ?? 25);
export const PROFILE_RUNS = 3;
const DIR = join(WORK_DIR, 'cold-start');

/**
 * What the stack makes, named as AWS names it in the prod environment: the function environments below are built from
 * these by the stack's own code (infra/constructs/function-environment.ts).
 */
const PROD = withUseCases(ENVIRONMENTS.prod, true);
const ACCOUNT = '000000000000';
const arnOf = (service: string, resource: string) => `arn:aws:${service}:${PROD.region}:${ACCOUNT}:${resource}`;
const queueUrlOf = (queueName: string) => `https://sqs.${PROD.region}.amazonaws.com/${ACCOUNT}/${queueName}`;
const PROD_RESOURCES: EnvironmentResources = {
  tableName: resourceName(PROD.name),
  queueUrls: perQueue((queue) => queueUrlOf(resourceName(PROD.name, queue))),
  deadLetterQueueUrls: perQueue((queue) => queueUrlOf(resourceName(PROD.name, `${queue}-dlq`))),
  secretArns: {
    mxCredentials: arnOf('secretsmanager', 'secret:nexus-relay/prod/mx-credentials-AbCdEf'),
    mxWebhookCredentials: arnOf('secretsmanager', 'secret:nexus-relay/prod/mx-webhook-credentials-AbCdEf'),
    syncCursorKey: arnOf('secretsmanager', 'secret:nexus-relay/prod/sync-cursor-key-AbCdEf'),
    digestKey: arnOf('secretsmanager', 'secret:nexus-relay/prod/digest-key-AbCdEf'),
  },
  keyArns: {
    sessionTokens: arnOf('kms', 'key/1f1e1d1c-1b1a-1918-1716-151413121110'),
    webhookSecrets: arnOf('kms', 'key/0f0e0d0c-0b0a-0908-0706-050403020100'),
  },
};

/**
 * A deployed function's environment at a cold start (its configuration parses at import; nothing connects): what the
 * stack gives it in prod, and the region Lambda sets. The SDK's warning about Node versions it no longer supports is
 * off, as it would write to the output the import's timing is read from on a development machine's older Node.
 */
const environmentOf = (name: FunctionName): Record<string, string> => ({
  ...functionEnvironment(name, PROD, PROD_RESOURCES),
  AWS_REGION: PROD.region,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});
/** For the baselines, floors and probes: every variable any function is given (the configuration probes parse all). */
const ANY_FUNCTION_ENV: Record<string, string> = Object.assign({}, ...FUNCTION_NAMES.map(environmentOf));

/** Each SDK client's packages (function-specs) and what a baseline imports of them. */
const SDK_CLIENTS = {
  dynamodb: { packages: SDK_CLIENT_PACKAGES.dynamodb, exports: ['DynamoDBClient', 'DynamoDBDocumentClient'] },
  sqs: { packages: SDK_CLIENT_PACKAGES.sqs, exports: ['SQSClient'] },
  secrets: { packages: SDK_CLIENT_PACKAGES.secrets, exports: ['SecretsManagerClient'] },
  kms: { packages: SDK_CLIENT_PACKAGES.kms, exports: ['KMSClient'] },
} as const satisfies Record<SdkClient, { packages: readonly string[]; exports: readonly string[] }>;

export const baselineName = (clients: readonly SdkClient[]) => `baseline[${clients.length > 0 ? clients.join('+') : 'no SDK'}]`;

/**
 * The least a function of this stack can import: its baseline's SDK clients, each constructed (every function's
 * composition builds its clients at start, in Lambda's init phase, as AWS advises), plus what every function loads
 * whatever its own code (middy's core, Powertools Logger with its middleware and Metrics, one of each constructed),
 * and what it imports of undici (lib/undici.ts: the dispatchers and `request`) where its bundle has undici. Project
 * code none.
 */
const floorName = (clients: readonly SdkClient[], undici: boolean) =>
  `floor[${[...(clients.length > 0 ? clients : ['no SDK']), ...(undici ? ['undici'] : [])].join('+')}]`;
const FLOOR_STACK = [
  "import middy from '@middy/core';",
  "import { Logger } from '@aws-lambda-powertools/logger';",
  "import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';",
  "import { Metrics } from '@aws-lambda-powertools/metrics';",
  "const logger = new Logger({ serviceName: 'nexus-relay' });",
  "const metrics = new Metrics({ namespace: 'NexusRelay', serviceName: 'nexus-relay' });",
  'export const handler = middy().use(injectLambdaContext(logger)).handler(async () => {',
  "  metrics.addMetric('Calls', 'Count', 1);",
  '  metrics.publishStoredMetrics();',
  '  return { statusCode: 200 };',
  '});',
];
/** Whether a bundle holds undici (the MX client's and the webhook sender's transport). */
export const bundlesUndici = (metafile: Metafile) =>
  Object.values(metafile.outputs).some((output) =>
    Object.keys(output.inputs).some((path) => path.includes('node_modules/undici/')),
  );

/** What the project imports of undici (lib/undici.ts: its dispatchers and `request`), as an entry's line. */
const UNDICI_AS_USED = `export { Agent, Pool, buildConnector, request } from '${join(PROJECT_ROOT, 'lib', 'undici.ts')}';`;

/** SDK clients constructed, priced against the baseline that only imports them (api-webhooks' and worker-deliver's). */
const CONSTRUCTED_CLIENTS = ['dynamodb', 'sqs', 'kms'] as const satisfies readonly SdkClient[];

/** What a function that calls MX has loaded before its configuration: zod and node:crypto. */
export const ZOD_PROBE = 'probe[zod, node:crypto]';
const ZOD_AND_CRYPTO = [
  `import * as z from '${join(PROJECT_ROOT, 'lib', 'zod.ts')}';`,
  "import { createHmac } from 'node:crypto';",
  'export const hmac = createHmac;',
  "export const parsed = z.object({ a: z.string() }).safeParse({ a: 'x' });",
].join('\n');
/** The configuration loader (lib/config.ts), and the same variables as zod/mini schemas, each over the zod probe. */
export const CONFIG_PROBE = 'probe[config: ours]';
export const CONFIG_AS_ZOD_PROBE = 'probe[config: zod]';

/**
 * Parts of the stack priced on their own, in the same rounds, against the empty baseline unless `against` names
 * another: undici whole and as the project imports it, middy, Powertools, the two idempotency handlings, the
 * configuration loader against the same variables as zod schemas, and SDK clients constructed.
 */
export const PROBES: readonly { key: string; what: string; source: string; against?: string }[] = [
  {
    key: 'probe[undici: index]',
    what: "`import { Pool, Agent, buildConnector, request } from 'undici'`",
    source: "export { Agent, Pool, buildConnector, request } from 'undici';",
  },
  {
    key: 'probe[undici: lib/undici.ts]',
    what: 'lib/undici.ts: Pool, Agent, buildConnector and `request`, by deep import',
    source: UNDICI_AS_USED,
  },
  {
    key: 'probe[middy core]',
    what: "middy's core, a handler built with it",
    source: "import middy from '@middy/core';\nexport const handler = middy().handler(async () => ({ statusCode: 200 }));",
  },
  {
    key: 'probe[Powertools Logger]',
    what: 'Powertools Logger and its middy middleware, one logger constructed',
    source:
      "import { Logger } from '@aws-lambda-powertools/logger';\n" +
      "export { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';\n" +
      "export const logger = new Logger({ serviceName: 'nexus-relay' });",
  },
  {
    key: 'probe[Powertools Metrics]',
    what: 'Powertools Metrics, one instance constructed',
    source:
      "import { Metrics } from '@aws-lambda-powertools/metrics';\n" +
      "export const metrics = new Metrics({ namespace: 'NexusRelay', serviceName: 'nexus-relay' });",
  },
  {
    key: 'probe[idempotency: ours]',
    what:
      "The project's Idempotency-Key handling as api-refresh and api-webhooks load it (lib/http/idempotency.ts over " +
      'lib/store/idempotency-repo.ts), one operation wrapped, against the DynamoDB baseline',
    source: [
      `import { idempotent } from '${join(PROJECT_ROOT, 'lib', 'http', 'idempotency.ts')}';`,
      `import { IdempotencyRepository } from '${join(PROJECT_ROOT, 'lib', 'store', 'idempotency-repo.ts')}';`,
      `import { createDocumentClient } from '${join(PROJECT_ROOT, 'lib', 'aws', 'dynamodb-client.ts')}';`,
      "const table = { client: createDocumentClient({ region: 'us-east-1' }), tableName: 't' };",
      'const log = { debug() {}, info() {}, warn() {}, error() {} };',
      'export const operation = idempotent(',
      "  { auth: 'api_key', access: 'server_key', handle: async () => ({ status: 201 }) },",
      '  { store: new IdempotencyRepository(table), clock: { now: () => Date.now() }, log },',
      ');',
    ].join('\n'),
    against: baselineName(['dynamodb']),
  },
  {
    key: 'probe[idempotency: Powertools]',
    what:
      '@aws-lambda-powertools/idempotency (devDependency, for this probe): makeIdempotent over its DynamoDB ' +
      'persistence layer, one function wrapped, keyed by the Idempotency-Key header, against the DynamoDB baseline',
    source: [
      "import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';",
      "import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';",
      "const persistenceStore = new DynamoDBPersistenceLayer({ tableName: 't' });",
      "const config = new IdempotencyConfig({ eventKeyJmesPath: 'headers.\"idempotency-key\"', payloadValidationJmesPath: 'body' });",
      'export const handler = makeIdempotent(async () => ({ statusCode: 201 }), { persistenceStore, config });',
    ].join('\n'),
    against: baselineName(['dynamodb']),
  },
  {
    key: ZOD_PROBE,
    what: 'zod (lib/zod.ts, one schema built and used) and node:crypto, as every function that calls MX loads them',
    source: ZOD_AND_CRYPTO,
  },
  {
    key: CONFIG_PROBE,
    what:
      "lib/config.ts: every variable read from a deployed function's environment, whole (what the functions that " +
      'call MX parse at start), over the zod probe',
    source: [
      ZOD_AND_CRYPTO,
      `import { parseConfig } from '${join(PROJECT_ROOT, 'lib', 'config.ts')}';`,
      'export const config = parseConfig(process.env);',
    ].join('\n'),
    against: ZOD_PROBE,
  },
  {
    key: CONFIG_AS_ZOD_PROBE,
    what:
      'The same variables as zod/mini schemas (bench/support/config-as-zod.ts: each kind, presence, default and ' +
      'description; text rules as a non-empty check), one object parsed from the same environment, over the zod probe',
    source: [ZOD_AND_CRYPTO.replace(/^import \* as z .*\n/, ''), configAsZodSource()].join('\n'),
    against: ZOD_PROBE,
  },
  {
    key: 'probe[SDK clients constructed]',
    what:
      'The DynamoDB (with its document client), SQS and KMS clients, each constructed, against the baseline that only ' +
      'imports the same clients (as every baseline and floor does)',
    source: [
      "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
      "import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';",
      "import { SQSClient } from '@aws-sdk/client-sqs';",
      "import { KMSClient } from '@aws-sdk/client-kms';",
      'export const clients = [DynamoDBDocumentClient.from(new DynamoDBClient({})), new SQSClient({}), new KMSClient({})];',
    ].join('\n'),
    against: baselineName(CONSTRUCTED_CLIENTS),
  },
];

export interface Bundle {
  key: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  metafile: Metafile;
  /** The environment it is imported with: its function's (environmentOf), or ANY_FUNCTION_ENV. */
  env: Record<string, string>;
  times: number[];
  /** Import times of the target's extra rounds (functions and floors only; TARGET_RUNS). */
  targetTimes: number[];
  /** Resident set size right after the import (bytes), one per import. */
  rss: number[];
  /** Import times and RSS with `NODE_OPTIONS=--enable-source-maps` (functions only; what the stack set before). */
  sourceMapTimes: number[];
  sourceMapRss: number[];
  /** Set when the bundle cannot be imported (it is then left out of the timing). */
  failed?: string;
}

/** The key of a bundle built with the SDK external, as the functions were shipped before it was bundled. */
export const withRuntimeSdk = (key: string) => `${key} (runtime's SDK)`;
/** The key of a function bundle importing node:http as an ES module, as the functions did before lib/aws/node-http.cjs. */
export const withEsmHttp = (key: string) => `${key} (node:http as ESM)`;

/**
 * Builds `entry` as the stack does. `external`: the AWS SDK left out (as shipped before it was bundled); `esm-http`:
 * node:http imported as an ES module (without the stack's alias to lib/aws/node-http.cjs).
 */
async function buildBundle(
  key: string,
  entry: string,
  variant: 'bundled' | 'external' | 'esm-http' = 'bundled',
  env: Record<string, string> = ANY_FUNCTION_ENV,
): Promise<Bundle> {
  const file = join(DIR, 'bundles', key.replace(/[^a-z0-9+-]/gi, '_'), 'index.mjs');
  const options = esbuildOptions(entry, file);
  const external = variant === 'external' ? [...(options.external ?? []), '@aws-sdk/*'] : options.external;
  const alias =
    variant === 'esm-http'
      ? Object.fromEntries(Object.entries(options.alias ?? {}).filter(([from]) => !isNodeHttp(from)))
      : options.alias;
  const result = await build({ ...options, external, alias, metafile: true, logLevel: 'silent' });
  const contents = readFileSync(file);
  return {
    key,
    file,
    bytes: contents.byteLength,
    gzipBytes: gzipSync(contents).byteLength,
    metafile: result.metafile,
    env,
    times: [],
    targetTimes: [],
    rss: [],
    sourceMapTimes: [],
    sourceMapRss: [],
  };
}

/** What the stack set in every function's NODE_OPTIONS until stack traces were source-mapped at log time. */
export const SOURCE_MAPS_AT_START = '--enable-source-maps';

const IMPORT_SCRIPT =
  'const t = performance.now(); await import(process.argv[1]); ' +
  'process.stdout.write(`${performance.now() - t} ${process.memoryUsage().rss}`);';

/**
 * One fresh process importing the bundle: milliseconds from the import call until the module has evaluated, and
 * the process's resident set size then.
 */
function importOnce(bundle: Bundle, nodeOptions?: string): { ms: number; rss: number } {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', IMPORT_SCRIPT, pathToFileURL(bundle.file).href], {
    env: { PATH: process.env.PATH, ...bundle.env, ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}) },
    encoding: 'utf8',
  });
  const [ms, rss] = child.stdout.split(' ').map(Number) as [number, number];
  if (child.status !== 0 || !Number.isFinite(ms) || !Number.isFinite(rss)) {
    const reason = /^\w*Error[^\n]*/m.exec(child.stderr)?.[0] ?? child.stderr.slice(-300);
    throw new Error(reason.slice(0, 300));
  }
  return { ms, rss };
}

const PROFILE_SCRIPT = `
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
await import(process.argv[1]);
const { profile } = await session.post('Profiler.stop');
writeFileSync(process.argv[2], JSON.stringify(profile));
`;

/** Self time of the import by owner (package / project folder / V8), mean of PROFILE_RUNS profiled imports, ms. */
function profileImport(bundle: Bundle): Map<string, number> {
  const total = new Map<string, number>();
  for (let run = 0; run < PROFILE_RUNS; run++) {
    const out = join(DIR, 'profiles', `${bundle.key.replace(/[^a-z0-9+-]/gi, '_')}-${run}.cpuprofile`);
    const child = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', PROFILE_SCRIPT, pathToFileURL(bundle.file).href, out],
      { env: { PATH: process.env.PATH, ...bundle.env }, encoding: 'utf8' },
    );
    if (child.status !== 0) throw new Error(`profiling ${bundle.file} failed: ${child.stderr}`);
    addInto(total, profileByOwner(out));
  }
  for (const [owner, ms] of total) total.set(owner, ms / PROFILE_RUNS);
  return total;
}

/** The SDK client packages (`@aws-sdk/client-*`, `@aws-sdk/lib-*`) a bundle holds, or imports when they are external. */
export function sdkImports(metafile: Metafile): string[] {
  const packages = new Set<string>();
  for (const output of Object.values(metafile.outputs)) {
    for (const path of Object.keys(output.inputs)) {
      const name = /node_modules\/(@aws-sdk\/(?:client|lib)-[^/]+)\//.exec(path)?.[1];
      if (name !== undefined) packages.add(name);
    }
    for (const imported of output.imports) {
      if (imported.external && imported.kind === 'import-statement' && /^@aws-sdk\/(client|lib)-/.test(imported.path)) {
        packages.add(imported.path);
      }
    }
  }
  return [...packages].sort();
}

/** The SDK clients a bundle loads at init, whatever it uses. */
export function clientsImported(metafile: Metafile): SdkClient[] {
  const imported = sdkImports(metafile);
  return (Object.keys(SDK_CLIENTS) as SdkClient[]).filter((client) =>
    SDK_CLIENTS[client].packages.some((pkg) => imported.includes(pkg)),
  );
}

/** An entry's lines exporting the SDK clients of `clients` (what a baseline or a floor bundle loads). */
const sdkExports = (clients: readonly SdkClient[]): string[] =>
  clients.flatMap((client) =>
    SDK_CLIENTS[client].packages.map((pkg, i) => `export { ${SDK_CLIENTS[client].exports[i]} } from '${pkg}';`),
  );

/** The same clients, each constructed once (the DynamoDB client with its document client), as a floor holds them. */
const sdkConstructed = (clients: readonly SdkClient[]): string[] => [
  ...clients.flatMap((client) =>
    SDK_CLIENTS[client].packages.map((pkg, i) => `import { ${SDK_CLIENTS[client].exports[i]} } from '${pkg}';`),
  ),
  `export const clients = [${clients
    .map((client) =>
      client === 'dynamodb' ? 'DynamoDBDocumentClient.from(new DynamoDBClient({}))' : `new ${SDK_CLIENTS[client].exports[0]}({})`,
    )
    .join(', ')}];`,
];

/** What one run measured: every bundle built, with the times and RSS of its imports. */
export interface Measurement {
  bundles: Bundle[];
  /** The bundle of a key: a function's name, a baseline's, a floor's or a probe's, or one of their variants. */
  find: (key: string) => Bundle;
  /** The key of a function's floor bundle. */
  floorOf: (name: FunctionName) => string;
  /** The functions whose bundles take node:http as CommonJS (NODE_HTTP_CJS), each built once more without it. */
  httpShimmed: FunctionName[];
}

/**
 * Builds every bundle (each function as shipped, with the runtime's SDK, and with node:http as an ES module where it
 * takes it as CommonJS; the baselines, the probes and the floors), imports each once to warm the file cache, then in
 * RUNS interleaved rounds, then each function and its floor alone in TARGET_RUNS more.
 */
export async function measure(): Promise<Measurement> {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(join(DIR, 'profiles'), { recursive: true });
  mkdirSync(join(DIR, 'src'), { recursive: true });

  const bundles: Bundle[] = [];
  for (const name of FUNCTION_NAMES) {
    bundles.push(await buildBundle(name, functionEntry(name), 'bundled', environmentOf(name)));
  }
  for (const name of FUNCTION_NAMES) {
    bundles.push(await buildBundle(withRuntimeSdk(name), functionEntry(name), 'external', environmentOf(name)));
  }
  const find = (key: string) => bundles.find((b) => b.key === key)!;
  const httpShimmed = FUNCTION_NAMES.filter((name) => NODE_HTTP_CJS in find(name).metafile.inputs);
  for (const name of httpShimmed) {
    bundles.push(await buildBundle(withEsmHttp(name), functionEntry(name), 'esm-http', environmentOf(name)));
  }

  // Baseline entries: the SDK clients each function uses, and nothing else; plus the clients each bundle loads.
  const clientSets = new Map<string, SdkClient[]>();
  for (const name of FUNCTION_NAMES) {
    const used = sdkClientsOf(FUNCTION_SPECS[name]);
    clientSets.set(baselineName(used), used);
    const imported = clientsImported(find(name).metafile);
    clientSets.set(baselineName(imported), imported);
  }
  clientSets.set(baselineName([]), []);
  clientSets.set(baselineName(CONSTRUCTED_CLIENTS), [...CONSTRUCTED_CLIENTS]);
  // The baselines the probes are priced against, whether or not a function uses exactly those clients.
  clientSets.set(baselineName(['dynamodb']), ['dynamodb']);
  const writeEntry = (key: string, source: string) => {
    const entry = join(DIR, 'src', `${key.replace(/[^a-z0-9+-]/gi, '_')}.mjs`);
    writeFileSync(entry, source);
    return entry;
  };
  for (const [key, clients] of clientSets) {
    const entry = writeEntry(
      key,
      [...sdkExports(clients), 'export const handler = async () => ({ statusCode: 200 });', ''].join('\n'),
    );
    bundles.push(await buildBundle(key, entry));
    if (clients.length > 0) bundles.push(await buildBundle(withRuntimeSdk(key), entry, 'external'));
  }
  for (const probe of PROBES) bundles.push(await buildBundle(probe.key, writeEntry(probe.key, `${probe.source}\n`)));
  const floorOf = (name: FunctionName) => floorName(sdkClientsOf(FUNCTION_SPECS[name]), bundlesUndici(find(name).metafile));
  for (const name of FUNCTION_NAMES) {
    const key = floorOf(name);
    if (bundles.some((bundle) => bundle.key === key)) continue;
    const clients = sdkClientsOf(FUNCTION_SPECS[name]);
    const lines = [
      ...sdkConstructed(clients),
      ...(bundlesUndici(find(name).metafile) ? [UNDICI_AS_USED] : []),
      ...FLOOR_STACK,
      '',
    ];
    bundles.push(await buildBundle(key, writeEntry(key, lines.join('\n'))));
  }

  // Interleaved rounds in a shuffled order, so drift on the machine spreads over every bundle alike.
  const random = seededRandom(8);
  for (const bundle of bundles) {
    try {
      importOnce(bundle); // warms the file cache, and finds bundles that cannot load
    } catch (error) {
      bundle.failed = (error as Error).message;
      console.error(`cold-start: ${bundle.key} does not import: ${bundle.failed}`);
    }
  }
  for (let round = 0; round < RUNS; round++) {
    const order = shuffled(
      bundles.filter((bundle) => !bundle.failed),
      random,
    );
    for (const bundle of order) {
      const { ms, rss } = importOnce(bundle);
      bundle.times.push(ms);
      bundle.rss.push(rss);
      if ((FUNCTION_NAMES as readonly string[]).includes(bundle.key)) {
        const withMaps = importOnce(bundle, SOURCE_MAPS_AT_START);
        bundle.sourceMapTimes.push(withMaps.ms);
        bundle.sourceMapRss.push(withMaps.rss);
      }
    }
  }

  // The target's extra rounds: each function and each floor, shuffled as above.
  const targetBundles = [...new Set(FUNCTION_NAMES.flatMap((name) => [find(name), find(floorOf(name))]))].filter(
    (bundle) => !bundle.failed,
  );
  for (let round = 0; round < TARGET_RUNS; round++) {
    for (const bundle of shuffled(targetBundles, random)) bundle.targetTimes.push(importOnce(bundle).ms);
  }

  return { bundles, find, floorOf, httpShimmed };
}

/** CPU profiles of some functions' imports and of the baselines loading the same SDK packages. */
export interface Profiles {
  /** The functions profiled. */
  functions: FunctionName[];
  /** Their bundles and those baselines, in the order the report's columns show them. */
  bundles: Bundle[];
  /** Self time of each bundle's import by owner, ms (profileImport), by bundle key. */
  byKey: Map<string, Map<string, number>>;
}

/** Profiles the imports of `functions` and of the baselines loading the same SDK packages. */
export function profileImports({ find }: Measurement, functions: readonly FunctionName[]): Profiles {
  const bundles = [
    ...new Set(functions.flatMap((name) => [find(name), find(baselineName(clientsImported(find(name).metafile)))])),
  ];
  return { functions: [...functions], bundles, byKey: new Map(bundles.map((bundle) => [bundle.key, profileImport(bundle)])) };
}
