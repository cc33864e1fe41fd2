import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { MX_ANSWER_PURPOSE, SESSION_TOKEN_PURPOSE, WEBHOOK_SECRET_PURPOSE } from '../../lib/secret-box.ts';
import { PARTITIONS, TABLE_KEYS } from '../../lib/store/table.ts';
import type { QueueName } from '../../lib/queue/queue-names.ts';
import { type FunctionSpec, keysDigests } from './function-specs.ts';

export interface AccessibleResources {
  table: ITable;
  queues: Readonly<Record<QueueName, IQueue>>;
  deadLetterQueues: Readonly<Record<QueueName, IQueue>>;
  mxCredentials: ISecret;
  mxWebhookCredentials: ISecret;
  syncCursorKey: ISecret;
  digestKey: ISecret;
  /** The customer-managed key of the table and the secrets, where the environment has one. */
  dataKey?: IKey;
  /** The key that envelope-encrypts webhook signing secrets (every environment). */
  webhookSecretsKey: IKey;
  /** The key that envelope-encrypts MX session tokens (every environment): the functions that call MX only. */
  sessionTokensKey: IKey;
}

/** DynamoDB decrypts with the caller's rights; writes also need new data keys. */
const KMS_TABLE_READ = ['kms:Decrypt', 'kms:DescribeKey'];
const KMS_TABLE_WRITE = [...KMS_TABLE_READ, 'kms:Encrypt', 'kms:GenerateDataKey'];

/**
 * Grants `fn` what its spec says and nothing else: item actions on the table, Query on the table or an index as used,
 * SendMessage on the queues (and dead-letter queues) it feeds, GetSecretValue on the secrets it reads — each on that one resource's ARN.
 * Consuming a queue is granted by its event source.
 */
export function grantAccess(fn: IFunction, spec: FunctionSpec, resources: AccessibleResources): void {
  const {
    table,
    queues,
    deadLetterQueues,
    mxCredentials,
    mxWebhookCredentials,
    syncCursorKey,
    digestKey,
    dataKey,
    webhookSecretsKey,
    sessionTokensKey,
  } = resources;
  const allow = (actions: readonly string[], arn: string, conditions?: Record<string, Record<string, unknown>>) =>
    fn.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources: [arn], ...(conditions ? { conditions } : {}) }));
  const viaService = (service: string) => ({ StringEquals: { 'kms:ViaService': via(service) } });
  // Items only in the partitions the function uses: a role that does not call MX cannot read a session.
  const inPartitions = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': spec.partitions.map((name) => PARTITIONS[name]) } };
  const via = (service: string) => `${service}.${Stack.of(fn).region}.amazonaws.com`;

  const queryArns = {
    table: table.tableArn,
    gsi1: `${table.tableArn}/index/${TABLE_KEYS.gsi1}`,
    gsi2: `${table.tableArn}/index/${TABLE_KEYS.gsi2}`,
  };
  if (spec.itemActions.length > 0) allow(spec.itemActions, table.tableArn, inPartitions);
  // API keys apart: no put or batch write, and an update writes `last_used_at` only — an item it makes on an absent key
  // is refused as a key (api-keys-repo.ts) — so no function can mint one (they are made by the CLI).
  const apiKeyActions = spec.apiKeys ?? [];
  const onApiKeys = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [PARTITIONS.apiKeys] } };
  const apiKeyReads = apiKeyActions.filter((action) => action !== 'dynamodb:UpdateItem');
  if (apiKeyReads.length > 0) allow(apiKeyReads, table.tableArn, onApiKeys);
  if (apiKeyActions.includes('dynamodb:UpdateItem')) {
    allow(['dynamodb:UpdateItem'], table.tableArn, {
      ...onApiKeys,
      'ForAllValues:StringEquals': { 'dynamodb:Attributes': [TABLE_KEYS.pk, TABLE_KEYS.sk, 'last_used_at'] },
    });
  }
  for (const target of spec.queries) allow(['dynamodb:Query'], queryArns[target], target === 'table' ? inPartitions : undefined);
  if (dataKey && (spec.itemActions.length > 0 || apiKeyActions.length > 0 || spec.queries.length > 0)) {
    const writes = [...spec.itemActions, ...apiKeyActions].some((action) => action !== 'dynamodb:GetItem');
    allow(writes ? KMS_TABLE_WRITE : KMS_TABLE_READ, dataKey.keyArn, viaService('dynamodb'));
  }

  for (const role of spec.sendsTo) allow(['sqs:SendMessage'], queues[role].queueArn);
  for (const role of spec.deadLettersTo ?? []) allow(['sqs:SendMessage'], deadLetterQueues[role].queueArn);
  for (const role of spec.countsDeadLetters ?? []) allow(['sqs:GetQueueAttributes'], deadLetterQueues[role].queueArn);

  const secrets = [
    ...(spec.callsMx ? [mxCredentials] : []),
    ...(spec.verifiesMxWebhooks ? [mxWebhookCredentials] : []),
    ...(spec.signsSyncCursors ? [syncCursorKey] : []),
    ...(keysDigests(spec) ? [digestKey] : []),
  ];
  for (const secret of secrets) allow(['secretsmanager:GetSecretValue'], secret.secretArn);
  if (dataKey && secrets.length > 0) allow(['kms:Decrypt'], dataKey.keyArn, viaService('secretsmanager'));

  // Called directly (not via a service), with the data keys' purpose as their context: new data keys to seal
  // secrets, Decrypt to open them. Named in the key's policy as well as the role's: the account may not use the keys.
  const useKey = (key: IKey, actions: string[], conditions: Record<string, Record<string, unknown>>) => {
    allow(actions, key.keyArn, conditions);
    key.addToResourcePolicy(new PolicyStatement({ principals: [fn.grantPrincipal], actions, resources: ['*'], conditions }));
  };
  const forPurpose = (purpose: string) => ({ StringEquals: { 'kms:EncryptionContext:purpose': purpose } });
  if (spec.webhookSecrets) {
    useKey(
      webhookSecretsKey,
      spec.webhookSecrets === 'seal' ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
      forPurpose(WEBHOOK_SECRET_PURPOSE),
    );
  }
  if (spec.callsMx === true) useKey(sessionTokensKey, ['kms:GenerateDataKey', 'kms:Decrypt'], forPurpose(SESSION_TOKEN_PURPOSE));
  if (spec.sealsMxAnswers) useKey(sessionTokensKey, ['kms:GenerateDataKey', 'kms:Decrypt'], forPurpose(MX_ANSWER_PURPOSE));
}
