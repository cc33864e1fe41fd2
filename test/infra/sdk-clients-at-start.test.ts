import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FUNCTION_NAMES,
  FUNCTION_SPECS,
  type FunctionName,
  type SdkClient,
  sdkClientsOf,
} from '../../infra/constructs/function-specs.ts';
import { buildFunctionBundle, runOnBundle } from '../support/lambda-runtime.ts';
import { synthesized } from './support/synth.ts';
import { functionsByName, resolvedEnvironment } from './support/template.ts';

/**
 * What each function builds of the AWS SDK at start, with the environment the prod template gives it: one client per
 * service it uses, and none it does not. A second client of a service (Powertools' SecretsProvider builds one of its
 * own when not given one) costs every cold start its construction and, at its first call, a credentials resolution
 * and a connection of its own; the stack's floor (BENCHMARKS.md, cold start) holds one of each.
 */

const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The client class each service's package exports. */
const CLIENT_CLASSES: Readonly<Record<SdkClient, { package: string; className: string }>> = {
  dynamodb: { package: '@aws-sdk/client-dynamodb', className: 'DynamoDBClient' },
  sqs: { package: '@aws-sdk/client-sqs', className: 'SQSClient' },
  secrets: { package: '@aws-sdk/client-secrets-manager', className: 'SecretsManagerClient' },
  kms: { package: '@aws-sdk/client-kms', className: 'KMSClient' },
};

/**
 * Every import of a client package, wherever it is made (Powertools' too), gets the package with its bare client class
 * (the one the relay and Powertools build) replaced by a subclass that records each construction in
 * `globalThis.sdkClientsBuilt`; everything else the package exports is its own.
 */
const countingClients: Plugin = {
  name: 'counting-sdk-clients',
  setup(build) {
    for (const [service, { package: name, className }] of Object.entries(CLIENT_CLASSES)) {
      build.onResolve({ filter: new RegExp(`^${name}$`) }, (args) =>
        args.pluginData === 'real'
          ? undefined
          : args.namespace === 'counted'
            ? // The wrapper's own import of the package: the real one.
              build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: 'real' })
            : { path: name, namespace: 'counted' },
      );
      build.onLoad({ filter: new RegExp(`^${name}$`), namespace: 'counted' }, () => ({
        contents: [
          `export * from '${name}';`,
          `import { ${className} as Real } from '${name}';`,
          `export class ${className} extends Real {`,
          `  constructor(...args) { super(...args); (globalThis.sdkClientsBuilt ??= []).push('${service}'); }`,
          `}`,
        ].join('\n'),
        resolveDir: PROJECT_ROOT,
        loader: 'js',
      }));
    }
  },
};

const root = mkdtempSync(join(tmpdir(), 'nexus-relay-sdk-clients-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const prod = functionsByName(synthesized('prod').template, 'prod');

const prodEnvironment = (name: FunctionName) =>
  resolvedEnvironment(prod.get(name)!.properties.Environment.Variables as Record<string, unknown>);

/** The SDK clients `name` builds while its bundle is imported with `env`, in the order built. */
async function clientsBuiltAtStart(name: FunctionName, env: Record<string, string>): Promise<string[]> {
  const file = await buildFunctionBundle(join(root, name), name, { plugins: [countingClients] });
  const child = runOnBundle(
    'await import(process.argv[1]); process.stdout.write(JSON.stringify(globalThis.sdkClientsBuilt ?? []));',
    file,
    env,
  );
  if (child.status !== 0) throw new Error(`${name} did not load: ${child.stderr.slice(-500)}`);
  return JSON.parse(child.stdout) as string[];
}

describe('SDK clients built at start (prod environment)', () => {
  it.each(FUNCTION_NAMES)('%s builds one client per service it uses', async (name) => {
    const built = await clientsBuiltAtStart(name, prodEnvironment(name));
    expect([...built].sort()).toEqual([...sdkClientsOf(FUNCTION_SPECS[name])].sort());
  });

  it('builds no Secrets Manager client where every credential is a value of the environment (the local stack)', async () => {
    const { MX_CREDENTIALS_SECRET_ARN, SYNC_CURSOR_KEY_SECRET_ARN, DIGEST_KEY_SECRET_ARN, ...read } = prodEnvironment('api-read');
    expect([MX_CREDENTIALS_SECRET_ARN, SYNC_CURSOR_KEY_SECRET_ARN, DIGEST_KEY_SECRET_ARN]).not.toContain(undefined);
    expect(await clientsBuiltAtStart('api-read', { ...read, MX_CLIENT_ID: 'client', MX_API_KEY: 'key' })).not.toContain(
      'secrets',
    );
    const { MX_WEBHOOK_CREDENTIALS_SECRET_ARN: webhookSecret, ...events } = prodEnvironment('mx-events');
    expect(webhookSecret).toBeDefined();
    expect(
      await clientsBuiltAtStart('mx-events', { ...events, MX_WEBHOOK_USERNAME: 'mx', MX_WEBHOOK_PASSWORD: 'password' }),
    ).not.toContain('secrets');
  });
});
