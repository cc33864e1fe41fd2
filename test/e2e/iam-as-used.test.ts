import { AsyncLocalStorage } from 'node:async_hooks';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FUNCTION_SPECS, type FunctionName } from '../../infra/constructs/function-specs.ts';
import { httpFunctions, queueWorkers, scheduledFunctions } from '../../infra/local/handlers.ts';
import { lambdaContext } from '../../infra/local/lambda-context.ts';
import { type LocalStack, SIMULATOR_WEBHOOK_CREDENTIALS, startLocalStack } from '../../infra/local/local-stack.ts';
import type { QueueName } from '../../lib/queue/queue-names.ts';
import { createSqsClient } from '../../lib/aws/sqs-client.ts';
import { keys, PARTITIONS, type PartitionName } from '../../lib/store/table.ts';
import { createDocumentClient } from '../../lib/aws/dynamodb-client.ts';
import { generateApiKey } from '../../lib/api-keys.ts';
import { ApiKeysRepository } from '../../lib/store/api-keys-repo.ts';
import { WEBHOOK_CACHE_MS } from '../../lib/notify/webhook-cache.ts';
import { matchesPattern } from '../support/iam-patterns.ts';
import { simulatorControl } from '../support/simulator-control.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { catalogueGuid } from '../../sim/institutions.ts';

/**
 * What each function's IAM role allows (infra/constructs/function-specs.ts, the CDK stack's source) checked against
 * what the function does: the whole service runs in this process, each handler inside its own async context, and
 * every DynamoDB and SQS call is recorded under the function that made it — then driven like a client app and
 * MX would (webhooks, refreshes with MX pushing, jobs, deliveries and replays, reads, transactions sync, an
 * upstream refresh request, sweeps). dynalite and fauxqs enforce no IAM: without this, a call the deployed role
 * refuses is found in production. A call counts where it was made; functions share one process here, so a cache
 * one of them filled may spare another a call it would make in Lambda (this can miss a gap, never invent one).
 */
const DELIVERY_STALL_S = 10;
const running = new AsyncLocalStorage<FunctionName>();
const used = new Map<FunctionName, Set<string>>();
let stack: LocalStack;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let slowReceiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let sweep: () => Promise<unknown>;
let dispatchReconcile: () => Promise<unknown>;
const restores: (() => void)[] = [];

/** The permission a call needs, as FunctionSpec names it: an item action, a query target, or a queue send. */
function permissionOf(client: 'dynamodb' | 'sqs', command: string, input: Record<string, unknown>): string {
  if (client === 'sqs') {
    const url = String(input.QueueUrl);
    const queues = stack.engines.queueUrls as Record<QueueName, string>;
    const dlqs = stack.engines.deadLetterQueueUrls as Record<QueueName, string>;
    const role = (Object.keys(queues) as QueueName[]).find((name) => queues[name] === url);
    const deadLetters = (Object.keys(dlqs) as QueueName[]).find((name) => dlqs[name] === url);
    return `sqs:${command.replace(/Command$/, '')} ${role ?? (deadLetters ? `${deadLetters}-dlq` : url)}`;
  }
  const action = command
    .replace(/Command$/, '')
    .replace(/^(Get|Put|Update|Delete|BatchGet|BatchWrite)(Item)?$/, '$1Item')
    .replace(/^TransactWrite(Items)?$/, 'TransactWriteItems');
  if (action === 'Query') return `query ${input.IndexName ?? 'table'}`;
  return `dynamodb:${action}`;
}

type Item = Record<string, unknown>;

/**
 * The table partition keys a DynamoDB call touches (IAM's `dynamodb:LeadingKeys`), each named by the partition it is
 * in (lib/store/table.ts → PARTITIONS); a query of an index touches none (the role's rule is on the table's items).
 */
function partitionsOf(command: string, input: Record<string, unknown>): string[] {
  const tableKeys: string[] = [];
  const requests = (input.RequestItems ?? {}) as Record<string, unknown>;
  if (command.startsWith('BatchGet')) {
    for (const { Keys } of Object.values(requests) as { Keys: Item[] }[]) tableKeys.push(...Keys.map((key) => String(key.pk)));
  } else if (command.startsWith('BatchWrite')) {
    for (const writes of Object.values(requests) as { PutRequest?: { Item: Item }; DeleteRequest?: { Key: Item } }[][]) {
      for (const write of writes) tableKeys.push(String((write.PutRequest?.Item ?? write.DeleteRequest?.Key)!.pk));
    }
  } else if (command.startsWith('Query')) {
    if (input.IndexName !== undefined) return [];
    const [, attribute, value] = /^\s*(#?\w+)\s*=\s*(:\w+)/.exec(String(input.KeyConditionExpression))!;
    const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
    expect(names[attribute!] ?? attribute).toBe('pk');
    tableKeys.push(String((input.ExpressionAttributeValues as Item)[value!]));
  } else {
    tableKeys.push(String(((input.Key ?? input.Item) as Item).pk));
  }
  // Every partition whose pattern matches (a narrow one, `webhookPace`, lies inside a wide one, `rateWindows`).
  return tableKeys.map((value) => {
    const names = (Object.keys(PARTITIONS) as PartitionName[]).filter((partition) =>
      matchesPattern(value, PARTITIONS[partition]),
    );
    return `partition ${names.length > 0 ? names.join('|') : `(none matches ${value})`}`;
  });
}

function allowed(name: FunctionName, permission: string): boolean {
  const spec = FUNCTION_SPECS[name];
  if (permission.startsWith('api keys ')) return (spec.apiKeys as string[] | undefined)?.includes(permission.slice(9)) === true;
  if (permission.startsWith('partition ')) {
    return permission
      .slice('partition '.length)
      .split('|')
      .some((partition) => (spec.partitions as string[]).includes(partition));
  }
  if (permission.startsWith('query ')) return (spec.queries as string[]).includes(permission.slice(6));
  if (permission.startsWith('dynamodb:')) return (spec.itemActions as string[]).includes(permission);
  const [command, queue] = permission.split(' ');
  if (command === 'sqs:GetQueueAttributes') {
    return queue!.endsWith('-dlq') && (spec.countsDeadLetters ?? []).includes(queue!.slice(0, -4) as QueueName);
  }
  if (command !== 'sqs:SendMessage' && command !== 'sqs:SendMessageBatch') return false;
  if (queue!.endsWith('-dlq')) return (spec.deadLettersTo ?? []).includes(queue!.slice(0, -4) as QueueName);
  return (spec.sendsTo as string[]).includes(queue!);
}

function record(client: 'dynamodb' | 'sqs', prototype: { send: (...args: never[]) => Promise<unknown> }): void {
  const send = prototype.send;
  prototype.send = function (this: unknown, ...args: never[]) {
    const name = running.getStore();
    const command = args[0] as unknown as { constructor: { name: string }; input: Record<string, unknown> };
    if (name) {
      const permissions = used.get(name) ?? new Set<string>();
      permissions.add(permissionOf(client, command.constructor.name, command.input));
      if (client === 'dynamodb' && !/^(Create|Describe)Table/.test(command.constructor.name)) {
        const action = permissionOf(client, command.constructor.name, command.input);
        for (const partition of partitionsOf(command.constructor.name, command.input)) {
          // API key items apart: the action itself must be one the function may take on them (never a put).
          permissions.add(partition === 'partition apiKeys' ? `api keys ${action}` : partition);
        }
      }
      used.set(name, permissions);
    }
    return send.apply(this, args);
  };
  restores.push(() => void (prototype.send = send));
}

/** Runs every invocation of `handler` inside `name`'s context. */
const attributed =
  <E, R>(name: FunctionName, handler: (event: E, context: Context) => Promise<R>) =>
  (event: E, context: Context) =>
    running.run(name, () => handler(event, context));

async function api(method: string, path: string, body?: unknown, idempotencyKey?: string) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stack.apiKey}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? JSON.parse(text) : undefined;
}

const { sim, simMember: scriptedMember } = simulatorControl(() => stack.simulatorUrl);
const simMember = () => scriptedMember({ duration_ms: 1_000, final_status: 'CONNECTED' });

const terminalFor = (jobId: string) => (event: { type: string; data: { job: { id: string } } }) =>
  event.data.job?.id === jobId && event.type !== 'aggregation.started';

beforeAll(async () => {
  record('dynamodb', DynamoDBDocumentClient.prototype as never);
  record('dynamodb', DynamoDBClient.prototype as never);
  record('sqs', SQSClient.prototype as never);
  for (const name of Object.keys(httpFunctions) as (keyof typeof httpFunctions)[]) {
    const load = httpFunctions[name];
    httpFunctions[name] = async () => attributed(name, await load());
    restores.push(() => void (httpFunctions[name] = load));
  }
  for (const worker of Object.values(queueWorkers)) {
    const load = worker.load;
    worker.load = async (container) => attributed(worker.name as FunctionName, await load(container));
    restores.push(() => void (worker.load = load));
  }
  [receiver, slowReceiver] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
  stack = await startLocalStack({
    port: 0,
    simPort: 0,
    env: {
      DELIVERY_STALLED_AFTER_SECONDS: String(DELIVERY_STALL_S),
      POLL_STALLED_AFTER_SECONDS: '10',
      LOG_LEVEL: 'WARN',
      // On, as deployed stacks have it, and low enough (1 % of it is one request) that each HTTP function writes its
      // key's per-minute count from its first request; the drive makes far fewer than 100 a minute.
      API_KEY_REQUESTS_PER_MINUTE: '100',
    },
  });
  const sweeper = scheduledFunctions.find((scheduled) => scheduled.name === 'sweeper')!;
  const handler = attributed('sweeper', await sweeper.load());
  sweep = () => handler({}, lambdaContext('sweeper'));
  const dispatcher = scheduledFunctions.find((scheduled) => scheduled.name === 'reconcile-dispatch')!;
  const dispatch = attributed('reconcile-dispatch', await dispatcher.load());
  dispatchReconcile = () => dispatch({}, lambdaContext('reconcile-dispatch'));
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all([receiver?.close(), slowReceiver?.close()]);
  for (const restore of restores.reverse()) restore();
});

it('every DynamoDB and SQS call each function makes is one its IAM role allows (function-specs.ts)', async () => {
  // Webhooks (api-webhooks), MX pushing its webhooks to /mx/webhooks (mx-events).
  const { webhook: webhook } = await api('POST', '/webhooks', { url: receiver.url }, 'iam-subscribe');
  receiver.useSecret(webhook.secret);
  await api('GET', '/webhooks');
  await api('PATCH', `/webhooks/${webhook.id}`, { description: 'iam as used' });
  // Disabled and enabled again (api-webhooks): what was held for it is read from GSI2 and sent.
  await api('PATCH', `/webhooks/${webhook.id}`, { enabled: false });
  await api('POST', `/webhooks/${webhook.id}/enable`);
  // An endpoint that answers its first request late: that attempt moves to worker-deliver's slow lane. It sets a
  // rate of its own: each attempt takes a place in its second's counter.
  const slow = await api(
    'POST',
    '/webhooks',
    { url: slowReceiver.url, event_types: ['aggregation.*'], max_deliveries_per_second: 100 },
    'iam-slow',
  );
  slowReceiver.useSecret(slow.webhook.secret);
  slowReceiver.respondWith(async () => {
    if (slowReceiver.events.length === 1) await new Promise((resolve) => setTimeout(resolve, 3_000));
    return 204;
  });
  const { MX_WEBHOOK_USERNAME: username, MX_WEBHOOK_PASSWORD: password } = SIMULATOR_WEBHOOK_CREDENTIALS;
  await sim('POST', '/_sim/webhooks', { url: `${stack.url}/mx/webhooks`, username, password });

  // A new user's first widget URL (api-connect): the user made at MX, then the URL.
  await api('POST', '/users/iam-new-user/widget_urls', { widget_type: 'connect_widget', use_cases: ['PFM'] });
  // Its member created, updated and deleted (api-refresh), then the user erased (api-connect).
  const fields = await api('GET', `/users/iam-new-user/institutions/${catalogueGuid('mxbank')}/credentials`);
  const credentials = (fields.credentials as { guid: string }[]).map((credential) => ({ guid: credential.guid, value: 'x' }));
  const made = await api('POST', '/users/iam-new-user/members', {
    institution_guid: catalogueGuid('mxbank'),
    credentials,
    use_cases: ['PFM'],
  });
  await receiver.waitFor(terminalFor(made.job.id));
  // No use_cases: the member's own are read from MX first.
  await api('PUT', `/users/iam-new-user/members/${made.member.guid}`, { metadata: 'iam' });
  await api('DELETE', `/users/iam-new-user/members/${made.member.guid}`);
  // A key bound to the user, used once (its last use recorded), goes with the user's erasure.
  const bound = generateApiKey();
  const keysRepo = new ApiKeysRepository({ client: createDocumentClient(stack.engines), tableName: stack.engines.tableName });
  await keysRepo.put({ ...bound, name: 'iam-user', userId: 'iam-new-user', createdAt: new Date().toISOString() });
  const ownMembers = await fetch(`${stack.url}/users/iam-new-user/members`, {
    headers: { authorization: `Bearer ${bound.key}` },
  });
  expect(ownMembers.status).toBe(200);
  await api('DELETE', '/users/iam-new-user');
  // Its steps in worker-poll: the user at MX, then its data a step at a time, then user.deleted.
  await receiver.waitFor(
    (event) => event.type === 'user.deleted' && (event.data as { user_id?: string }).user_id === 'iam-new-user',
  );
  expect(await keysRepo.get(bound.hash)).toBeUndefined();

  // A user who syncs transactions (api-read), then a refresh (api-refresh → worker-poll → worker-deliver).
  const { userId, memberGuid } = await simMember();
  await api('GET', `/users/${userId}/members`);
  await api('GET', `/users/${userId}/accounts`);
  await api('GET', `/users/${userId}/transactions`);
  await api('GET', `/users/${userId}/transactions/sync`);
  const { job } = await api('POST', `/users/${userId}/members/${memberGuid}/refresh`, undefined, 'iam-refresh');
  await receiver.waitFor(terminalFor(job.id));

  // An MFA question answered (api-refresh: the member's latest job, then resume).
  const challenged = await scriptedMember({
    duration_ms: 500,
    final_status: 'CONNECTED',
    challenge: { label: 'Pet?', answer: 'Rex' },
  });
  const { job: mfaJob } = await api('POST', `/users/${challenged.userId}/members/${challenged.memberGuid}/refresh`);
  const [asked] = await receiver.waitFor(
    (event) => event.type === 'aggregation.action_required' && event.data.job?.id === mfaJob.id,
  );
  const asking = asked!.data.job as unknown as { challenges: { guid: string }[] };
  const challenges = asking.challenges.map((challenge) => ({ guid: challenge.guid, value: 'Rex' }));
  await api('PUT', `/users/${challenged.userId}/members/${challenged.memberGuid}/resume`, { challenges });
  await receiver.waitFor((event) => event.type === 'aggregation.succeeded' && event.data.job?.id === mfaJob.id);

  // Jobs (api-jobs), the delivery log and replays (api-webhooks).
  await api('GET', `/jobs/${job.id}`);
  await api('GET', `/users/${userId}/members/${memberGuid}/aggregation`);
  await api('GET', `/users/${userId}/jobs`);
  // The operator's overview across users: jobs (api-jobs), members needing their user (api-refresh), dead letters.
  await api('GET', '/jobs?state=attention');
  await api('GET', '/jobs?state=running');
  await api('GET', '/members?state=needs_user');
  await api('GET', '/queues');
  await api('GET', '/job_outcomes');
  const deliveries = await api('GET', `/webhooks/${webhook.id}/deliveries`);
  const replayed = deliveries.deliveries[0].msg_id as string;
  await api('POST', `/webhooks/${webhook.id}/deliveries/${replayed}/replay`);
  await api('POST', `/webhooks/${webhook.id}/test`);
  // An endpoint's breaker closing (worker-deliver): opened behind the functions' backs, it holds the next delivery
  // (held index); a replay then probes it, and the probe's success sends what waits (GSI2, then each delivery read).
  const table = createDocumentClient(stack.engines);
  const breaker = (until: number) =>
    table.send(
      new UpdateCommand({
        TableName: stack.engines.tableName,
        Key: keys.webhook(slow.webhook.id),
        UpdateExpression: 'SET failing_since = :past, breaker_open_until = :until, breaker_opens = :one',
        ExpressionAttributeValues: {
          ':past': new Date(Date.now() - 60_000).toISOString(),
          ':until': new Date(until).toISOString(),
          ':one': 1,
        },
      }),
    );
  await breaker(Date.now() + 10 * 60_000);
  await new Promise((resolve) => setTimeout(resolve, WEBHOOK_CACHE_MS + 1_000));
  const held = await simMember();
  await api('POST', `/users/${held.userId}/members/${held.memberGuid}/refresh`);
  await expect
    .poll(async () => (await api('GET', `/webhooks/${slow.webhook.id}/deliveries?status=pending_endpoint`)).deliveries.length, {
      timeout: 15_000,
    })
    .toBeGreaterThan(0);
  await breaker(Date.now() - 60_000);
  table.destroy();
  await new Promise((resolve) => setTimeout(resolve, WEBHOOK_CACHE_MS + 1_000));
  const slowDeliveries = await api('GET', `/webhooks/${slow.webhook.id}/deliveries`);
  await api('POST', `/webhooks/${slow.webhook.id}/deliveries/${slowDeliveries.deliveries.at(-1).msg_id}/replay`);
  await expect
    .poll(async () => (await api('GET', `/webhooks/${slow.webhook.id}`)).webhook.breaker, { timeout: 10_000 })
    .toBeUndefined();
  // The breaker's close read what waits for the endpoint from GSI2 (its log has shards).
  expect(used.get('worker-deliver')).toContain('query gsi2');
  await api('GET', '/openapi.json');
  await fetch(`${stack.url}/nowhere`);

  // An upstream system's refresh request (events-refresh).
  const upstream = await simMember();
  const sqs = createSqsClient(stack.engines);
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: stack.engines.queueUrls['refresh-requests'],
      MessageBody: JSON.stringify({
        user_id: upstream.userId,
        member_guid: upstream.memberGuid,
        idempotency_key: 'iam-upstream',
      }),
    }),
  );
  sqs.destroy();
  const [started] = await receiver.waitFor((event) => event.data.member?.guid === upstream.memberGuid);
  await receiver.waitFor(terminalFor(started!.data.job.id));

  expect(new Set(slowReceiver.events.map((event) => event.id)).size).toBeLessThan(slowReceiver.events.length);

  // Sweeps (sweeper) once the deliveries are a stall window old: pointers, jobs, delivery logs, marks, due keys.
  await new Promise((resolve) => setTimeout(resolve, (DELIVERY_STALL_S + 1) * 1000));
  await sweep();
  await sweep();
  // The reconcile's dispatcher (reconcile-dispatch): whether MX pushed lately, the users due in each shard.
  await dispatchReconcile();

  const violations = [...used].flatMap(([name, permissions]) =>
    [...permissions].filter((permission) => !allowed(name, permission)).map((permission) => `${name}: ${permission}`),
  );
  expect(violations).toEqual([]);
  // The drive reached every function that touches AWS (api-docs and api-fallback touch nothing).
  expect([...used.keys()].sort()).toEqual(
    (Object.keys(FUNCTION_SPECS) as FunctionName[]).filter((name) => name !== 'api-docs' && name !== 'api-fallback').sort(),
  );
}, 90_000);
