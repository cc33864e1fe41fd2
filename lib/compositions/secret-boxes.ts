import { KmsDataKeys } from '../aws/kms-data-keys.ts';
import { LocalDataKeys, SecretBox, SESSION_TOKEN_PURPOSE, WEBHOOK_SECRET_PURPOSE } from '../secret-box.ts';
import { missingKey } from './missing-key.ts';
import type { Runtime } from './runtime.ts';

type KeySource = { kmsKeyArn: string } | { localKey: Buffer } | undefined;

/** KMS deployed (`purpose` as encryption context); locally a derived key, so every process opens what another sealed. */
function boxOver(
  { config, clock }: Runtime,
  source: KeySource,
  { purpose, variable, what }: { purpose: string; variable: string; what: string },
): SecretBox {
  if (source && 'kmsKeyArn' in source) {
    return new SecretBox(new KmsDataKeys(source.kmsKeyArn, { region: config.aws.region, purpose }), clock);
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
