import * as z from '../zod.ts';
import type { Route } from '../http/route.ts';
import { parseInput } from '../http/validation.ts';
import { params } from '../identifiers.ts';
import { MX_CALL_PROBLEMS } from '../http/openapi/route-problems.ts';
import { USE_CASES } from './use-cases.ts';
import type { WidgetUrls } from './widget-urls.ts';

/** What api-connect gives these routes. */
export interface ConnectRouteDeps {
  widgetUrls: Pick<WidgetUrls, 'create'>;
}

const userPath = z.object({ user_id: params.userId });
const useCases = z
  .array(z.enum(USE_CASES))
  .check(z.refine((list: string[]) => new Set(list).size === list.length, 'must not name a use case twice'));
const guid = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}-[A-Za-z0-9-]{1,80}$`), `must be an MX ${prefix}-… guid`));

/**
 * MX's widget URL options, as MX names them (`widget_type` is MX's `type`; docs.mx.com/api-reference/more-apis/saml/relaystate
 * and the client config of MX's open connect-widget). Unknown ones are refused: MX would ignore them.
 */
const widgetUrlBody = z.strictObject({
  widget_type: z
    .string()
    .check(z.regex(/^[a-z][a-z_]{0,40}_widget$/, 'must be an MX widget type, such as connect_widget or connections_widget')),
  use_cases: z
    .optional(useCases)
    .check(z.describe('PFM, MONEY_MOVEMENT or both; opted in (MX_USE_CASES_ENABLED), PFM unless named')),
  connections_use_case_filter: z
    .optional(z.boolean())
    .check(z.describe('connections_widget only: show the connections of the given use_cases')),
  current_member_guid: z.optional(guid('MBR')).check(z.describe('Opens the widget on this member (to reconnect, or MFA)')),
  current_institution_code: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,100}$/, 'must be an institution code'))),
  current_institution_guid: z.optional(guid('INS')),
  mode: z.optional(z.enum(['aggregation', 'verification'])),
  color_scheme: z.optional(z.enum(['light', 'dark'])),
  include_transactions: z.optional(z.boolean()),
  include_identity: z.optional(z.boolean()),
  is_mobile_webview: z.optional(z.boolean()),
  ui_message_version: z
    .optional(z.int().check(z.minimum(1), z.maximum(10)))
    .check(z.describe('The postMessage events’ version: 4 unless named, as MX requires of new integrations')),
  language: z.optional(z.enum(['en-us', 'fr', 'fr-ca'])).check(z.describe('MX’s languages; MX’s default is en-us')),
  enable_app2app: z.optional(z.boolean()),
  current_microdeposit_guid: z.optional(guid('MIC')),
  ui_message_webview_url_scheme: z.optional(
    z.string().check(z.regex(/^[a-z][a-z0-9+.-]{0,40}$/, 'must be a URL scheme, such as myapp')),
  ),
  client_redirect_url: z.optional(z.url({ protocol: /^https?$/ }).check(z.maxLength(2000))),
  oauth_referral_source: z.optional(z.enum(['BROWSER', 'APP'])),
  update_credentials: z.optional(z.boolean()),
  wait_for_full_aggregation: z.optional(z.boolean()),
  disable_institution_search: z.optional(z.boolean()),
  disable_background_agg: z.optional(z.boolean()),
});

const widgetUrlAnswer = z.strictObject({
  widget_url: z.strictObject({
    url: z.string().check(z.describe('Load it once, within ten minutes: it embeds a one-time token (a credential)')),
    type: z.string(),
    user_id: z.string(),
    expires_at: z.string().check(z.describe('Ten minutes after issue; after its first load it is spent anyway')),
  }),
});

/** The api-connect function: how a user begins, through MX Connect. */
export const CONNECT_ROUTES: readonly Route<ConnectRouteDeps>[] = [
  {
    method: 'POST',
    path: '/users/{user_id}/widget_urls',
    fn: 'api-connect',
    summary: 'A single-use MX widget URL for the user (Connect to link a bank), under MX’s use_cases rules',
    auth: 'api_key',
    access: 'path_user',
    // The answer is a credential: never stored for a replay.
    idempotent: false,
    async handle(request, { widgetUrls }) {
      const { user_id } = parseInput(userPath, request.pathParams, 'path');
      const body = parseInput(widgetUrlBody, request.body, 'body');
      return { status: 201, body: { widget_url: await widgetUrls.create(user_id, body) } };
    },
    docs: () => ({
      path: userPath,
      body: widgetUrlBody,
      description:
        'MX makes the user first when it does not know it (`id` = this `user_id`). The URL is never logged, stored or ' +
        'replayed: ask for a new one per page load (this route does not honour Idempotency-Key).',
      responses: { 201: { description: 'The widget URL', body: widgetUrlAnswer } },
      problems: ['forbidden', 'use_cases_invalid', ...MX_CALL_PROBLEMS],
    }),
  },
];
