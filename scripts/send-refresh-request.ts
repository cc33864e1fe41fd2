import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DEFAULT_REFRESH_REQUEST_SOURCE, REFRESH_REQUESTED_DETAIL_TYPE } from '../infra/constructs/refresh-requests.ts';
import { readStackFile, type StackFile, stackFilePath } from '../infra/local/stack-file.ts';
import { createSqsClient } from '../lib/aws/sqs-client.ts';

const USAGE = `usage: npm run refresh-request -- --user <user_id> --member <MBR-…>
  [--key <idempotency_key>] [--correlation <correlation_id>] [--holdings true|false] [--transactions true|false]
  [--envelope]            send it wrapped as the EventBridge rule delivers it (default: the bare request)
  [--queue-url <url>]     default REFRESH_REQUESTS_QUEUE_URL, else the running \`npm start\` (its stack file)`;

export class UsageError extends Error {
  constructor(problem: string) {
    super(`${problem}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export interface RefreshRequestToSend {
  queueUrl: string;
  /** Set for a local queue (fauxqs): its port, on 127.0.0.1. */
  endpoint?: string;
  region: string;
  body: string;
}

/**
 * What to send, from the command line and the environment, else the running local stack (`stack`, read from its
 * stack file); throws UsageError when something is missing.
 */
export function refreshRequestToSend(
  args: string[],
  env: Record<string, string | undefined>,
  stack?: Pick<StackFile, 'queues'>,
): RefreshRequestToSend {
  const { values } = parseArguments(args);
  if (!values.user || !values.member) throw new UsageError('--user and --member are required');
  // An empty value counts as unset, as the configuration loader (lib/config.ts) has it.
  const given = values['queue-url'] || env.REFRESH_REQUESTS_QUEUE_URL || undefined;
  const queueUrl = given ?? stack?.queues.urls['refresh-requests'];
  if (!queueUrl) {
    throw new UsageError('no local stack is running (`npm start`): give --queue-url (or REFRESH_REQUESTS_QUEUE_URL)');
  }

  const request = {
    user_id: values.user,
    member_guid: values.member,
    ...flag('include_holdings', values.holdings),
    ...flag('include_transactions', values.transactions),
    ...(values.key === undefined ? {} : { idempotency_key: values.key }),
    ...(values.correlation === undefined ? {} : { correlation_id: values.correlation }),
  };
  const url = new URL(queueUrl);
  const isLocal = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname.endsWith('.localhost');
  const region = env.AWS_REGION ?? /^sqs\.([a-z0-9-]+)\./.exec(url.hostname)?.[1] ?? 'us-east-1';
  const fromStack = given === undefined ? stack?.queues : undefined;
  return {
    queueUrl,
    endpoint: env.AWS_ENDPOINT_URL_SQS ?? fromStack?.endpoint ?? (isLocal ? `http://127.0.0.1:${url.port}` : undefined),
    region: fromStack?.region ?? region,
    body: JSON.stringify(values.envelope ? eventBridgeEnvelope(request, region) : request),
  };
}

/** `--help` (or `-h`) anywhere: the usage, nothing sent. */
export const wantsHelp = (args: string[]): boolean => args.includes('--help') || args.includes('-h');

/** The options; an unknown one or a missing value is a UsageError with the usage (node:util's parseArgs, strict). */
function parseArguments(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        user: { type: 'string' },
        member: { type: 'string' },
        key: { type: 'string' },
        correlation: { type: 'string' },
        holdings: { type: 'string' },
        transactions: { type: 'string' },
        envelope: { type: 'boolean', default: false },
        'queue-url': { type: 'string' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function flag(name: string, value: string | undefined): Record<string, boolean> {
  if (value === undefined) return {};
  if (value !== 'true' && value !== 'false') throw new UsageError(`--${name.replace('include_', '')} must be true or false`);
  return { [name]: value === 'true' };
}

/** The shape EventBridge gives an SQS target: the event, with the request as `detail`. */
const eventBridgeEnvelope = (detail: object, region: string) => ({
  version: '0',
  id: crypto.randomUUID(),
  'detail-type': REFRESH_REQUESTED_DETAIL_TYPE,
  source: DEFAULT_REFRESH_REQUEST_SOURCE,
  account: '000000000000',
  time: new Date().toISOString(),
  region,
  resources: [],
  detail,
});

async function main(): Promise<void> {
  if (wantsHelp(process.argv.slice(2))) return void console.log(USAGE);
  const toSend = refreshRequestToSend(process.argv.slice(2), process.env, readStackFile(stackFilePath(process.env)));
  const sqs = createSqsClient({ region: toSend.region, sqsEndpoint: toSend.endpoint });
  try {
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: toSend.queueUrl, MessageBody: toSend.body }));
    console.log(`sent to ${toSend.queueUrl} (message id ${sent.MessageId}):\n${toSend.body}`);
  } finally {
    sqs.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
