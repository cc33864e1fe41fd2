import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** Managing a key, never using it: what the account's administrators may do to it (through IAM). */
const ADMINISTRATION = [
  'kms:Create*',
  'kms:Describe*',
  'kms:Enable*',
  'kms:List*',
  'kms:Put*',
  'kms:Update*',
  'kms:Revoke*',
  'kms:Disable*',
  'kms:Get*',
  'kms:Delete*',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
];

export interface RelayKeyProps {
  alias: string;
  description: string;
  removalPolicy: RemovalPolicy;
}

/**
 * A KMS key of the stack, rotated yearly, whose policy lets the account administer it and nothing more. CDK's default
 * policy gives the account `kms:*`, so any principal whose IAM allows `kms:Decrypt` could use the key; here each use
 * is named in the key's policy (`addToResourcePolicy`): a function's role (infra/constructs/access.ts), a service.
 *
 * @example
 * const key = relayKey(this, 'SessionTokensKey', { alias, description, removalPolicy });
 * key.addToResourcePolicy(new PolicyStatement({ principals: [fn.grantPrincipal], actions: ['kms:Decrypt'], resources: ['*'] }));
 */
export function relayKey(scope: Construct, id: string, props: RelayKeyProps): Key {
  const key = new Key(scope, id, { ...props, enableKeyRotation: true, policy: new PolicyDocument() });
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'Administration',
      principals: [new AccountRootPrincipal()],
      actions: ADMINISTRATION,
      resources: ['*'],
    }),
  );
  return key;
}
