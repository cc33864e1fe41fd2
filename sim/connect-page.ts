import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonBody, readBody, sendJson, splitTarget } from './http.ts';
import { newSecretToken } from './identifiers.ts';
import { isJsonObject } from './input-validation.ts';
import { CATALOGUE } from './institutions.ts';
import { createMember } from './member-routes.ts';
import { MxError } from './mx-errors.ts';
import type { SimulatorState } from './state.ts';

/** A Connect page stays usable this long after it opened (MX's widget sessions are longer; a test needs minutes). */
const PAGE_LIFETIME_MS = 30 * 60_000;

/** True for the Connect page and what its form posts: `/_sim/widgets/…`. */
export const isConnectPageTarget = (target: string): boolean => target.startsWith('/_sim/widgets/');

/**
 * The simulator's MX Connect: what a widget URL opens. `GET /_sim/widgets/{token}` spends the URL's one-time token and
 * answers a small page (pick an institution, enter its credentials, connect); its form posts to
 * `POST /_sim/widgets/{page}/members`, which creates the member as MX's create member does (aggregation started), and
 * the page then posts MX's `mx/connect/memberConnected` message (`{user_guid, member_guid}`) to its opener or parent.
 */
export function createConnectPage(state: SimulatorState) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = splitTarget(request.url ?? '/').path;
    const open = /^\/_sim\/widgets\/([A-Za-z0-9_-]{20,})$/.exec(path);
    const post = /^\/_sim\/widgets\/([A-Za-z0-9_-]{20,})\/members$/.exec(path);
    if (open && request.method === 'GET') return sendPage(response, openPage(state, open[1]!));
    if (post && request.method === 'POST') {
      const body = await readBody(request);
      try {
        const { status, answer } = connect(state, post[1]!, body);
        return sendJson(response, status, answer, 'application/json', { 'cache-control': 'no-store' });
      } catch (error) {
        if (!(error instanceof MxError)) throw error;
        return sendJson(response, error.status, { error: { message: error.message } }, 'application/json');
      }
    }
    sendPage(response, { status: 404, html: page('Not found', '<p>No such Connect page.</p>') });
  };
}

function openPage(state: SimulatorState, token: string): { status: number; html: string } {
  const url = state.widgetUrls.get(token);
  // One load per URL, within its ten minutes: what MX does with a widget URL's token.
  state.widgetUrls.delete(token);
  const now = state.clock.now();
  if (!url || url.expiresAt < now) {
    return {
      status: 410,
      html: page('Widget URL spent', '<p>This widget URL was used or has expired: ask the relay for a new one.</p>'),
    };
  }
  const pageId = newSecretToken(24);
  state.connectPages.set(pageId, { userId: url.userId, useCases: url.useCases, expiresAt: now + PAGE_LIFETIME_MS });
  const institutions = CATALOGUE.filter((institution) => !institution.code.endsWith('_oauth')).map((institution) => ({
    code: institution.code,
    guid: institution.guid,
    name: institution.name,
    credentials: institution.credentials.map(({ guid, label, type }) => ({ guid, label, type })),
  }));
  return { status: 200, html: page('Connect your bank', CONNECT_BODY, { page: pageId, institutions }) };
}

function connect(state: SimulatorState, pageId: string, body: Buffer): { status: number; answer: unknown } {
  const opened = state.connectPages.get(pageId);
  if (!opened || opened.expiresAt < state.clock.now()) throw new MxError(404, 'This Connect page has expired.');
  const user = state.members.user(opened.userId);
  if (!user) throw new MxError(404, 'User not found.');
  let input: unknown;
  try {
    input = parseJsonBody(body);
  } catch {
    throw new MxError(400, 'The body must be JSON.');
  }
  if (!isJsonObject(input)) throw new MxError(400, 'The body must be a JSON object.');
  const member = createMember(state, user, {
    institution_guid: input.institution_guid,
    credentials: input.credentials,
    ...(opened.useCases ? { use_cases: opened.useCases } : {}),
  });
  return { status: 201, answer: { user_guid: user.guid, member_guid: member.guid } };
}

function sendPage(response: ServerResponse, { status, html }: { status: number; html: string }): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src 'self'",
  });
  response.end(html);
}

/** The page, its data as JSON in the script (`<` escaped, so no value can end the script element). */
function page(title: string, body: string, data?: unknown): string {
  const script =
    data === undefined
      ? ''
      : `<script>const CONNECT = ${JSON.stringify(data).replace(/</g, '\\u003c')};\n${CONNECT_SCRIPT}</script>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · MX Connect (simulator)</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2433; }
  main { max-width: 26rem; margin: 2rem auto; background: #fff; border-radius: 8px; padding: 1.5rem; box-shadow: 0 1px 4px #0002; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; } .note { color: #5b6475; font-size: .85rem; margin: 0 0 1rem; }
  ul { list-style: none; padding: 0; margin: .5rem 0 0; } li + li { margin-top: .4rem; }
  button { font: inherit; padding: .55rem .9rem; border-radius: 6px; border: 1px solid #2d5bd7; background: #2d5bd7; color: #fff; cursor: pointer; }
  li button { width: 100%; text-align: left; background: #fff; color: #1d2433; border-color: #cdd2dc; }
  label { display: block; margin: .75rem 0 .25rem; font-weight: 600; }
  input { font: inherit; width: 100%; box-sizing: border-box; padding: .5rem; border: 1px solid #cdd2dc; border-radius: 6px; }
  form button { margin-top: 1rem; } [role=alert] { color: #b42318; min-height: 1.5rem; }
</style></head>
<body><main><h1>${title}</h1><p class="note">MX Connect, as nexus-relay's simulator plays it</p>${body}</main>${script}</body></html>`;
}

const CONNECT_BODY = `
<section id="pick"><label for="search">Find your institution</label><input id="search" autocomplete="off">
<ul id="institutions"></ul></section>
<form id="credentials" hidden><h2 id="institution"></h2><div id="fields"></div>
<button type="submit" id="connect">Connect</button><p role="alert" id="error"></p></form>
<section id="done" hidden><h2>Connected</h2><p>Your bank is connected. You can close this window.</p></section>`;

// Plain script (no build step): the page's behaviour, with MX's postMessage events.
const CONNECT_SCRIPT = `
const $ = (id) => document.getElementById(id);
const target = window.opener || (window.parent !== window ? window.parent : null);
const tell = (type, metadata) => target && target.postMessage({ type, metadata }, '*');
let chosen;
function list(filter) {
  const ul = $('institutions');
  ul.replaceChildren();
  for (const institution of CONNECT.institutions) {
    if (!institution.name.toLowerCase().includes(filter.toLowerCase())) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = institution.name;
    button.addEventListener('click', () => choose(institution));
    const li = document.createElement('li');
    li.append(button);
    ul.append(li);
  }
}
function choose(institution) {
  chosen = institution;
  $('pick').hidden = true;
  $('credentials').hidden = false;
  $('institution').textContent = institution.name;
  const fields = $('fields');
  fields.replaceChildren();
  for (const credential of institution.credentials) {
    const label = document.createElement('label');
    label.textContent = credential.label;
    label.htmlFor = credential.guid;
    const input = document.createElement('input');
    input.id = credential.guid;
    input.name = credential.label;
    input.type = credential.type === 'PASSWORD' ? 'password' : 'text';
    input.required = true;
    input.autocomplete = credential.type === 'PASSWORD' ? 'current-password' : 'username';
    fields.append(label, input);
  }
  tell('mx/connect/selectedInstitution', { code: institution.code, name: institution.name });
}
$('search').addEventListener('input', (event) => list(event.target.value));
$('credentials').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('error').textContent = '';
  $('connect').disabled = true;
  const credentials = chosen.credentials.map((credential) => ({ guid: credential.guid, value: $(credential.guid).value }));
  try {
    const response = await fetch('/_sim/widgets/' + CONNECT.page + '/members', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ institution_guid: chosen.guid, credentials }),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error ? answer.error.message : 'The connection failed.');
    $('credentials').hidden = true;
    $('done').hidden = false;
    tell('mx/connect/memberConnected', { user_guid: answer.user_guid, member_guid: answer.member_guid });
  } catch (error) {
    $('error').textContent = error.message;
    $('connect').disabled = false;
  }
});
list('');
tell('mx/connect/loaded', { initial_step: 'search' });
`;
