import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { problemErrorOf } from './errors.ts';
import { waitForJob, type WaitOptions } from './wait-for-job.ts';
import { cursorPages, mxPages, PagedList } from './paging.ts';
import { syncTransactions, type SyncLoopPage } from './transactions-sync.ts';
import { createTransport, abortableSleep, type Fetch, type RetryOptions, type Sleep } from './transport.ts';
import type {
  Delivery,
  DeliveryQuery,
  CallerKey,
  Job,
  MemberCreate,
  MemberNeedingUser,
  MemberUpdate,
  MemberWritten,
  MxBody,
  MxRecord,
  OutcomeHour,
  paths,
  QueueState,
  OAuthWindow,
  OAuthWindowRequest,
  PremiumJobQuery,
  RefreshQuery,
  ReplayRange,
  ReplayResult,
  ResumeAnswers,
  Webhook,
  WebhookCreate,
  WebhookTest,
  WebhookUpdate,
  WebhookWithSecret,
  WidgetUrl,
  WidgetUrlRequest,
} from './types.ts';

export interface RelayClientOptions {
  /** The relay's base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/prod` or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** An API key (`nxr_…`): sent as `Authorization: Bearer`. */
  apiKey: string;
  /** Sends one request (default `globalThis.fetch`). */
  fetch?: Fetch;
  /** Per attempt, in milliseconds (default 30 000). */
  timeoutMs?: number;
  /** Retries of 429/503 and of unanswered requests, for requests safe to repeat (default 3 attempts); false = none. */
  retry?: RetryOptions | false;
  /** Makes the `Idempotency-Key` of a POST or PUT that was not given one (default `crypto.randomUUID()`). */
  idempotencyKey?: () => string;
  /** Sent with every request (a `user-agent` where the runtime allows it, say). */
  headers?: Record<string, string>;
  /** The clock the client waits on (tests inject one). */
  sleep?: Sleep;
  now?: () => number;
}

/** Per call: an `Idempotency-Key` of your own (so a retry after a crash is recognised), an abort signal. */
export interface CallOptions {
  idempotencyKey?: string;
  signal?: AbortSignal;
}

type Params<P extends keyof paths> = paths[P] extends { get: { parameters: infer Parameters } } ? Parameters : never;
type PathParams<P extends keyof paths> = Params<P> extends { path: infer Path } ? Path : never;
type QueryParams<P extends keyof paths> = Params<P> extends { query?: infer Query } ? NonNullable<Query> : never;
type GetBody<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer Body } } } };
}
  ? Body
  : never;

/** Every read the relay passes through to MX (the answer is MX's body). */
export type ReadPath = {
  [P in keyof paths]: [GetBody<P>] extends [never] ? never : MxBody extends GetBody<P> ? P : never;
}[keyof paths];
/** The reads that are MX lists (numbered pages). */
export type ListPath = { [P in ReadPath]: 'page' extends keyof QueryParams<P> ? P : never }[ReadPath];
export type ReadParams<P extends ReadPath> = { path: PathParams<P>; query?: QueryParams<P> };
export type ListParams<P extends ListPath> = { path: PathParams<P>; query?: Omit<QueryParams<P>, 'page'> };

type WriteMethod = 'post' | 'put' | 'delete';
type Operation<M extends WriteMethod, P extends keyof paths> = paths[P] extends { [K in M]: infer O } ? O : never;
/** Every write the relay passes through to MX with this method (the answer is MX's body, or none). */
export type WritePath<M extends WriteMethod> = {
  [P in keyof paths]: Operation<M, P> extends { responses: { 200: { content: { 'application/json': infer Body } } } }
    ? MxBody extends Body
      ? P
      : never
    : never;
}[keyof paths];
export type WriteParams<M extends WriteMethod, P extends keyof paths> = {
  path: Operation<M, P> extends { parameters: { path: infer Path } } ? Path : never;
} & (Operation<M, P> extends { requestBody?: { content: { 'application/json': infer Body } } }
  ? { body: Body }
  : { body?: never });

type UserList = { user_id: string; records_per_page?: number };
/** A DELETE carries one too: the relay's DELETEs of MX data answer a repeat as they answered the first. */
const IDEMPOTENT_BY_KEY = new Set(['POST', 'PUT', 'DELETE']);

/**
 * A typed client of the nexus-relay API. Calls answer the response body or throw a typed error
 * (`RelayProblemError` and its subclasses, `RelayNetworkError`); lists are async-iterable across pages; `raw` is the
 * generated client for anything else, with the same auth, keys, retries and errors.
 */
export class RelayClient {
  readonly raw: Client<paths>;
  readonly baseUrl: string;
  private readonly sleep: Sleep;
  private readonly now: () => number;
  private readonly makeKey: () => string;

  constructor(options: RelayClientOptions) {
    // Said here, not as the relay's 401 "unknown or revoked" at the first call (an unset environment variable, say).
    if (typeof options.baseUrl !== 'string' || options.baseUrl.trim() === '') {
      throw new TypeError("createRelayClient: baseUrl is missing (the relay's URL, e.g. http://127.0.0.1:3000)");
    }
    if (typeof options.apiKey !== 'string' || options.apiKey.trim() === '') {
      throw new TypeError('createRelayClient: apiKey is missing (an API key, nxr_…: is its environment variable set?)');
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.sleep = options.sleep ?? abortableSleep;
    this.now = options.now ?? Date.now;
    const transport = createTransport({
      fetch: options.fetch,
      timeoutMs: options.timeoutMs,
      retry: options.retry,
      sleep: this.sleep,
      now: this.now,
    });
    this.raw = createClient<paths>({
      baseUrl: this.baseUrl,
      fetch: transport,
      headers: {
        ...options.headers,
        authorization: `Bearer ${options.apiKey}`,
        accept: 'application/json, application/problem+json',
      },
    });
    this.makeKey = options.idempotencyKey ?? (() => globalThis.crypto.randomUUID());
    this.raw.use(idempotencyKeys(this.makeKey), typedErrors);
  }

  // ---- connecting

  readonly users = {
    /**
     * A single-use MX widget URL for the user (Connect: `{ widget_type: 'connect_widget', use_cases: ['PFM'] }`); MX makes
     * the user first when it does not know it. Load it at once: it works once, for ten minutes.
     */
    widgetUrl: async (userId: string, body: WidgetUrlRequest, options: CallOptions = {}): Promise<WidgetUrl> =>
      (
        await dataOf(
          this.raw.POST('/users/{user_id}/widget_urls', { params: { path: { user_id: userId } }, body, ...init(options) }),
        )
      ).widget_url,
    /**
     * Erase the user (a request to be forgotten): refused at once (202), then deleted at MX with its members and
     * everything the relay holds of it in the background; `user.deleted` says when it has ended. Safe to repeat.
     */
    delete: async (userId: string, options: CallOptions = {}): Promise<void> => {
      await dataOf(this.raw.DELETE('/users/{user_id}', { params: { path: { user_id: userId } }, ...init(options) }));
    },
  };

  // ---- refresh and jobs

  readonly members = {
    /** Refresh (aggregate) a member; answers the tracking job (the running one, if a refresh already runs). */
    refresh: async (params: { user_id: string; member_guid: string } & RefreshQuery, options: CallOptions = {}): Promise<Job> => {
      const { user_id, member_guid, ...query } = params;
      const call = this.raw.POST('/users/{user_id}/members/{member_guid}/refresh', {
        params: { path: { user_id, member_guid }, query },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /**
     * Verify a member: MX gathers its accounts' account and routing numbers (read them with `accountNumbers` once the
     * job succeeds). Answers the tracking job; `waitForJob` follows it like any other.
     */
    verify: async (
      params: { user_id: string; member_guid: string } & PremiumJobQuery,
      options: CallOptions = {},
    ): Promise<Job> => {
      const { user_id, member_guid, ...query } = params;
      const call = this.raw.POST('/users/{user_id}/members/{member_guid}/verify', {
        params: { path: { user_id, member_guid }, query },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /** Identify a member: MX gathers its accounts' owners (read them with `accountOwners` once the job succeeds). */
    identify: async (
      params: { user_id: string; member_guid: string } & PremiumJobQuery,
      options: CallOptions = {},
    ): Promise<Job> => {
      const { user_id, member_guid, ...query } = params;
      const call = this.raw.POST('/users/{user_id}/members/{member_guid}/identify', {
        params: { path: { user_id, member_guid }, query },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /** Extend a member's transaction history (MX: up to 24 months; the member needs PFM). */
    extendHistory: async (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<Job> => {
      const call = this.raw.POST('/users/{user_id}/members/{member_guid}/extend_history', {
        params: { path: params },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /** Check a member's balances (MX: balances only, no transactions): the job ends `balance.*`; read them with the accounts. */
    checkBalance: async (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<Job> => {
      const call = this.raw.POST('/users/{user_id}/members/{member_guid}/check_balance', {
        params: { path: params },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /** A verified member's account and routing numbers, as MX answers them: keep them out of logs and storage. */
    accountNumbers: (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<MxBody> =>
      this.read('/users/{user_id}/members/{member_guid}/account_numbers', { path: params }, options),
    /** An identified member's account owners, as MX answers them: keep them out of logs and storage. */
    accountOwners: (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<MxBody> =>
      this.read('/users/{user_id}/members/{member_guid}/account_owners', { path: params }, options),
    /**
     * A one-time URL where the user authorises an OAuth member at the bank (a new one, created with `is_oauth`, or
     * to re-authorise). Open it once, in the user's browser; it is a credential: keep it out of logs and storage.
     */
    oauthWindow: async (
      params: { user_id: string; member_guid: string },
      body: OAuthWindowRequest = {},
      options: CallOptions = {},
    ): Promise<OAuthWindow> => {
      const call = this.raw.POST('/users/{user_id}/members/{member_guid}/oauth_window', {
        params: { path: params },
        body,
        ...init(options),
      });
      return (await dataOf(call)).oauth_window;
    },
    /** Answer MX's MFA challenges (`job.challenges`); tracking resumes on the same job. */
    resume: async (
      params: { user_id: string; member_guid: string; challenges: ResumeAnswers },
      options: CallOptions = {},
    ): Promise<Job> => {
      const call = this.raw.PUT('/users/{user_id}/members/{member_guid}/resume', {
        params: { path: { user_id: params.user_id, member_guid: params.member_guid } },
        body: { challenges: params.challenges },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /** The member's latest job of the last 30 days, of any kind. */
    aggregation: async (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<Job> => {
      const call = this.raw.GET('/users/{user_id}/members/{member_guid}/aggregation', {
        params: { path: params },
        ...init(options),
      });
      return (await dataOf(call)).job;
    },
    /** Create a member at MX with the user's credentials; the aggregation MX starts comes back as `job`. */
    create: async (userId: string, body: MemberCreate, options: CallOptions = {}): Promise<MemberWritten> =>
      dataOf(this.raw.POST('/users/{user_id}/members', { params: { path: { user_id: userId } }, body, ...init(options) })),
    /** Update a member (new credentials start an aggregation, answered as `job`). */
    update: async (
      params: { user_id: string; member_guid: string },
      body: MemberUpdate,
      options: CallOptions = {},
    ): Promise<MemberWritten> =>
      dataOf(this.raw.PUT('/users/{user_id}/members/{member_guid}', { params: { path: params }, body, ...init(options) })),
    /** Delete a member at MX; its running job ends `failed` and `member.deleted` is sent. */
    delete: async (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<void> => {
      await dataOf(this.raw.DELETE('/users/{user_id}/members/{member_guid}', { params: { path: params }, ...init(options) }));
    },
    list: (params: UserList): PagedList<MxRecord> => this.list('/users/{user_id}/members', userList(params)),
    get: (params: { user_id: string; member_guid: string }, options: CallOptions = {}): Promise<MxBody> =>
      this.read('/users/{user_id}/members/{member_guid}', { path: params }, options),
    /**
     * Members across users (a server key) whose connection status, as the relay last recorded it, needs their user:
     * newest first, each with the widget request that lets the user act. One page of at most `limit` (default 50).
     */
    needingUser: async (params: { limit?: number } = {}, options: CallOptions = {}): Promise<MemberNeedingUser[]> => {
      const call = this.raw.GET('/members', {
        params: { query: { state: 'needs_user', limit: params.limit } },
        ...init(options),
      });
      return (await dataOf(call)).members;
    },
  };

  readonly jobs = {
    get: async (jobId: string, options: CallOptions = {}): Promise<Job> => {
      const call = this.raw.GET('/jobs/{job_id}', { params: { path: { job_id: jobId } }, ...init(options) });
      return (await dataOf(call)).job;
    },
    /** The user's jobs, newest first (from `cursor`, a page's `next_cursor`, or the newest). */
    list: (params: { user_id: string; limit?: number; cursor?: string }, options: CallOptions = {}): PagedList<Job> =>
      new PagedList(() =>
        cursorPages(async (cursor) => {
          const call = this.raw.GET('/users/{user_id}/jobs', {
            params: { path: { user_id: params.user_id }, query: { limit: params.limit, cursor } },
            ...init(options),
          });
          const page = await dataOf(call);
          return { items: page.jobs, ...cursorOf(page) };
        }, params.cursor),
      ),
    /**
     * Jobs across users (a server key): `running` — aggregating now; `attention` — ended failed, timed_out or
     * action_required and still so, over the last 30 days. One page of at most `limit` (default 50).
     */
    acrossUsers: async (
      params: { state: 'running' | 'attention'; limit?: number },
      options: CallOptions = {},
    ): Promise<Job[]> => {
      const call = this.raw.GET('/jobs', { params: { query: { state: params.state, limit: params.limit } }, ...init(options) });
      return (await dataOf(call)).jobs;
    },
    /** How many jobs ended in each outcome, per hour across users, the last `hours` (default 24) oldest first (a server key). */
    outcomes: async (params: { hours?: number } = {}, options: CallOptions = {}): Promise<OutcomeHour[]> => {
      const call = this.raw.GET('/job_outcomes', { params: { query: { hours: params.hours } }, ...init(options) });
      return (await dataOf(call)).hours;
    },
  };

  readonly apiKeys = {
    /**
     * The key making the call: its name, and the user it is bound to (`user_id`, null for a server key).
     *
     * @example
     * const { user_id } = await relay.apiKeys.current(); // null: a server key
     */
    current: async (options: CallOptions = {}): Promise<CallerKey> =>
      (await dataOf(this.raw.GET('/api_keys/current', init(options)))).api_key,
  };

  readonly queues = {
    /**
     * The relay's work queues with the dead letters waiting in each (a server key): what failed for good, read and
     * moved back with the CLI's `dlq list|show|redrive`.
     */
    list: async (options: CallOptions = {}): Promise<QueueState[]> =>
      (await dataOf(this.raw.GET('/queues', init(options)))).queues,
  };

  /**
   * Follows a job until it ends (any status but `aggregating`, or `until` says so), checking with a growing
   * interval; answers the job as last read. `action_required` ends the wait: answer with `members.resume`.
   * Given the job a call just answered (not only its id), it waits before the first check.
   */
  waitForJob(job: string | Job, options: WaitOptions = {}): Promise<Job> {
    return waitForJob((id, signal) => this.jobs.get(id, { signal }), job, {
      sleep: this.sleep,
      now: this.now,
      ...options,
    });
  }

  // ---- reads (MX's bodies, passed through)

  readonly accounts = {
    list: (params: UserList): PagedList<MxRecord> => this.list('/users/{user_id}/accounts', userList(params)),
    /** One verified account's account and routing numbers, as MX answers them: keep them out of logs and storage. */
    accountNumber: (params: { user_id: string; account_guid: string }, options: CallOptions = {}): Promise<MxBody> =>
      this.read('/users/{user_id}/accounts/{account_guid}/account_number', { path: params }, options),
  };

  readonly transactions = {
    list: (params: UserList): PagedList<MxRecord> => this.list('/users/{user_id}/transactions', userList(params)),
    /**
     * What changed in the user's transactions since `cursor`, page by page until caught up. Store each page's
     * `next_cursor` after applying the page. A page with `reset: true` starts over (the cursor had expired):
     * every current transaction comes again as added.
     */
    sync: (
      params: { user_id: string; cursor?: string; count?: number },
      options: CallOptions = {},
    ): AsyncGenerator<SyncLoopPage> =>
      syncTransactions(
        async (cursor) =>
          dataOf(
            this.raw.GET('/users/{user_id}/transactions/sync', {
              params: { path: { user_id: params.user_id }, query: { cursor, count: params.count } },
              ...init(options),
            }),
          ),
        params.cursor,
      ),
  };

  readonly beats = {
    list: (params: UserList): PagedList<MxRecord> => this.list('/users/{user_id}/beats', userList(params)),
  };

  /** Any read the relay passes through to MX: its body as MX answered it. */
  async read<P extends ReadPath>(path: P, params: ReadParams<P>, options: CallOptions = {}): Promise<MxBody> {
    return dataOf(this.getMx(path, { params, ...init(options) }));
  }

  /**
   * Any write the relay passes through to MX (lib/nexus): MX's body, or undefined when MX answered none. Each carries
   * an `Idempotency-Key`, so a retry after a lost answer changes nothing twice.
   *
   * @example
   * await relay.write('post', '/users/{user_id}/categories', {
   *   path: { user_id: 'u-1' },
   *   body: { category: { name: 'Rover', parent_guid: 'CAT-…' } },
   * });
   */
  async write<M extends WriteMethod, P extends WritePath<M>>(
    method: M,
    path: P,
    params: WriteParams<M, P>,
    options: CallOptions = {},
  ): Promise<MxBody | undefined> {
    const send = this.raw[method.toUpperCase() as 'POST'] as unknown as (
      path: string,
      request: object,
    ) => Promise<Answer<MxBody>>;
    const { body, ...rest } = params as { path: object; body?: unknown };
    return dataOf(send(path, { params: rest, ...(body === undefined ? {} : { body }), ...init(options) }));
  }

  /** Any MX list the relay passes through, across its numbered pages. */
  list<P extends ListPath>(path: P, params: ListParams<P>, options: CallOptions = {}): PagedList<MxRecord> {
    return new PagedList(() =>
      mxPages((page) =>
        dataOf(this.getMx(path, { params: { path: params.path, query: { ...params.query, page } }, ...init(options) })),
      ),
    );
  }

  /**
   * A GET of any read route. openapi-fetch types each call by one literal path; `read` and `list` take any of the
   * read paths (typed by their own signatures), so the call itself goes through this untyped view of `raw.GET`.
   */
  private getMx(path: string, request: object): Promise<Answer<MxBody>> {
    return (this.raw.GET as unknown as (path: string, request: object) => Promise<Answer<MxBody>>)(path, request);
  }

  // ---- webhooks and deliveries

  readonly webhooks = {
    /** Subscribe an endpoint; the answer carries the signing `secret`, shown this once. */
    create: async (body: WebhookCreate, options: CallOptions = {}): Promise<WebhookWithSecret> =>
      (await dataOf(this.raw.POST('/webhooks', { body, ...init(options) }))).webhook,
    list: async (options: CallOptions = {}): Promise<Webhook[]> =>
      (await dataOf(this.raw.GET('/webhooks', init(options)))).webhooks,
    get: async (webhookId: string, options: CallOptions = {}): Promise<Webhook> =>
      (await dataOf(this.raw.GET('/webhooks/{webhook_id}', { params: path(webhookId), ...init(options) }))).webhook,
    update: async (webhookId: string, body: WebhookUpdate, options: CallOptions = {}): Promise<Webhook> =>
      (await dataOf(this.raw.PATCH('/webhooks/{webhook_id}', { params: path(webhookId), body, ...init(options) }))).webhook,
    delete: async (webhookId: string, options: CallOptions = {}): Promise<void> => {
      await dataOf(this.raw.DELETE('/webhooks/{webhook_id}', { params: path(webhookId), ...init(options) }));
    },
    /** A new secret; the old one keeps signing alongside it for 24 hours. */
    rotateSecret: async (webhookId: string, options: CallOptions = {}): Promise<WebhookWithSecret> =>
      (await dataOf(this.raw.POST('/webhooks/{webhook_id}/rotate-secret', { params: path(webhookId), ...init(options) })))
        .webhook,
    /** Enable a disabled webhook; deliveries held for it resume. */
    enable: async (webhookId: string, options: CallOptions = {}) =>
      dataOf(this.raw.POST('/webhooks/{webhook_id}/enable', { params: path(webhookId), ...init(options) })),
    /** Send a `webhook.test` event now and answer how the endpoint took it. */
    test: async (webhookId: string, options: CallOptions = {}): Promise<WebhookTest> =>
      (await dataOf(this.raw.POST('/webhooks/{webhook_id}/test', { params: path(webhookId), ...init(options) }))).test,
    /** The webhook's delivery log, newest first, with every attempt (filters: status, since, until). */
    deliveries: (webhookId: string, query: DeliveryQuery = {}, options: CallOptions = {}) =>
      new PagedList<Delivery>(() =>
        cursorPages(async (cursor) => {
          const call = this.raw.GET('/webhooks/{webhook_id}/deliveries', {
            params: { path: { webhook_id: webhookId }, query: { ...query, cursor } },
            ...init(options),
          });
          const page = await dataOf(call);
          return { items: page.deliveries, ...cursorOf(page) };
        }, query.cursor),
      ),
    /** Send one delivery again, with its original `webhook-id`. */
    replay: async (webhookId: string, msgId: string, options: CallOptions = {}): Promise<Delivery> => {
      const call = this.raw.POST('/webhooks/{webhook_id}/deliveries/{msg_id}/replay', {
        params: { path: { webhook_id: webhookId, msg_id: msgId } },
        ...init(options),
      });
      return (await dataOf(call)).delivery;
    },
    /**
     * Send again every delivery created in [since, until), page after page; answers the totals. Page n carries
     * the `Idempotency-Key` `<key>:<n>`, so repeating the whole call with the same key replays nothing twice.
     */
    replayRange: async (
      webhookId: string,
      range: Omit<ReplayRange, 'cursor'>,
      options: CallOptions = {},
    ): Promise<Omit<ReplayResult, 'next_cursor'>> => {
      const totals = { replayed: 0, skipped: 0 };
      const baseKey = options.idempotencyKey ?? this.makeKey();
      let cursor: string | undefined;
      let page = 0;
      do {
        const key = `${baseKey}:${page++}`;
        const call = this.raw.POST('/webhooks/{webhook_id}/replay', {
          params: path(webhookId),
          body: { ...range, ...(cursor === undefined ? {} : { cursor }) },
          ...init({ ...options, idempotencyKey: key }),
        });
        const result = await dataOf(call);
        totals.replayed += result.replayed;
        totals.skipped += result.skipped;
        cursor = result.next_cursor;
      } while (cursor !== undefined);
      return totals;
    },
  };
}

export const createRelayClient = (options: RelayClientOptions): RelayClient => new RelayClient(options);

type Answer<Data> = { data?: Data; error?: unknown; response: Response };

/** The body of a 2xx answer (errors were thrown by the `typedErrors` middleware before this). */
async function dataOf<Data>(call: Promise<Answer<Data>>): Promise<Data> {
  const { data } = await call;
  return data as Data;
}

const cursorOf = (page: { next_cursor?: string }) => (page.next_cursor === undefined ? {} : { next_cursor: page.next_cursor });
const path = (webhookId: string) => ({ path: { webhook_id: webhookId } });
const userList = ({ user_id, ...query }: UserList) => ({ path: { user_id }, query });

function init(options: CallOptions) {
  return {
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.idempotencyKey === undefined ? {} : { headers: { 'idempotency-key': options.idempotencyKey } }),
  };
}

/** Every POST, PUT and DELETE carries an `Idempotency-Key`: the caller's, else a new one, the same on every retry. */
const idempotencyKeys = (makeKey: () => string): Middleware => ({
  onRequest: ({ request }) => {
    if (!IDEMPOTENT_BY_KEY.has(request.method) || request.headers.has('idempotency-key')) return undefined;
    request.headers.set('idempotency-key', makeKey());
    return request;
  },
});

/** A non-2xx answer becomes a typed error carrying the problem document and the request id. */
const typedErrors: Middleware = {
  onResponse: async ({ response }) => {
    if (response.ok) return undefined;
    throw problemErrorOf(response.status, await response.text(), response.headers.get('x-request-id') ?? undefined);
  },
};
