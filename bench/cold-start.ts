import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE, NODE_HTTP_CJS, esbuildOptions, isNodeHttp } from '../infra/bundling.ts';
import { type EnvironmentResources, functionEnvironment, perQueue } from '../infra/constructs/function-environment.ts';
import { ENVIRONMENTS, resourceName } from '../infra/environments.ts';
import {
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  SDK_CLIENT_PACKAGES,
  type SdkClient,
  sdkClientsOf,
} from '../infra/constructs/function-specs.ts';
import { functionEntry } from '../infra/constructs/relay-function.ts';
import { addInto, ownerOfPath, profileByOwner } from './support/attribution.ts';
import { configAsZodSource } from './support/config-as-zod.ts';
import { type BenchResult, PROJECT_ROOT, type TargetCheck, WORK_DIR, table } from './support/report.ts';
import { fmt, kib, median, ratioOfMediansInterval, seededRandom, shuffled } from './support/stats.ts';
const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

/**
 * Cold start, per function: the minified bundle built exactly as the stack builds it (infra/bundling.ts) and the
 * median time to import it in a fresh Node process, beside its floor: a bundle of the stack it is built on (the AWS SDK
 * clients it uses, read off infra/constructs/function-specs.ts, middy, Powertools Logger and Metrics, undici where
 * used) with no project code, bundled the same way, and a baseline importing only those SDK clients. The SDK is in the bundle, as
 * shipped; the same functions and baselines built with the SDK external (resolved from node_modules, as the runtime's
 * copy was before) are timed in the same rounds, to show what bundling it changed. Probe bundles
 * (undici whole vs the subset lib/undici.ts imports) price undici in the same rounds. Where a
 * function misses its target, a CPU profile of the import (mapped through the source map) and the esbuild metafile
 * say what the time and bytes are.
 */

/**
 * Imports per bundle. On a two-core machine a median over 15 moved by 10–20 % between runs, more than the target's
 * margin; 25 narrow it, within the full run's budget.
 */
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 25);
/**
 * Rounds more of each function and its floor alone, for the target's ratio and the figures it divides: the functions
 * nearest the target sit within a RUNS-round median's spread of it (their 95 % intervals span it). The other
 * comparisons are reported without a target and keep RUNS.
 */
const TARGET_RUNS = Number(process.env.BENCH_COLD_TARGET_RUNS ?? 25);
const PROFILE_RUNS = 3;
/** How many of the functions missing their target get profiled (the worst first). */
const MAX_PROFILED = 2;
/** A function's import over its floor's: the target measures our code, not the stack we chose (issue 35); 1.35 since issue 54. */
const TARGET_RATIO = 1.35;
/** Resident memory right after the import, function over baseline (issue 20's goal). */
const RSS_GOAL_RATIO = 1.2;
const DIR = join(WORK_DIR, 'cold-start');

/**
 * What the stack makes, named as AWS names it in the prod environment: the function environments below are built from
 * these by the stack's own code (infra/constructs/function-environment.ts).
 */
const PROD = ENVIRONMENTS.prod;
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

const baselineName = (clients: readonly SdkClient[]) => `baseline[${clients.length > 0 ? clients.join('+') : 'no SDK'}]`;

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
const bundlesUndici = (metafile: Metafile) =>
  Object.values(metafile.outputs).some((output) =>
    Object.keys(output.inputs).some((path) => path.includes('node_modules/undici/')),
  );

/** What the project imports of undici (lib/undici.ts: its dispatchers and `request`), as an entry's line. */
const UNDICI_AS_USED = `export { Agent, Pool, buildConnector, request } from '${join(PROJECT_ROOT, 'lib', 'undici.ts')}';`;

/** SDK clients constructed, priced against the baseline that only imports them (api-webhooks' and worker-deliver's). */
const CONSTRUCTED_CLIENTS = ['dynamodb', 'sqs', 'kms'] as const satisfies readonly SdkClient[];

/** What a function that calls MX has loaded before its configuration: zod and node:crypto. */
const ZOD_PROBE = 'probe[zod, node:crypto]';
const ZOD_AND_CRYPTO = [
  `import * as z from '${join(PROJECT_ROOT, 'lib', 'zod.ts')}';`,
  "import { createHmac } from 'node:crypto';",
  'export const hmac = createHmac;',
  "export const parsed = z.object({ a: z.string() }).safeParse({ a: 'x' });",
].join('\n');

/**
 * Parts of the stack priced on their own, in the same rounds, against the empty baseline unless `against` names
 * another: undici whole and as the project imports it, middy, Powertools, the two idempotency handlings, the
 * configuration loader against the same variables as zod schemas, and SDK clients constructed.
 */
const PROBES: readonly { key: string; what: string; source: string; against?: string }[] = [
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
    key: 'probe[config: ours]',
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
    key: 'probe[config: zod]',
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

interface Bundle {
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
const withRuntimeSdk = (key: string) => `${key} (runtime's SDK)`;
/** The key of a function bundle importing node:http as an ES module, as the functions did before lib/aws/node-http.cjs. */
const withEsmHttp = (key: string) => `${key} (node:http as ESM)`;

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
const SOURCE_MAPS_AT_START = '--enable-source-maps';

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

/** Bytes of the bundle by owner (esbuild's bytesInOutput). */
function bytesByOwner(metafile: Metafile): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const owner = ownerOfPath(path);
      bytes.set(owner, (bytes.get(owner) ?? 0) + input.bytesInOutput);
    }
  }
  return bytes;
}

/** The SDK client packages (`@aws-sdk/client-*`, `@aws-sdk/lib-*`) a bundle holds, or imports when they are external. */
function sdkImports(metafile: Metafile): string[] {
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
function clientsImported(metafile: Metafile): SdkClient[] {
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

const short = (pkg: string) => pkg.replace('@aws-sdk/', '').replace('client-', '');
const sumOf = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

export async function run(): Promise<BenchResult> {
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
  /** A function's or floor's import times over every round it was in (RUNS + TARGET_RUNS), in round order. */
  const targetSamples = (bundle: Bundle) => [...bundle.times, ...bundle.targetTimes];

  const baselineOf = (name: FunctionName) => find(baselineName(sdkClientsOf(FUNCTION_SPECS[name])));
  const floorBundleOf = (name: FunctionName) => find(floorOf(name));
  const ratioOf = (name: FunctionName) => median(targetSamples(find(name))) / median(targetSamples(floorBundleOf(name)));
  // How far the machine's noise moves that ratio: its 95 % interval, the rounds resampled (a function and its floor
  // are imported in the same rounds). An interval on one side of the target is a verdict this run's noise cannot turn.
  const intervals = new Map(
    FUNCTION_NAMES.map((name) => [
      name,
      ratioOfMediansInterval(
        targetSamples(find(name)),
        targetSamples(floorBundleOf(name)),
        seededRandom(FUNCTION_NAMES.indexOf(name) + 1),
      ),
    ]),
  );
  const intervalOf = (name: FunctionName) => intervals.get(name)!;
  const beyondNoise = (side: 'met' | 'missed') =>
    FUNCTION_NAMES.filter((name) =>
      side === 'met' ? intervalOf(name).high <= TARGET_RATIO : intervalOf(name).low > TARGET_RATIO,
    );
  // The target before issue 35: the function over a bundle of its SDK clients alone (reported, no longer a target).
  const baselineRatioOf = (name: FunctionName) => median(find(name).times) / median(baselineOf(name).times);
  // Before the SDK was bundled: the function and its baseline both resolving the SDK from node_modules.
  const runtimeSdkBaselineOf = (name: FunctionName) => {
    const clients = sdkClientsOf(FUNCTION_SPECS[name]);
    return find(clients.length > 0 ? withRuntimeSdk(baselineName(clients)) : baselineName(clients));
  };
  const beforeOf = (name: FunctionName) => find(withRuntimeSdk(name));
  const againstRuntimeSdkOf = (name: FunctionName) => median(find(name).times) / median(runtimeSdkBaselineOf(name).times);
  const rows = FUNCTION_NAMES.map((name) => {
    const used = sdkClientsOf(FUNCTION_SPECS[name]);
    const fn = find(name);
    const baseline = baselineOf(name);
    const floor = floorBundleOf(name);
    const ratio = ratioOf(name);
    return [
      `\`${name}\``,
      used.length > 0 ? used.join(', ') : 'none',
      sdkImports(fn.metafile).map(short).join(', ') || 'none',
      `${kib(fn.bytes)} (${kib(fn.gzipBytes)} gz)`,
      fn.failed ? 'does not import' : `${fmt(median(targetSamples(fn)))} (min ${fmt(Math.min(...targetSamples(fn)))})`,
      `${fmt(median(targetSamples(floor)))} (min ${fmt(Math.min(...targetSamples(floor)))}; ${kib(floor.bytes)})`,
      `${fmt(ratio, 2)}× ${ratio <= TARGET_RATIO ? '✅' : '❌'} (${fmt(intervalOf(name).low, 2)}–${fmt(intervalOf(name).high, 2)})`,
      fn.failed
        ? '—'
        : `${mib(median(fn.rss))} / ${mib(median(baseline.rss))} = ${fmt(median(fn.rss) / median(baseline.rss), 2)}× ` +
          (median(fn.rss) / median(baseline.rss) <= RSS_GOAL_RATIO ? '✅' : '❌'),
    ];
  });
  const sdkRows = FUNCTION_NAMES.map((name) => {
    const fn = find(name);
    const before = beforeOf(name);
    const runtimeBaseline = runtimeSdkBaselineOf(name);
    return [
      `\`${name}\``,
      `${kib(before.bytes)} → ${kib(fn.bytes)}`,
      `${fmt(median(before.times))} → ${fmt(median(fn.times))}`,
      `${fmt(((median(fn.times) - median(before.times)) / median(before.times)) * 100, 0)} %`,
      `${mib(median(before.rss))} → ${mib(median(fn.rss))}`,
      fmt(median(runtimeBaseline.times)),
      `${fmt(median(before.times) / median(runtimeBaseline.times), 2)}× → ${fmt(againstRuntimeSdkOf(name), 2)}×`,
    ];
  });
  const fnMedianOf = (pick: (name: FunctionName) => Bundle) =>
    median(FUNCTION_NAMES.map((name) => median(pick(name).times)).filter(Number.isFinite));
  const shippedMedian = fnMedianOf(find);
  /** The median function import over the target's rounds (the first table's import column). */
  const targetMedian = median(FUNCTION_NAMES.map((name) => median(targetSamples(find(name)))).filter(Number.isFinite));
  const beforeMedian = fnMedianOf(beforeOf);
  const withinRuntimeSdk = FUNCTION_NAMES.filter((name) => againstRuntimeSdkOf(name) <= TARGET_RATIO).length;
  const runtimeRatios = FUNCTION_NAMES.map(againstRuntimeSdkOf).filter(Number.isFinite);
  const ratios = FUNCTION_NAMES.map(ratioOf);
  const finite = ratios.filter(Number.isFinite);
  const metCount = ratios.filter((ratio) => ratio <= TARGET_RATIO).length;
  const missed = FUNCTION_NAMES.filter((name) => !(ratioOf(name) <= TARGET_RATIO));
  const rssRatioOf = (name: FunctionName) => median(find(name).rss) / median(baselineOf(name).rss);
  const rssRatios = FUNCTION_NAMES.map(rssRatioOf);
  const rssWithin = rssRatios.filter((ratio) => ratio <= RSS_GOAL_RATIO).length;
  const baselineRatios = FUNCTION_NAMES.map(baselineRatioOf).filter(Number.isFinite);
  const checks: TargetCheck[] = [
    {
      target: `Cold start: each function's import ≤ ${TARGET_RATIO}× its stack floor (its SDK clients, middy, Powertools Logger and Metrics, undici where used; no project code)`,
      measured:
        `${metCount}/${FUNCTION_NAMES.length} met; ratios ${fmt(Math.min(...finite), 2)}–${fmt(Math.max(...finite), 2)}×` +
        (finite.length < ratios.length ? `; ${ratios.length - finite.length} did not import` : ''),
      met: metCount === FUNCTION_NAMES.length,
    },
    {
      target: `Cold start: functions whose ratio to the floor is on one side of ${TARGET_RATIO}× beyond the run's noise (95 % interval, rounds resampled; no target)`,
      measured:
        `${beyondNoise('met').length} met, ${beyondNoise('missed').length} missed` +
        (beyondNoise('missed').length > 0 ? ` (${beyondNoise('missed').join(', ')})` : '') +
        `, ${FUNCTION_NAMES.length - beyondNoise('met').length - beyondNoise('missed').length} undecided`,
      met: true,
      info: true,
    },
    {
      target: `Cold start, init RSS: each function ≤ ${RSS_GOAL_RATIO}× its SDK-only baseline's`,
      measured: `${rssWithin}/${FUNCTION_NAMES.length}; ratios ${fmt(Math.min(...rssRatios), 2)}–${fmt(Math.max(...rssRatios), 2)}×`,
      met: rssWithin === FUNCTION_NAMES.length,
    },
    {
      target: `Cold start over a baseline bundling only the SDK clients a function uses (the target until issue 35; no target)`,
      measured: `ratios ${fmt(Math.min(...baselineRatios), 2)}–${fmt(Math.max(...baselineRatios), 2)}×`,
      met: true,
      info: true,
    },
    {
      target: "Cold start, absolute: median function import, SDK in the bundle vs the runtime's SDK (no target)",
      measured: `${fmt(shippedMedian)} ms vs ${fmt(beforeMedian)} ms (${fmt(((shippedMedian - beforeMedian) / beforeMedian) * 100, 0)} %)`,
      met: true,
      info: true,
    },
    {
      target: `Cold start against the runtime's SDK alone (the baseline before the SDK was bundled): functions ≤ ${TARGET_RATIO}×`,
      measured:
        `${withinRuntimeSdk}/${FUNCTION_NAMES.length}; ratios ` +
        `${fmt(Math.min(...runtimeRatios), 2)}–${fmt(Math.max(...runtimeRatios), 2)}×`,
      met: true,
      info: true,
    },
  ];

  // Node's source maps at start (the stack's NODE_OPTIONS before): what they add to each function's import.
  const sourceMapRows = FUNCTION_NAMES.map((name) => {
    const fn = find(name);
    return [
      `\`${name}\``,
      fmt(median(fn.times)),
      fmt(median(fn.sourceMapTimes)),
      `+${fmt(median(fn.sourceMapTimes) - median(fn.times))}`,
      `${median(fn.sourceMapRss) >= median(fn.rss) ? '+' : '−'}${mib(Math.abs(median(fn.sourceMapRss) - median(fn.rss)))}`,
    ];
  });
  const sourceMapAdded = FUNCTION_NAMES.map((name) => median(find(name).sourceMapTimes) - median(find(name).times));
  const sourceMapShare = FUNCTION_NAMES.map(
    (name) => (median(find(name).sourceMapTimes) - median(find(name).times)) / median(find(name).times),
  );
  checks.push({
    target: `Cold start, Node's source maps at start (\`NODE_OPTIONS=${SOURCE_MAPS_AT_START}\`, set by the stack before; now errors are mapped when logged): import time they add (no target)`,
    measured: `+${fmt(Math.min(...sourceMapAdded))}–${fmt(Math.max(...sourceMapAdded))} ms (+${fmt(Math.min(...sourceMapShare) * 100, 0)}–${fmt(Math.max(...sourceMapShare) * 100, 0)} %)`,
    met: true,
    info: true,
  });

  // node:http taken as CommonJS (the stack's alias) against the ES module import the SDK's handler makes.
  const esmHttpSaved = httpShimmed.map((name) => median(find(withEsmHttp(name)).times) - median(find(name).times));
  const esmHttpRows = httpShimmed.map((name, i) => {
    const fn = find(name);
    const esm = find(withEsmHttp(name));
    const saved = esmHttpSaved[i]!;
    return [
      `\`${name}\``,
      fmt(median(esm.times)),
      fmt(median(fn.times)),
      `${saved >= 0 ? '−' : '+'}${fmt(Math.abs(saved))} (${fmt((Math.abs(saved) / median(esm.times)) * 100, 0)} %)`,
      `${mib(median(esm.rss))} → ${mib(median(fn.rss))}`,
    ];
  });
  checks.push({
    target: `Cold start, node:http taken as CommonJS (\`${NODE_HTTP_CJS}\`) instead of the SDK's ES module import (no target)`,
    measured: `${fmt(Math.min(...esmHttpSaved))} to ${fmt(Math.max(...esmHttpSaved))} ms saved per cold start (${httpShimmed.length} functions, Node ${process.version})`,
    met: true,
    info: true,
  });

  // The stack's floor per function: what the stack costs over the SDK clients, and what the function's own code adds.
  // The floor over its baseline on the rounds both are in (RUNS); what is left for the function's own code, on the
  // target's rounds (RUNS + TARGET_RUNS).
  const floorRatioOf = (name: FunctionName) => median(floorBundleOf(name).times) / median(baselineOf(name).times);
  const floorRows = FUNCTION_NAMES.map((name) => {
    const fn = find(name);
    const floor = floorBundleOf(name);
    const base = median(baselineOf(name).times);
    return [
      `\`${name}\``,
      fmt(base),
      bundlesUndici(fn.metafile) ? 'yes' : 'no',
      `${fmt(median(floor.times))} (${kib(floor.bytes)})`,
      `${fmt(floorRatioOf(name), 2)}×`,
      fmt(median(targetSamples(floor))),
      fmt(median(targetSamples(floor)) * (TARGET_RATIO - 1)),
      fmt(median(targetSamples(fn)) - median(targetSamples(floor))),
      `${fmt(ratioOf(name), 2)}×`,
    ];
  });
  const floorRatios = FUNCTION_NAMES.map(floorRatioOf);
  checks.push({
    target: "Cold start, the stack's floor over its SDK-only baseline: what middy, Powertools and undici cost (no target)",
    measured: `floor ratios ${fmt(Math.min(...floorRatios), 2)}–${fmt(Math.max(...floorRatios), 2)}×`,
    met: true,
    info: true,
  });

  // The probes, against the empty baseline measured in the same rounds.
  const empty = find(baselineName([]));
  const probeRows = PROBES.map((probe) => {
    const bundle = find(probe.key);
    const reference = probe.against ? find(probe.against) : empty;
    return [
      probe.what,
      kib(bundle.bytes),
      `${fmt(median(bundle.times))} (min ${fmt(Math.min(...bundle.times))})`,
      `+${fmt(median(bundle.times) - median(reference.times))}${probe.against ? ` (over \`${probe.against}\`)` : ''}`,
    ];
  });
  const undiciWhole = find('probe[undici: index]');
  const undiciSubset = find('probe[undici: lib/undici.ts]');

  // What the bytes are (metafile) for every function.
  const ownerBytes = FUNCTION_NAMES.map((name) => bytesByOwner(find(name).metafile));
  const owners = [...new Set(ownerBytes.flatMap((m) => [...m.keys()]))]
    .map((owner) => ({ owner, max: Math.max(...ownerBytes.map((m) => m.get(owner) ?? 0)) }))
    .sort((a, b) => b.max - a.max);
  const topOwners = owners.slice(0, 10);
  const rest = owners.slice(10);
  const byteRows = topOwners.map(({ owner }) => [owner, ...ownerBytes.map((m) => fmt((m.get(owner) ?? 0) / 1024, 0))]);
  byteRows.push([
    `${rest.length} others`,
    ...ownerBytes.map((m) => fmt(rest.reduce((total, { owner }) => total + (m.get(owner) ?? 0), 0) / 1024, 0)),
  ]);

  // Measured decomposition: the SDK the function uses, the SDK it loads without using, its own code. On minimums:
  // each bundle's least disturbed import, so the differences are not swamped by noise from other load.
  const fastest = (bundle: Bundle) => Math.min(...bundle.times);
  const decompositionRows = FUNCTION_NAMES.map((name) => {
    const fn = fastest(find(name));
    const used = fastest(baselineOf(name));
    const loaded = fastest(find(baselineName(clientsImported(find(name).metafile))));
    return [`\`${name}\``, fmt(fn), fmt(used), fmt(loaded - used), fmt(fn - loaded), `${fmt(((fn - loaded) / fn) * 100, 0)} %`];
  });

  // Where the time of the missing functions' own code goes: CPU profiles of the worst few and of their baselines.
  const profiled = [...missed].sort((a, b) => ratioOf(b) - ratioOf(a)).slice(0, MAX_PROFILED);
  const profileTargets = [
    ...new Set(profiled.flatMap((name) => [find(name), find(baselineName(clientsImported(find(name).metafile)))])),
  ];
  const profiles = new Map(profileTargets.map((bundle) => [bundle.key, profileImport(bundle)]));

  let profileSection = 'Every function met its target; no profile needed.';
  const dominates: string[] = [];
  if (profiles.size > 0) {
    const profileOwners = [...new Set([...profiles.values()].flatMap((p) => [...p.keys()]))]
      .map((owner) => ({ owner, max: Math.max(...[...profiles.values()].map((p) => p.get(owner) ?? 0)) }))
      .filter((o) => o.max >= 0.5)
      .sort((x, y) => y.max - x.max)
      .map((o) => o.owner);
    const profileRows = profileOwners.map((owner) => [
      owner,
      ...profileTargets.map((b) => fmt(profiles.get(b.key)!.get(owner) ?? 0)),
    ]);
    profileRows.push(['**total sampled**', ...profileTargets.map((b) => `**${fmt(sumOf(profiles.get(b.key)!.values()))}**`)]);
    profileSection = table(['self time, ms', ...profileTargets.map((b) => `\`${b.key}\``)], profileRows);

    for (const name of profiled) {
      const fnProfile = profiles.get(name)!;
      const baseProfile = profiles.get(baselineName(clientsImported(find(name).metafile)))!;
      const extra = [...fnProfile.keys()]
        .map((owner) => ({ owner, ms: (fnProfile.get(owner) ?? 0) - (baseProfile.get(owner) ?? 0) }))
        .filter((o) => o.ms >= 1)
        .sort((x, y) => y.ms - x.ms);
      const extraTotal = sumOf(extra.map((o) => o.ms));
      dominates.push(
        `- \`${name}\` (${fmt(ratioOf(name), 2)}×; ${fmt(extraTotal)} ms of sampled self time over its baseline): ` +
          extra
            .slice(0, 6)
            .map((o) => `${o.owner} ${fmt(o.ms)} ms (${fmt((o.ms / extraTotal) * 100, 0)} %)`)
            .join(', ') +
          '.',
      );
    }
  }

  const failedImports = bundles.filter((bundle) => bundle.failed);

  const markdown = [
    `**Target:** each function's median import time ≤ ${TARGET_RATIO} × that of its floor: a bundle of the stack the function is built on and no project code — ` +
      'the AWS SDK clients it uses (DynamoDB when it has item actions or queries, SQS when it sends or consumes, Secrets Manager when it calls MX, checks MX webhooks or signs cursors, ' +
      'KMS when it seals webhook secrets or MX session tokens — from `infra/constructs/function-specs.ts`), middy, Powertools Logger and Metrics, and undici where its bundle holds it. ' +
      `Init RSS: each function ≤ ${RSS_GOAL_RATIO}× a baseline bundling only those SDK clients. ` +
      'Until issue 35 the time target was the SDK-only baseline: it measured the stack as much as our code, and is reported below.',
    '',
    `**Method:** every bundle is built with the stack's own options (\`esbuildOptions\` from \`infra/bundling.ts\`: ESM, ${LAMBDA_BUNDLE.target}, minified, ` +
      '`mainFields: module,main`, createRequire banner, the AWS SDK bundled). Import time = `await import(bundle)` in a fresh `node --input-type=module` process ' +
      "(each function with the environment the stack gives it in prod, from the stack's own `infra/constructs/function-environment.ts`; baselines, floors and probes with every variable any function is given), " +
      `${RUNS} processes per bundle, interleaved in shuffled rounds, then ${TARGET_RUNS} more rounds of the functions and their floors alone, ` +
      `for the target's ratio (it and the function and floor imports it divides are over all ${RUNS + TARGET_RUNS} rounds; every other comparison is over the first ${RUNS}); tables show medians. ` +
      "A function's ratio to its floor comes with its 95 % interval: the rounds resampled with replacement 2,000 times (each round keeps its function and floor imports together), the ratio of medians of each resample, its 2.5th and 97.5th percentiles. " +
      'The same functions and baselines built with `@aws-sdk/*` external (how they were shipped before: the SDK resolved from `node_modules`, as Lambda resolves the copy its runtime provides) are timed in the same rounds. ' +
      'Sizes are the minified `.mjs` without its source map. Measured on Node ' +
      process.version +
      ` (Lambda runs nodejs${LAMBDA_BUNDLE.target.replace(/^node/, '')}.x); other load on the machine widens the spread, so minimums are shown too.`,
    '',
    table(
      [
        'function',
        'SDK clients it uses',
        'SDK packages its bundle imports',
        'bundle',
        'import p50 (min), ms',
        'floor import p50 (min; size), ms',
        'function / floor (95 % interval)',
        `init RSS: function / baseline (p50; goal ≤ ${RSS_GOAL_RATIO}×)`,
      ],
      rows,
    ),
    '',
    `**Result:** ${metCount}/${FUNCTION_NAMES.length} functions meet the target ` +
      `(ratios ${fmt(Math.min(...finite), 2)}–${fmt(Math.max(...finite), 2)}×, median function import ${fmt(targetMedian)} ms).` +
      (missed.length > 0 ? ` Missed: ${missed.map((name) => `\`${name}\` ${fmt(ratioOf(name), 2)}×`).join(', ')}.` : '') +
      ` Beyond this run's noise (the ratio's 95 % interval, rounds resampled, on one side of ${TARGET_RATIO}×): ` +
      `${beyondNoise('met').length} met, ${beyondNoise('missed').length} missed` +
      (beyondNoise('missed').length > 0
        ? ` (${beyondNoise('missed')
            .map((name) => `\`${name}\``)
            .join(', ')})`
        : '') +
      `, ${FUNCTION_NAMES.length - beyondNoise('met').length - beyondNoise('missed').length} undecided (the interval spans it, or the function did not import).`,
    '',
    failedImports.length > 0
      ? `**Did not import** (left out of the timing): ${failedImports.map((b) => `\`${b.key}\`: ${b.failed}`).join('; ')}.`
      : '',
    '',
    "### The stack's floor and the function's own code",
    '',
    'A floor bundle holds what a function of this stack loads whatever its own code: the SDK clients of its baseline, ' +
      'each constructed (every composition builds its clients at start), ' +
      "middy's core, Powertools Logger (with its middleware) and Metrics, one of each constructed, and what the project imports of undici " +
      "(lib/undici.ts: its dispatchers and `request`) where the function's bundle holds undici. No project code. " +
      `The baseline, the floor and their ratio are over the ${RUNS} rounds with every bundle; the last four columns over the target's ${RUNS + TARGET_RUNS}.`,
    '',
    table(
      [
        'function',
        'SDK-only baseline p50, ms',
        'undici',
        'floor p50, ms (bundle)',
        'floor / baseline',
        `floor p50 over ${RUNS + TARGET_RUNS} rounds, ms`,
        `left for own code under the target (${TARGET_RATIO}× floor), ms`,
        'own code now (function − floor), ms',
        'function / floor',
      ],
      floorRows,
    ),
    '',
    `**The floor** costs ${fmt(Math.min(...floorRatios), 2)}–${fmt(Math.max(...floorRatios), 2)}× the SDK clients alone.`,
    '',
    "### Node's source maps at start (same rounds)",
    '',
    `The stack sets no \`NODE_OPTIONS\`. Until November 2026 it set \`${SOURCE_MAPS_AT_START}\` on every function, so that stack ` +
      "traces in logs named the TypeScript source; Node then reads and parses the bundle's source map (about as large as the bundle) " +
      'while importing it, at every cold start, for traces only an error log line needs. Now the logger maps the frames of a logged ' +
      "error through the shipped map when it first needs it (lib/source-mapped-stack.ts): a container's first logged error pays the " +
      "map's read and decode (~50 ms), where Node's first mapped stack paid the decode (~45 ms). The tables above are what deploys. " +
      `Each function imported once more in every round with \`NODE_OPTIONS=${SOURCE_MAPS_AT_START}\`:`,
    '',
    table(['function', 'import p50, ms', `with ${SOURCE_MAPS_AT_START}, ms`, 'added, ms', 'init RSS added (p50)'], sourceMapRows),
    '',
    '### node:http taken as CommonJS (same rounds)',
    '',
    "The AWS SDK's HTTP handler imports node:http as an ES module. On Node 22 and 24 Node builds that module by reading " +
      "every export of node:http, and its `WebSocket`, `CloseEvent` and `MessageEvent` are getters that load Node's own copy of undici " +
      '(nodejs/node#57649; Node 20 has no such getters; `test/infra/node-http-alias.test.ts` fails when a Node release stops loading it). The stack aliases `http` and `node:http` to `' +
      NODE_HTTP_CJS +
      '` (infra/bundling.ts), the same module object taken as CommonJS, whose getters stay lazy. ' +
      'Each function whose bundle imports node:http, built once more without the alias and imported in every round, on Node ' +
      process.version +
      ':',
    '',
    table(
      ['function', 'node:http as an ES module, p50 ms', 'as CommonJS (shipped), p50 ms', 'saved, ms', 'init RSS p50'],
      esmHttpRows,
    ),
    '',
    "### The SDK in the bundle vs the runtime's copy (same rounds)",
    '',
    "Each function as it was shipped before (the SDK external, loaded from the runtime's `node_modules`: many CommonJS files read, " +
      'compiled and evaluated) and as it is shipped now (the SDK minified and tree-shaken into the bundle). The last columns compare both with ' +
      "the baseline the target used before: the runtime's SDK clients alone.",
    '',
    table(
      [
        'function',
        'bundle: before → now',
        'import p50, ms: before → now',
        'change',
        'init RSS p50: before → now',
        "runtime's SDK alone, import p50, ms",
        "ratio to the runtime's SDK alone: before → now",
      ],
      sdkRows,
    ),
    '',
    `Median function import: ${fmt(beforeMedian)} ms → ${fmt(shippedMedian)} ms ` +
      `(${fmt(((shippedMedian - beforeMedian) / beforeMedian) * 100, 0)} %). ` +
      `Against the runtime's SDK alone, ${withinRuntimeSdk}/${FUNCTION_NAMES.length} functions now import within ${TARGET_RATIO}× of it.`,
    '',
    '### What the stack costs on its own: undici, middy, Powertools, SDK clients constructed (probe bundles, same rounds)',
    '',
    table(['probe', 'bundle', 'import p50 (min), ms', 'over the empty baseline (or the one named), ms'], probeRows),
    '',
    `undici's index (fetch, WebSocket, caches, mocks…) is ${kib(undiciWhole.bytes)} and ${fmt(median(undiciWhole.times) - median(empty.times))} ms; ` +
      `the dispatchers the MX client and the webhook sender use, imported from their modules (lib/undici.ts), ${kib(undiciSubset.bytes)} and ` +
      `${fmt(median(undiciSubset.times) - median(empty.times))} ms. ` +
      "middy's core imports Node's web streams (`node:stream/web`, for streamed responses) whatever the handler; Powertools Logger builds its own " +
      '`Console` on stdout and stderr. Over a baseline with SDK clients the same probes cost less, as the SDK loads part of what they load (the floor bundles above measure that). ' +
      "Constructing SDK clients (each resolves its region, credential chain, endpoint rules and retry strategy) is in no baseline, which only imports them; the floors construct the clients of their function's spec, as each composition does at start (lib/compositions/), so that time is not counted as the function's own code.",
    '',
    "### Where the time goes, measured: SDK used, SDK loaded but unused, own code (fastest of each bundle's imports, ms)",
    '',
    "Each function's import minus the baseline importing exactly the SDK packages its bundle loads is the time of its own code; " +
      'that baseline minus the baseline of the clients it uses is the SDK it loads for nothing.',
    '',
    table(
      ['function', 'import', 'SDK it uses', '+ SDK loaded, unused', '+ own code (undici, zod, project…)', 'own code share'],
      decompositionRows,
    ),
    '',
    '### What the bundles contain (esbuild metafile, `bytesInOutput`, KiB)',
    '',
    table(['owner', ...FUNCTION_NAMES.map((name) => `\`${name}\``)], byteRows),
    '',
    `### Where the import time goes (CPU profile of the import, self time by owner, mean of ${PROFILE_RUNS} profiled imports, 100 µs sampling)`,
    '',
    `The ${profiled.length} functions furthest from the target and the baselines loading the same SDK packages. ` +
      "Bundle frames are mapped through the bundle's source map to the original package. Profiling slows the import, so totals exceed the unprofiled medians: compare columns with each other.",
    '',
    profileSection,
    '',
    ...(dominates.length > 0 ? ["**What dominates** (profile minus its baseline's):", '', ...dominates] : []),
  ].join('\n');

  return { id: 'cold-start', title: '1. Cold start', markdown, checks };
}
