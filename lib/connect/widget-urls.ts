import { type Clock, toIso } from '../clock.ts';
import type { ConnectMetrics } from './connect-metrics.ts';
import type { ServedUsers } from '../mx/sessions.ts';
import type { SsoClient } from '../mx/sso.ts';
import type { MxUsers } from './mx-users.ts';
import { type UseCase, useCasesFor } from './use-cases.ts';

/** MX: "All new implementations must … set it to version 4" (docs.mx.com/api-reference/more-apis/saml/relaystate). */
export const UI_MESSAGE_VERSION = 4;

/** How long MX's single-use widget URL works. */
export const WIDGET_URL_LIFETIME_MS = 10 * 60_000;

/** MX's configuration options, named as MX names them. */
export interface WidgetUrlRequest {
  widget_type: string;
  use_cases?: UseCase[];
  connections_use_case_filter?: boolean;
  [option: string]: unknown;
}

export interface WidgetUrl {
  url: string;
  type: string;
  user_id: string;
  expires_at: string;
}

export interface WidgetUrlsDeps {
  sso: Pick<SsoClient, 'widgetUrl' | 'newDeadline'>;
  users: Pick<MxUsers, 'withUser'>;
  /** A new user's member may be connected through the widget alone, and without MX's webhooks only the reconcile finds it. */
  served?: ServedUsers;
  clock: Clock;
  metrics: ConnectMetrics;
  useCasesEnabled: boolean;
}

/** MX Connect widget URLs for a user, under MX's use_cases rules; the user is made at MX when new. */
export class WidgetUrls {
  constructor(private readonly deps: WidgetUrlsDeps) {}

  async create(userId: string, request: WidgetUrlRequest): Promise<WidgetUrl> {
    const { widget_type: type, use_cases: _given, ...options } = request;
    const useCases = useCasesFor(
      {
        kind: 'widget_url',
        widgetType: type,
        useCases: request.use_cases,
        connectionsUseCaseFilter: request.connections_use_case_filter,
      },
      this.deps.useCasesEnabled,
    );
    const issuedAt = this.deps.clock.now();
    const url = await this.deps.users.withUser(
      userId,
      (mxOptions) =>
        this.deps.sso.widgetUrl(
          userId,
          { type, ui_message_version: UI_MESSAGE_VERSION, ...options, ...(useCases ? { use_cases: useCases } : {}) },
          mxOptions,
        ),
      { deadline: this.deps.sso.newDeadline() },
    );
    // Once MX has the user: a refused request leaves nothing for the reconcile to read.
    await this.deps.served?.note(userId);
    this.deps.metrics.add('WidgetUrlsIssued', 1, { widget_type: type as 'connect_widget' });
    return { url: url.url, type: url.type, user_id: url.user_id, expires_at: toIso(issuedAt + WIDGET_URL_LIFETIME_MS) };
  }
}
