import { randomBytes } from 'node:crypto';
import { KmsDataKeys } from '../aws/kms-data-keys.ts';
import { ConfigError } from '../errors.ts';
import { LocalDataKeys, SecretBox, SESSION_TOKEN_PURPOSE, WEBHOOK_SECRET_PURPOSE } from '../secret-box.ts';
import type { Services } from './container.ts';

type KeySource = { kmsKeyArn: string } | { localKey: Buffer } | undefined;

/**
 * A box over `source`: KMS deployed (data keys carry `purpose` as their encryption context); locally the stack's
 * key (a process of its own without one: what it stores is then readable only by itself).
 */
function boxOver(services: Services, source: KeySource, purpose: string, variable: string, what: string): SecretBox {
  if (source && 'kmsKeyArn' in source) {
    return new SecretBox(new KmsDataKeys(source.kmsKeyArn, { region: services.config.aws.region, purpose }), services.clock);
  }
  if (source) return new SecretBox(new LocalDataKeys(source.localKey), services.clock);
  if (services.config.env === 'local') return new SecretBox(new LocalDataKeys(randomBytes(32)), services.clock);
  throw new ConfigError([variable], `${what} are sealed with a KMS key: set ${variable} (deployed stacks do).`);
}

/** What seals webhook signing secrets (and the stored answers that carry one). */
export function webhookSecretBox(services: Services): SecretBox {
  return services.once(webhookSecretBox, () =>
    boxOver(
      services,
      services.config.webhooks.secretsKey,
      WEBHOOK_SECRET_PURPOSE,
      'WEBHOOK_SECRETS_KEY_ARN',
      'Webhook signing secrets',
    ),
  );
}

/** What seals MX session tokens: a key only the functions that call MX may use. */
export function sessionTokenBox(services: Services): SecretBox {
  return services.once(sessionTokenBox, () =>
    boxOver(services, services.config.mx.sessionsKey, SESSION_TOKEN_PURPOSE, 'SESSION_TOKENS_KEY_ARN', 'MX session tokens'),
  );
}
