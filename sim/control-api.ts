import { toIso } from './clock.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionStatusName } from './connection-statuses.ts';
import { DIALECT_CHOICES, parseDialect } from './dialect.ts';
import { faultsView, parseFaultRequest } from './faults.ts';
import { PayloadTooLargeError, parseJsonBody, readBody, sendJson, sendNoContent, splitTarget } from './http.ts';
import { InvalidInputError, requireJsonObject } from './input-validation.ts';
import { parseMemberSpec } from './member-spec.ts';
import { memberView } from './member-view.ts';
import { CATALOGUE, institutionView } from './institutions.ts';
import { type SimMember, setConnectionStatus } from './members.ts';
import { type Route, createRouter } from './router.ts';
import { parseSettings, settingsView } from './sim-settings.ts';
import { type SimulatorState, applySettings } from './state.ts';
import { userSummary } from './user-summary.ts';
import { END_USER_ACTIONABLE_STATUSES, connectionStatusWebhook, isEndUserActionable } from './webhook-payloads.ts';
import { parseWebhookTarget, webhookTargetView } from './webhook-target.ts';

type ControlReply = { status: 200 | 201; body: unknown } | { status: 204 };

type ControlHandler = (request: { params: Record<string, string>; body: unknown }) => ControlReply;

class ControlError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'ControlError';
    this.status = status;
  }
}

/** True for requests addressed to the control API rather than to MX. */
export const isControlTarget = (target: string): boolean => /^\/_sim(?:[/?]|$)/.test(target);

/** The statuses `POST /_sim/members/{guid}/connection_status` sets: the end-user-actionable ones, and CONNECTED to heal. */
export const SETTABLE_STATUSES: readonly ConnectionStatusName[] = ['CONNECTED', ...END_USER_ACTIONABLE_STATUSES];

function parseStatusChange(body: unknown): ConnectionStatusName {
  const status = requireJsonObject(body ?? {}, 'body').connection_status;
  if (!SETTABLE_STATUSES.includes(status as ConnectionStatusName)) {
    throw new InvalidInputError(`connection_status must be one of ${SETTABLE_STATUSES.join(', ')}`);
  }
  return status as ConnectionStatusName;
}

/** `/_sim/*`: set up members and faults, read counters. Never counted, never faulted. */
export function createControlApi(state: SimulatorState) {
  const memberOf = (guid: string | undefined): SimMember => {
    const member = state.members.member(guid ?? '');
    if (!member) throw new ControlError(404, `member ${guid} does not exist`);
    return member;
  };
  const memberReply = (member: SimMember): ControlReply => ({
    status: 200,
    body: { member: memberView(member, state.clock.now()) },
  });

  const routes: Route<ControlHandler>[] = [
    {
      methods: ['POST'],
      pattern: '/_sim/members',
      // 201 on re-scripting too: callers use one "put this member" call for both and check a single status.
      handler: ({ body }) => ({
        status: 201,
        body: { member: memberView(state.members.put(parseMemberSpec(body)), state.clock.now()) },
      }),
    },
    {
      methods: ['GET'],
      pattern: '/_sim/members/{member_guid}',
      handler: ({ params }) => memberReply(memberOf(params.member_guid)),
    },
    {
      // MX's own aggregation (background), now: not an MX-side call, so never counted.
      methods: ['POST'],
      pattern: '/_sim/members/{member_guid}/background_aggregation',
      handler: ({ params }) => {
        const member = memberOf(params.member_guid);
        switch (state.background.start(member)) {
          case 'already-running':
            throw new ControlError(409, `member ${member.guid} is being aggregated`);
          case 'not-aggregatable':
            throw new ControlError(409, `member ${member.guid} has use_cases without PFM: MX does not aggregate it`);
          case 'started':
            return memberReply(member);
        }
      },
    },
    {
      // MX changes the status outside any run; an end-user-actionable one is pushed as MX's CONNECTION_STATUS webhook.
      methods: ['POST'],
      pattern: '/_sim/members/{member_guid}/connection_status',
      handler: ({ params, body }) => {
        const member = memberOf(params.member_guid);
        const status = parseStatusChange(body);
        if (setConnectionStatus(member, status, state.clock.now()) === 'aggregating') {
          throw new ControlError(409, `member ${member.guid} is being aggregated`);
        }
        if (isEndUserActionable(status)) state.webhooks.pushNow(member.guid, connectionStatusWebhook(member, status));
        return memberReply(member);
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/users/{user_id}/transactions',
      handler: ({ params }) => {
        const user = state.members.user(params.user_id ?? '');
        if (!user) throw new ControlError(404, `user ${params.user_id} does not exist`);
        state.transactions.settle(state.clock.now());
        const transactions = state.transactions
          .transactionsOf(user)
          .map((transaction) => ({
            guid: transaction.guid,
            member_guid: transaction.memberGuid,
            updated_at: toIso(transaction.updatedAt),
          }))
          .sort((a, b) => a.guid.localeCompare(b.guid));
        return { status: 200, body: { transactions } };
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/users/{user_id}',
      handler: ({ params }) => {
        const user = state.members.user(params.user_id ?? '');
        if (!user) throw new ControlError(404, `user ${params.user_id} does not exist`);
        return { status: 200, body: userSummary(state, user) };
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/institutions',
      // Every bank the catalogue lists, whatever its name (MX's search needs a word of it).
      handler: () => ({ status: 200, body: { institutions: CATALOGUE.map(institutionView) } }),
    },
    {
      methods: ['GET'],
      pattern: '/_sim/stats',
      handler: () => ({ status: 200, body: state.stats.snapshot() }),
    },
    {
      methods: ['GET'],
      pattern: '/_sim/stats/members',
      handler: () => ({ status: 200, body: state.stats.memberSnapshot() }),
    },
    {
      methods: ['POST'],
      pattern: '/_sim/reset',
      handler: () => {
        state.stats.reset();
        return { status: 204 };
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/faults',
      handler: () => ({ status: 200, body: { faults: faultsView(state.faults) } }),
    },
    {
      methods: ['POST'],
      pattern: '/_sim/faults',
      handler: ({ body }) => {
        const { settings, expireSessions } = parseFaultRequest(body ?? {});
        state.faults = settings;
        if (expireSessions) state.sessions.expireAll();
        return { status: 200, body: { faults: faultsView(settings) } };
      },
    },
    {
      methods: ['POST'],
      pattern: '/_sim/dialect',
      handler: ({ body }) => {
        state.dialect = parseDialect(body, state.startDialect);
        return { status: 200, body: { dialect: state.dialect } };
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/dialect',
      handler: () => ({ status: 200, body: { dialect: state.dialect, choices: DIALECT_CHOICES } }),
    },
    {
      methods: ['POST'],
      pattern: '/_sim/settings',
      handler: ({ body }) => {
        applySettings(state, parseSettings(body, state.startSettings));
        return { status: 200, body: { settings: settingsView(state.settings) } };
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/settings',
      handler: () => ({ status: 200, body: { settings: settingsView(state.settings) } }),
    },
    {
      methods: ['POST'],
      pattern: '/_sim/webhooks',
      handler: ({ body }) => {
        state.webhooks.configure(parseWebhookTarget(body));
        return { status: 200, body: { webhooks: webhookTargetView(state.webhooks.target) } };
      },
    },
    {
      methods: ['GET'],
      pattern: '/_sim/webhooks',
      handler: () => ({
        status: 200,
        body: { webhooks: webhookTargetView(state.webhooks.target), attempts: state.webhooks.recentAttempts() },
      }),
    },
  ];
  const route = createRouter(routes);

  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    try {
      const match = route(request.method ?? 'GET', splitTarget(request.url ?? '/').path);
      if (match.kind === 'not-found') throw new ControlError(404, 'no such control endpoint');
      if (match.kind === 'method-not-allowed') throw new ControlError(405, `use ${match.route.methods.join(' or ')}`);

      const reply = match.route.handler({ params: match.params, body: jsonBody(await readBody(request)) });
      if (reply.status === 204) sendNoContent(response);
      else sendJson(response, reply.status, reply.body, 'application/json');
    } catch (error) {
      const status = controlErrorStatus(error);
      if (status === undefined) throw error;
      sendJson(response, status, { error: { message: (error as Error).message } }, 'application/json');
    }
  };
}

function jsonBody(body: Buffer): unknown {
  try {
    return parseJsonBody(body);
  } catch {
    throw new InvalidInputError('body must be valid JSON');
  }
}

function controlErrorStatus(error: unknown): number | undefined {
  if (error instanceof InvalidInputError) return 400;
  if (error instanceof ControlError) return error.status;
  if (error instanceof PayloadTooLargeError) return 413;
  return undefined;
}
