import { beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName } from '../../infra/constructs/function-specs.ts';
import { keys, PARTITIONS } from '../../lib/store/table.ts';
import { MX_WORK_QUEUES, QUEUE_NAMES } from '../../lib/queue/queue-names.ts';
import { matchesPattern } from '../support/iam-patterns.ts';
import { type EnvironmentName, resourceName } from '../../infra/environments.ts';
import { synthesized } from './support/synth.ts';
import {
  asArray,
  type CfnResource,
  functionsByName,
  referencedId,
  resourceById,
  resourcesOfType,
  statementsOfRole,
} from './support/template.ts';

/**
 * Least privilege, spelled out: every permission each function's role holds, as "action resource". The list
 * is what lib/ does on each function's code path; a grant added or widened in the stack fails here.
 */
const items = (...actions: string[]) => actions.map((action) => `dynamodb:${action} table`);
/** API key items, apart: read the caller's and record its use; never put (no function can mint a key). */
const apiKeys = (...actions: string[]) => actions.map((action) => `dynamodb:${action} table (api keys)`);
const KEY_USE = apiKeys('GetItem', 'UpdateItem');
const QUERY_GSI1 = 'dynamodb:Query table/index/gsi1';
const QUERY_GSI2 = 'dynamodb:Query table/index/gsi2';
const QUERY_TABLE = 'dynamodb:Query table';
const LOGS = ['logs:CreateLogStream own-log-group', 'logs:PutLogEvents own-log-group'];
const sendTo = (...queues: string[]) => queues.map((queue) => `sqs:SendMessage queue:${queue}`);
const consume = (queue: string) =>
  ['ChangeMessageVisibility', 'DeleteMessage', 'GetQueueAttributes', 'GetQueueUrl', 'ReceiveMessage'].map(
    (action) => `sqs:${action} queue:${queue}`,
  );
/** Every function that calls MX makes and reads sessions: data keys of the session-tokens key, for that purpose only. */
const MX_SECRET = [
  'secretsmanager:GetSecretValue secret:mx-credentials',
  'kms:GenerateDataKey session-tokens-key for mx-session-token',
  'kms:Decrypt session-tokens-key for mx-session-token',
];
/** Webhook signing secrets open for their purpose only. */
const WEBHOOK_SECRET_OPEN = ['kms:Decrypt webhook-secrets-key for webhook-signing-secret'];
const MX_WEBHOOK_SECRET = 'secretsmanager:GetSecretValue secret:mx-webhook-credentials';
/** A function that calls MX's SSO API only (widget URLs, users) reads the credentials and makes no session. */
const MX_SSO_SECRET = MX_SECRET[0]!;
/** Keys the digests of user input and user ids (tombstones, idempotency records). */
const DIGEST_KEY = 'secretsmanager:GetSecretValue secret:digest-key';

/**
 * A function that calls MX runs in the VPC whose NAT addresses MX allow-lists: Lambda makes its network interfaces in
 * its two subnets behind its security group. EC2's Describe actions take no resource (the one `*` allowed).
 */
const EC2_DESCRIBE = ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'];
const IN_VPC = [
  ...EC2_DESCRIBE.map((action) => `${action} *`),
  'ec2:CreateNetworkInterface ec2:network-interface/*',
  'ec2:CreateNetworkInterface ec2:subnet',
  'ec2:CreateNetworkInterface ec2:subnet',
  'ec2:CreateNetworkInterface ec2:security-group',
  ...['DeleteNetworkInterface', 'AssignPrivateIpAddresses', 'UnassignPrivateIpAddresses'].map(
    (action) => `ec2:${action} ec2:network-interface/*`,
  ),
];

const EXPECTED: Record<FunctionName, string[]> = {
  // An erasure begins here (tombstone, record, first step queued); worker-poll deletes.
  'api-refresh': [
    ...IN_VPC,
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    ...sendTo('poll', 'delivery', 'member-reports', 'erasures'),
    ...MX_SECRET,
    DIGEST_KEY,
    ...KEY_USE,
  ],
  // Across users: the active-job pointers' shards and the days of jobs needing someone (table queries).
  // Across users, the dead letters waiting in each queue's DLQ (its attributes only: no message is read).
  'api-jobs': [
    ...items('GetItem', 'UpdateItem', 'BatchGetItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    QUERY_GSI2,
    ...QUEUE_NAMES.map((queue) => `sqs:GetQueueAttributes queue:${queue}-dlq`),
    DIGEST_KEY,
    ...KEY_USE,
  ],
  // The API key's last use; a user a widget URL is made for joins the reconcile (PutItem).
  'api-connect': [...IN_VPC, ...items('GetItem', 'PutItem', 'UpdateItem'), MX_SSO_SECRET, DIGEST_KEY, ...KEY_USE],
  // Sessions; transactions sync: its state, pointers and change log (batches), queried by the table's own key.
  'api-read': [
    ...IN_VPC,
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem'),
    QUERY_TABLE,
    ...MX_SECRET,
    // Seals and opens MX's answers to relayed writes, stored for their Idempotency-Key.
    'kms:GenerateDataKey session-tokens-key for mx-answer',
    'kms:Decrypt session-tokens-key for mx-answer',
    'secretsmanager:GetSecretValue secret:sync-cursor-key',
    DIGEST_KEY,
    ...KEY_USE,
  ],
  'api-webhooks': [
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    // Enabling a webhook sends what waits for it: its held deliveries and retries, from GSI2.
    QUERY_GSI2,
    ...sendTo('delivery'),
    // Seals new signing secrets (and opens them for test pings and idempotent replays).
    'kms:GenerateDataKey webhook-secrets-key for webhook-signing-secret',
    ...WEBHOOK_SECRET_OPEN,
    DIGEST_KEY,
    ...KEY_USE,
  ],
  'api-fallback': [],
  'api-docs': [],
  'worker-poll': [
    ...IN_VPC,
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem', 'BatchWriteItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    // The user MX's CONNECTION_STATUS names by its guid only.
    QUERY_GSI2,
    // Its four queues, each kind of MX-bound work apart; a message waiting for MX goes back to its own.
    ...MX_WORK_QUEUES.flatMap((queue) => [...consume(queue), ...sendTo(queue, `${queue}-dlq`)]),
    ...sendTo('delivery'),
    ...MX_SECRET,
    // An erasure's steps: the user's user.deleted id (keyed digest), its keys deleted one by one.
    DIGEST_KEY,
    ...apiKeys('DeleteItem'),
  ],
  'worker-deliver': [
    ...items('GetItem', 'UpdateItem', 'BatchGetItem'),
    QUERY_TABLE,
    // Closing a breaker sends what waits for the endpoint: its held deliveries and retries, from GSI2, each then read.
    QUERY_GSI2,
    ...consume('delivery'),
    ...consume('delivery-slow'),
    ...sendTo('delivery', 'delivery-dlq', 'delivery-slow', 'delivery-slow-dlq'),
    ...WEBHOOK_SECRET_OPEN,
  ],
  'events-refresh': [
    ...IN_VPC,
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    ...consume('refresh-requests'),
    ...sendTo('poll', 'delivery', 'refresh-requests', 'refresh-requests-dlq'),
    ...MX_SECRET,
    DIGEST_KEY,
  ],
  // The member's active pointers (a query of its shard), their jobs, the hour's push counter.
  'mx-events': [
    ...items('GetItem', 'PutItem', 'UpdateItem'),
    QUERY_TABLE,
    ...sendTo('poll', 'member-reports'),
    MX_WEBHOOK_SECRET,
  ],
  // Active-job pointers (table shards), webhooks and delivery logs (gsi1), due deliveries (gsi2); due keys and marks.
  sweeper: [
    ...items('GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchGetItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    QUERY_GSI2,
    ...sendTo('poll'),
    ...sendTo('delivery'),
  ],
  // The users due (gsi1), their schedule items, the push counters (a table query); inactive users taken off.
  'reconcile-dispatch': [
    ...items('GetItem', 'PutItem', 'UpdateItem', 'BatchGetItem'),
    QUERY_TABLE,
    QUERY_GSI1,
    ...sendTo('reconcile'),
  ],
};

/** In prod the table and the MX secret are encrypted with the stack's key, usable only through those services. */
const KMS_TABLE_READ = ['kms:Decrypt key via dynamodb', 'kms:DescribeKey key via dynamodb'];
const KMS_TABLE_WRITE = [...KMS_TABLE_READ, 'kms:Encrypt key via dynamodb', 'kms:GenerateDataKey key via dynamodb'];
const KMS_SECRET = 'kms:Decrypt key via secretsmanager';
const EXPECTED_KMS: Record<FunctionName, string[]> = {
  'api-refresh': [...KMS_TABLE_WRITE, KMS_SECRET],
  'api-jobs': [...KMS_TABLE_WRITE, KMS_SECRET],
  'api-connect': [...KMS_TABLE_WRITE, KMS_SECRET],
  'api-read': [...KMS_TABLE_WRITE, KMS_SECRET],
  'api-webhooks': [...KMS_TABLE_WRITE, KMS_SECRET],
  'api-fallback': [],
  'api-docs': [],
  'worker-poll': [...KMS_TABLE_WRITE, KMS_SECRET],
  'worker-deliver': KMS_TABLE_WRITE,
  'events-refresh': [...KMS_TABLE_WRITE, KMS_SECRET],
  'mx-events': [...KMS_TABLE_WRITE, KMS_SECRET],
  sweeper: KMS_TABLE_WRITE,
  'reconcile-dispatch': KMS_TABLE_WRITE,
};

/** Names a statement's resource as the lists above do: `table`, `table/index/gsi1`, `queue:poll`, … */
function labeller(env: EnvironmentName, name: FunctionName) {
  const { template } = synthesized(env);
  const label = (resource: unknown): string => {
    if (resource === '*') return '*';
    const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) {
      // An EC2 ARN (the network interfaces of a function in the VPC): its resource type, `/*` when any of them.
      const ec2 = /:ec2:.*:(network-interface|subnet|security-group)\/(\*)?/.exec(
        join[1].filter((part) => typeof part === 'string').join(''),
      );
      if (ec2) return `ec2:${ec2[1]}${ec2[2] ? '/*' : ''}`;
      return `${label(join[1][0])}${join[1].slice(1).join('')}`;
    }
    const target: CfnResource = resourceById(template, referencedId(resource)!);
    const props = target.Properties;
    switch (target.Type) {
      case 'AWS::DynamoDB::Table':
        return 'table';
      case 'AWS::SQS::Queue':
        return `queue:${String(props.QueueName).replace(`${resourceName(env)}-`, '')}`;
      case 'AWS::SecretsManager::Secret':
        return `secret:${String(props.Name).split('/').pop()}`;
      case 'AWS::Logs::LogGroup':
        return props.LogGroupName === `/aws/lambda/${resourceName(env, name)}`
          ? 'own-log-group'
          : `log-group:${props.LogGroupName}`;
      case 'AWS::KMS::Key':
        if (String(props.Description).includes('webhook signing secrets')) return 'webhook-secrets-key';
        return String(props.Description).includes('MX session tokens') ? 'session-tokens-key' : 'key';
      default:
        return target.Type;
    }
  };
  return label;
}

function statementsOf(env: EnvironmentName, name: FunctionName) {
  const { template } = synthesized(env);
  const fn = functionsByName(template, env).get(name)!;
  return statementsOfRole(template, referencedId(fn.properties.Role)!);
}

function permissionsOf(env: EnvironmentName, name: FunctionName): string[] {
  const label = labeller(env, name);
  return statementsOf(env, name).flatMap((statement) => {
    expect(statement.Effect).toBe('Allow');
    const via = statement.Condition?.StringEquals?.['kms:ViaService'];
    const purpose = statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose'];
    const leadingKeys = statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'];
    const suffix =
      typeof via === 'string'
        ? ` via ${via.split('.')[0]}`
        : typeof purpose === 'string'
          ? ` for ${purpose}`
          : JSON.stringify(leadingKeys) === JSON.stringify([PARTITIONS.apiKeys])
            ? ' (api keys)'
            : '';
    return asArray(statement.Action).flatMap((action) =>
      asArray(statement.Resource).map((resource) => `${action} ${label(resource)}${suffix}`),
    );
  });
}

describe('IAM', () => {
  describe.each(['dev', 'staging', 'prod'] as const)('in %s', (env) => {
    // The synth (half a minute on a busy machine) is set-up, not the first test's time.
    beforeAll(() => void synthesized(env), 120_000);

    it.each(Object.keys(EXPECTED) as FunctionName[])('%s holds exactly the permissions its code path uses', (name) => {
      const expected = [...LOGS, ...EXPECTED[name], ...(env === 'prod' ? EXPECTED_KMS[name] : [])];
      expect(permissionsOf(env, name).sort()).toEqual(expected.sort());
    });

    it.each(FUNCTION_NAMES)(
      "%s reads and writes table items only in its spec's partitions, API keys apart (dynamodb:LeadingKeys on each)",
      (name) => {
        const label = labeller(env, name);
        const onTable = statementsOf(env, name).filter((statement) =>
          asArray(statement.Resource).some((resource) => label(resource) === 'table'),
        );
        const { partitions, apiKeys = [] } = FUNCTION_SPECS[name];
        const apiKeyStatements =
          (apiKeys.some((a) => a !== 'dynamodb:UpdateItem') ? 1 : 0) + (apiKeys.includes('dynamodb:UpdateItem') ? 1 : 0);
        expect(onTable.length).toBe((partitions.length > 0 ? 1 : 0) + apiKeyStatements);
        const leadingKeys = (names: string[]) => ({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': names } });
        const lastUseOnly = {
          ...leadingKeys([PARTITIONS.apiKeys]),
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'last_used_at'] },
        };
        for (const statement of onTable) {
          expect([
            leadingKeys(partitions.map((p) => PARTITIONS[p])),
            leadingKeys([PARTITIONS.apiKeys]),
            lastUseOnly,
          ]).toContainEqual(statement.Condition);
          // An update of a key item writes its last use only: never a name or creation time, which make an item a key.
          if (JSON.stringify(statement.Condition) === JSON.stringify(lastUseOnly)) {
            expect(statement.Action).toBe('dynamodb:UpdateItem');
          }
        }
      },
    );

    it.each(FUNCTION_NAMES.filter((name) => FUNCTION_SPECS[name].callsMx !== true))(
      '%s (which makes no MX session) can read no session item: no table statement admits USER# partition keys',
      (name) => {
        const label = labeller(env, name);
        const session = keys.session('alice').pk;
        for (const statement of statementsOf(env, name)) {
          if (!asArray(statement.Resource).some((resource) => label(resource) === 'table')) continue;
          const patterns = asArray(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']) as string[];
          expect(patterns.length, JSON.stringify(statement)).toBeGreaterThan(0);
          expect(patterns.filter((pattern) => matchesPattern(session, pattern))).toEqual([]);
        }
      },
    );

    it("worker-deliver, which posts to the internet, writes no budget or key counter: only its subscriptions' pace", () => {
      const label = labeller(env, 'worker-deliver');
      const counters = [keys.rateWindow('mx-calls:mx-data', 0).pk, keys.rateWindow('key:abc', 0).pk];
      for (const statement of statementsOf(env, 'worker-deliver')) {
        if (!asArray(statement.Resource).some((resource) => label(resource) === 'table')) continue;
        const patterns = asArray(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']) as string[];
        expect(patterns.filter((pattern) => counters.some((pk) => matchesPattern(pk, pattern)))).toEqual([]);
        expect(patterns.some((pattern) => matchesPattern(keys.rateWindow('webhook:wh_1', 0).pk, pattern))).toBe(true);
      }
    });

    it.each(FUNCTION_NAMES)('%s cannot make an API key: no statement puts or batch-writes an APIKEY# item', (name) => {
      // (UpdateItem there is held to last_used_at: the test above.)
      const label = labeller(env, name);
      const apiKey = keys.apiKey('0'.repeat(64)).pk;
      for (const statement of statementsOf(env, name)) {
        if (!asArray(statement.Resource).some((resource) => label(resource) === 'table')) continue;
        const actions = asArray(statement.Action) as string[];
        if (!actions.includes('dynamodb:PutItem') && !actions.includes('dynamodb:BatchWriteItem')) continue;
        const patterns = asArray(statement.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']) as string[];
        expect(patterns.length, JSON.stringify(statement)).toBeGreaterThan(0);
        expect(patterns.filter((pattern) => matchesPattern(apiKey, pattern))).toEqual([]);
      }
    });

    it('allows no Resource "*" and no wildcard action', () => {
      const { template } = synthesized(env);
      for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          const actions = asArray(statement.Action) as string[];
          for (const action of actions) expect(action).not.toContain('*');
          if (actions.every((action) => EC2_DESCRIBE.includes(action))) continue;
          expect(asArray(statement.Resource)).not.toContain('*');
        }
      }
    });

    it('attaches no managed policy and no inline role policy', () => {
      const { template } = synthesized(env);
      for (const [, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
        expect(role.Properties.Policies).toBeUndefined();
      }
    });
  });
});
