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
 * The two credentials nexus-relay holds. CloudFormation creates them with placeholder values of the right shape;
 * the operator puts the real values (docs/operations.md → Deploy to AWS). Neither value ever reaches a Lambda environment.
 */
export class RelaySecrets extends Construct {
  /** `{"client_id": "…", "api_key": "…"}`: MX's credentials for the SSO API. */
  readonly mxCredentials: Secret;
  /** `{"username": "…", "password": "…"}`: the HTTP Basic credentials MX sends with its webhooks. */
  readonly mxWebhookCredentials: Secret;

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
  }
}
