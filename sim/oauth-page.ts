import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody, splitTarget } from './http.ts';
import { newSecretToken } from './identifiers.ts';
import { type SimMember, setConnectionStatus, startAggregation } from './members.ts';
import type { SimulatorState } from './state.ts';
import { connectionStatusWebhook } from './webhook-payloads.ts';

/** How long a window URI can be opened (MX documents no lifetime; a widget URL's ten minutes). */
const WINDOW_LIFETIME_MS = 10 * 60_000;

export const isOAuthPageTarget = (target: string): boolean => target.startsWith('/_sim/oauth/');

/** A new one-time window URI for the member, on the host a request came to (`origin`). */
export function openOAuthWindow(
  state: SimulatorState,
  member: SimMember,
  origin: string,
  options: { skipAggregation: boolean; clientRedirectUrl?: string },
): string {
  const token = newSecretToken(32);
  state.oauthWindows.set(token, {
    memberGuid: member.guid,
    expiresAt: state.clock.now() + WINDOW_LIFETIME_MS,
    skipAggregation: options.skipAggregation,
    ...(options.clientRedirectUrl === undefined ? {} : { clientRedirectUrl: options.clientRedirectUrl }),
  });
  return `${origin}/_sim/oauth/${token}`;
}

/**
 * The bank's OAuth page, as an OAuth window URI opens it: `GET /_sim/oauth/{token}` shows the member's bank asking to
 * authorise, with two buttons; each posts `/_sim/oauth/{token}/authorize` or `…/deny`, which spends the token. On
 * authorize MX aggregates (unless the window said `skip_aggregation`, then the member reads CONNECTED); on deny the
 * member reads DENIED and MX pushes CONNECTION_STATUS. Then the browser goes to `client_redirect_url` when given
 * (`?status=success|error&member_guid=…`), else a page says it is done.
 */
export function createOAuthPage(state: SimulatorState) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = splitTarget(request.url ?? '/').path;
    const match = /^\/_sim\/oauth\/([A-Za-z0-9_-]{20,})(?:\/(authorize|deny))?$/.exec(path);
    const window = match ? state.oauthWindows.get(match[1]!) : undefined;
    const member = window && state.members.member(window.memberGuid);
    if (!match || !window || !member || window.expiresAt < state.clock.now()) {
      return send(
        response,
        410,
        page('OAuth window spent', '<p>This OAuth window was used or has expired: ask for a new one.</p>'),
      );
    }
    const [, token, decision] = match;
    if (!decision && request.method === 'GET') {
      const body = `<p><strong>${escape(member.name)}</strong> asks you to let MX read your accounts.</p>
<form method="post" action="/_sim/oauth/${token}/authorize"><button type="submit">Authorize</button></form>
<form method="post" action="/_sim/oauth/${token}/deny"><button type="submit" class="deny">Deny</button></form>`;
      return send(response, 200, page(`Sign in to ${escape(member.name)}`, body));
    }
    if (!decision || request.method !== 'POST') return send(response, 405, page('Not allowed', '<p>Use the buttons.</p>'));
    await readBody(request);
    state.oauthWindows.delete(token!);
    const now = state.clock.now();
    if (decision === 'authorize') {
      member.statusOverride = null;
      if (window.skipAggregation) setConnectionStatus(member, 'CONNECTED', now);
      else if (startAggregation(member, now, state.newGuid) === 'started') state.webhooks.runChanged(member);
    } else {
      setConnectionStatus(member, 'DENIED', now);
      state.webhooks.pushNow(member.guid, connectionStatusWebhook(member, 'DENIED'));
    }
    const status = decision === 'authorize' ? 'success' : 'error';
    if (window.clientRedirectUrl) {
      const target = new URL(window.clientRedirectUrl);
      target.searchParams.set('status', status);
      target.searchParams.set('member_guid', member.guid);
      response.writeHead(303, { location: target.toString(), 'cache-control': 'no-store' });
      return void response.end();
    }
    const said = decision === 'authorize' ? 'Authorized: MX is connecting your accounts.' : 'Denied: MX will not connect.';
    return send(
      response,
      200,
      page(decision === 'authorize' ? 'Authorized' : 'Denied', `<p>${said} You can close this window.</p>`),
    );
  };
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function send(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
  });
  response.end(html);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · OAuth (simulator)</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2433; }
  main { max-width: 26rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; } form { display: inline-block; margin-right: .5rem; }
  button { font: inherit; padding: .55rem .9rem; border-radius: 6px; border: 1px solid #2d5bd7; background: #2d5bd7; color: #fff; cursor: pointer; }
  button.deny { background: #fff; color: #b42318; border-color: #b42318; }
</style></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}
