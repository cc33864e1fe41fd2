import type { RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface RelaySecretsProps {
  /** Secrets Manager name prefix, e.g. `nexus-relay/prod`. */
  namePrefix: string;
  encryptionKey?: IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * The credentials nexus-relay holds, the key that signs its sync cursors and the one that keys its digests. CloudFormation creates them with placeholder values of the right shape;
 * the operator puts the real values (docs/operations.md → Deploy to AWS). Neither value ever reaches a Lambda environment.
 */
export class RelaySecrets extends Construct {
  /** `{"client_id": "…", "api_key": "…"}`: MX's credentials for the SSO API. */
  readonly mxCredentials: Secret;
  /** `{"username": "…", "password": "…"}`: the HTTP Basic credentials MX sends with its webhooks. */
  readonly mxWebhookCredentials: Secret;
  /** `{"key": "<base64>"}`: signs transactions-sync cursors; generated, never shown to anyone. */
  readonly syncCursorKey: Secret;
  /** `{"key": "<base64>", "previous"?: […]}`: keys the digests of user input and user ids (lib/digest-keys.ts). */
  readonly digestKey: Secret;

  constructor(scope: Construct, id: string, props: RelaySecretsProps) {
    super(scope, id);
    const common = { encryptionKey: props.encryptionKey, removalPolicy: props.removalPolicy };

    this.mxCredentials = new Secret(this, 'MxCredentials', {
      ...common,
      secretName: `${props.namePrefix}/mx-credentials`,
      description: 'MX client id and API key: {"client_id": "...", "api_key": "..."}. Set by the operator.',
      // An empty client_id makes a forgotten put-secret-value fail loudly at the first MX call.
      generateSecretString: { secretStringTemplate: JSON.stringify({ client_id: '' }), generateStringKey: 'api_key' },
    });
    this.mxWebhookCredentials = new Secret(this, 'MxWebhookCredentials', {
      ...common,
      secretName: `${props.namePrefix}/mx-webhook-credentials`,
      description: 'HTTP Basic credentials MX sends with its webhooks: {"username": "...", "password": "..."}.',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: 'mx-webhooks' }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    this.syncCursorKey = new Secret(this, 'SyncCursorKey', {
      ...common,
      secretName: `${props.namePrefix}/sync-cursor-key`,
      description:
        'Signs transactions-sync cursors: {"key": "<base64 of at least 32 bytes>"}. Generated; rotating it voids open cursors.',
      // 44 characters of [A-Za-z0-9] as base64: 33 bytes of key material.
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        excludePunctuation: true,
        passwordLength: 44,
      },
    });
    this.digestKey = new Secret(this, 'DigestKey', {
      ...common,
      secretName: `${props.namePrefix}/digest-key`,
      description:
        'Keys the digests of user input and user ids: {"key": "<base64, 32+ bytes>", "previous": [...]}. Generated; rotate by moving key into previous.',
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'key',
        excludePunctuation: true,
        passwordLength: 44,
      },
    });
  }
}
