import { KMSClient } from '@aws-sdk/client-kms';
import { KmsDataKeys } from '../aws/kms-data-keys.ts';
import {
  type DataKeySource,
  LocalDataKeys,
  MX_ANSWER_PURPOSE,
  SecretBox,
  SESSION_TOKEN_PURPOSE,
  WEBHOOK_SECRET_PURPOSE,
} from '../secret-box.ts';
import { FLEET_KEY_HOUR_MS, FleetDataKeys, type FleetKeyOutcome } from '../store/fleet-data-keys.ts';
import type { TableRef } from '../store/table.ts';
import { missingKey } from './missing-key.ts';
import type { Runtime } from './runtime.ts';

type KeySource = { kmsKeyArn: string } | { localKey: Buffer } | undefined;

/** One KMS client per runtime, whatever the purposes its boxes seal for. */
const kmsClients = new WeakMap<Runtime, KMSClient>();
const kmsOf = (runtime: Runtime): KMSClient => {
  let client = kmsClients.get(runtime);
  if (!client) kmsClients.set(runtime, (client = new KMSClient({ region: runtime.config.aws.region })));
  return client;
};

type Fleet = { table: TableRef; onKey: (outcome: FleetKeyOutcome) => void };

/**
 * KMS deployed (`purpose` as encryption context); locally a derived key, so every process opens what another sealed.
 * `fleet`: one data key an hour for every container, shared through the table (decision 0038).
 */
function boxOver(
  runtime: Runtime,
  source: KeySource,
  { purpose, variable, what, fleet }: { purpose: string; variable: string; what: string; fleet?: Fleet },
): SecretBox {
  const { config, clock } = runtime;
  if (!source) throw missingKey(config, `${what} are sealed`, variable);
  const keys: DataKeySource =
    'kmsKeyArn' in source
      ? new KmsDataKeys(source.kmsKeyArn, { region: config.aws.region, purpose, kms: kmsOf(runtime) })
      : new LocalDataKeys(source.localKey);
  if (!fleet) return new SecretBox(keys, clock);
  return new SecretBox(new FleetDataKeys(keys, fleet.table, { purpose, clock, onKey: fleet.onKey }), clock, {
    openedKeyTtlMs: 2 * FLEET_KEY_HOUR_MS,
  });
}

/** What seals webhook signing secrets (and the stored answers that carry one). */
export function webhookSecretBox(runtime: Runtime): SecretBox {
  return boxOver(runtime, runtime.config.webhooks.secretsKey, {
    purpose: WEBHOOK_SECRET_PURPOSE,
    variable: 'WEBHOOK_SECRETS_KEY_ARN',
    what: 'Webhook signing secrets',
  });
}

/**
 * What seals MX session tokens: a key only the functions that call MX may use, one data key an hour for all of them (a
 * session sealed in one container opens in the next without a KMS call).
 */
export function sessionTokenBox(runtime: Runtime, table: TableRef): SecretBox {
  return boxOver(runtime, runtime.config.mx.sessionsKey, {
    fleet: { table, onKey: (outcome) => runtime.metrics.add('SessionDataKeys', 1, { outcome }) },
    purpose: SESSION_TOKEN_PURPOSE,
    variable: 'SESSION_TOKENS_KEY_ARN',
    what: 'MX session tokens',
  });
}

/** What seals MX's answers to relayed writes while they wait for a replay: they may carry account numbers. */
export function mxAnswerBox(runtime: Runtime): SecretBox {
  return boxOver(runtime, runtime.config.mx.sessionsKey, {
    purpose: MX_ANSWER_PURPOSE,
    variable: 'SESSION_TOKENS_KEY_ARN',
    what: "MX's stored answers",
  });
}
