import { randomBytes } from 'node:crypto';
import { KmsDataKeys } from '../aws/kms-data-keys.ts';
import { ConfigError } from '../errors.ts';
import { createNotifier, type Notifier } from '../notify/index.ts';
import { LocalDataKeys, SecretBox } from '../notify/secret-box.ts';
import type { Services } from './container.ts';
import { sqsClient } from './queues.ts';
import { table } from './store.ts';

/** The webhook product, whole: subscriptions, deliveries, replays and the HTTP agent that sends the attempts. */
export function notifier(services: Services): Notifier {
  return services.once(notifier, () =>
    createNotifier({
      table: table(services),
      sqs: sqsClient(services),
      deliveryQueueUrl: services.config.queues.delivery,
      clock: services.clock,
      log: services.log,
      metrics: services.metrics,
      secretBox: secretBox(services),
      timeoutMs: services.config.webhooks.timeoutMs,
      allowInsecureUrls: services.config.webhooks.allowInsecureUrls,
      dispatcher: services.overrides.webhookDispatcher,
    }),
  );
}

/**
 * What seals webhook signing secrets: KMS deployed; locally the stack's key (a process of its own without one:
 * what it stores is then readable only by itself).
 */
function secretBox(services: Services): SecretBox {
  const { secretsKey } = services.config.webhooks;
  if (secretsKey && 'kmsKeyArn' in secretsKey) {
    return new SecretBox(new KmsDataKeys(secretsKey.kmsKeyArn, { region: services.config.aws.region }), services.clock);
  }
  if (secretsKey) return new SecretBox(new LocalDataKeys(secretsKey.localKey), services.clock);
  if (services.config.env === 'local') return new SecretBox(new LocalDataKeys(randomBytes(32)), services.clock);
  throw new ConfigError(
    ['WEBHOOK_SECRETS_KEY_ARN'],
    'Webhook signing secrets are sealed with a KMS key: set WEBHOOK_SECRETS_KEY_ARN (deployed stacks do).',
  );
}
