import { readStackFile, type StackFile, StackFileError, stackFilePath } from '../infra/local/stack-file.ts';
import type { QueueName } from '../lib/queue/queue-names.ts';
import { CliError } from './errors.ts';

/** The options every command accepts (defined on the program). */
export interface GlobalOptions {
  json?: boolean;
  url?: string;
  apiKey?: string;
  simUrl?: string;
  idempotencyKey?: string;
}

export const TARGET_ENV = { url: 'NEXUS_RELAY_URL', apiKey: 'NEXUS_RELAY_API_KEY', simUrl: 'NEXUS_RELAY_SIM_URL' } as const;

export interface ApiTarget {
  url: string;
  apiKey: string;
}

/** The work queues, by the name the CLI takes. */

/** A work queue and its dead-letter queue: the local stack's fauxqs, or (no endpoint) a deployed stack's. */
export interface QueueTarget {
  queue: QueueName;
  region?: string;
  endpoint?: string;
  /** Known from the stack file locally; deployed, resolved from `nexus-relay-<env>-<queue>` (GetQueueUrl). */
  queueUrl?: string;
  deadLetterQueueUrl?: string;
  queueName: string;
  deadLetterQueueName: string;
}

/** Where DynamoDB is: the local stack's dynalite, or (no endpoint) a deployed table reached with the default credential chain. */
export interface TableTarget {
  tableName: string;
  region?: string;
  endpoint?: string;
}

const START_HINT = 'start the local stack with `npm start`';

const noTarget = (detail: string) => new CliError({ title: 'No target', detail, code: 'no_target' });

/**
 * Resolves what a command talks to, each value on its own: flags, then environment (`NEXUS_RELAY_URL`,
 * `NEXUS_RELAY_API_KEY`, `NEXUS_RELAY_SIM_URL`), then the local stack's stack file. The stack file is read only
 * when needed, once. Its API key is used only for its own gateway, never sent to a URL given elsewhere.
 */
export class Targets {
  #stack: StackFile | undefined | null = null;

  constructor(
    private readonly options: GlobalOptions,
    private readonly env: Record<string, string | undefined>,
  ) {}

  /** The running local stack as its stack file describes it, if any. */
  stack(): StackFile | undefined {
    if (this.#stack === null) {
      try {
        this.#stack = readStackFile(stackFilePath(this.env));
      } catch (error) {
        if (!(error instanceof StackFileError)) throw error;
        throw new CliError({ title: 'Unreadable stack file', detail: error.message, code: 'no_target' }, { cause: error });
      }
    }
    return this.#stack;
  }

  /** The relay's URL (a deployed stack's `ApiUrl`, or the local gateway's), without a trailing slash. */
  url(): string {
    const given = this.options.url ?? nonEmpty(this.env[TARGET_ENV.url]);
    const url = given ?? this.stack()?.url;
    if (url === undefined) throw noTarget(`No nexus-relay to talk to: ${START_HINT}, or pass --url/--api-key.`);
    return url.replace(/\/+$/, '');
  }

  api(): ApiTarget {
    const given = this.options.url ?? nonEmpty(this.env[TARGET_ENV.url]);
    const stack = given === undefined || sameOrigin(given, this.stack()?.url) ? this.stack() : undefined;
    const url = this.url();
    const apiKey = this.options.apiKey ?? nonEmpty(this.env[TARGET_ENV.apiKey]) ?? stack?.apiKey;
    if (apiKey === undefined) {
      throw noTarget(`No API key for ${url}: pass --api-key or set ${TARGET_ENV.apiKey} (${START_HINT} for a local one).`);
    }
    return { url, apiKey };
  }

  simulator(): string {
    const url = this.options.simUrl ?? nonEmpty(this.env[TARGET_ENV.simUrl]) ?? this.stack()?.simulatorUrl ?? undefined;
    if (url === undefined) throw noTarget(`No MX simulator to talk to: ${START_HINT}, or pass --sim-url.`);
    return url.replace(/\/+$/, '');
  }

  /** `--env` (and `--region`) for a deployed stack's queues; otherwise the local stack's. */
  queue(queue: QueueName, options: { env?: string; region?: string }): QueueTarget {
    if (options.env !== undefined) {
      const name = `nexus-relay-${options.env}-${queue}`;
      return {
        queue,
        queueName: name,
        deadLetterQueueName: `${name}-dlq`,
        region: options.region ?? nonEmpty(this.env.AWS_REGION) ?? nonEmpty(this.env.AWS_DEFAULT_REGION),
      };
    }
    const stack = this.stack();
    if (!stack) throw noTarget(`No queues: ${START_HINT}, or pass --env ENV [--region R] for a deployed stack.`);
    const queueUrl = stack.queues.urls[queue];
    const deadLetterQueueUrl = stack.queues.deadLetterUrls[queue];
    return {
      queue,
      queueUrl,
      deadLetterQueueUrl,
      queueName: queueUrl.split('/').pop()!,
      deadLetterQueueName: deadLetterQueueUrl.split('/').pop()!,
      region: stack.queues.region,
      endpoint: stack.queues.endpoint,
    };
  }

  /** `--table` (and `--region`) for a deployed table; otherwise the local stack's. */
  table(options: { table?: string; region?: string }): TableTarget {
    if (options.table !== undefined) {
      return {
        tableName: options.table,
        region: options.region ?? nonEmpty(this.env.AWS_REGION) ?? nonEmpty(this.env.AWS_DEFAULT_REGION),
      };
    }
    const stack = this.stack();
    if (!stack) throw noTarget(`No table: ${START_HINT}, or pass --table NAME [--region R] for a deployed one.`);
    return { tableName: stack.dynamodb.tableName, region: stack.dynamodb.region, endpoint: stack.dynamodb.endpoint };
  }
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

function sameOrigin(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
