import { KMSClient } from '@aws-sdk/client-kms';
import { KmsDataKeys } from '../aws/kms-data-keys.ts';
import { LocalDataKeys, MX_ANSWER_PURPOSE, SecretBox, SESSION_TOKEN_PURPOSE, WEBHOOK_SECRET_PURPOSE } from '../secret-box.ts';
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

/** KMS deployed (`purpose` as encryption context); locally a derived key, so every process opens what another sealed. */
function boxOver(
  runtime: Runtime,
  source: KeySource,
  { purpose, variable, what }: { purpose: string; variable: string; what: string },
): SecretBox {
  const { config, clock } = runtime;
  if (source && 'kmsKeyArn' in source) {
    return new SecretBox(new KmsDataKeys(source.kmsKeyArn, { region: config.aws.region, purpose, kms: kmsOf(runtime) }), clock);
  }
  if (source) return new SecretBox(new LocalDataKeys(source.localKey), clock);
  throw missingKey(config, `${what} are sealed`, variable);
}

/** What seals webhook signing secrets (and the stored answers that carry one). */
export function webhookSecretBox(runtime: Runtime): SecretBox {
  return boxOver(runtime, runtime.config.webhooks.secretsKey, {
    purpose: WEBHOOK_SECRET_PURPOSE,
    variable: 'WEBHOOK_SECRETS_KEY_ARN',
    what: 'Webhook signing secrets',
  });
}

/** What seals MX session tokens: a key only the functions that call MX may use. */
export function sessionTokenBox(runtime: Runtime): SecretBox {
  return boxOver(runtime, runtime.config.mx.sessionsKey, {
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
