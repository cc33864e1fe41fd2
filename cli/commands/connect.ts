import type { Command } from 'commander';
import type { CallOptions, RelayClient } from '@nexus-relay/client';
import { action } from '../context.ts';
import type { Terminal } from '../output.ts';

interface OAuthUrlOptions {
  redirect?: string;
  app?: boolean;
  skipAggregation?: boolean;
}

interface ConnectUrlOptions {
  widget: string;
  useCases?: string;
  member?: string;
}

export function registerConnect(program: Command, terminal: Terminal): void {
  program
    .command('users')
    .description('a user’s lifecycle at MX and in the relay')
    .command('delete')
    .description(
      'erase a user: refused at once, then deleted at MX with its members and everything the relay holds of it ' +
        '(sessions, jobs, sync state, its events’ deliveries, keys bound to it) in the background; user.deleted ' +
        'follows. Safe to repeat',
    )
    .argument('<user_id>', 'the partner’s user id')
    .action(
      action(terminal, async ({ output, api, calls }, userId: string) => {
        await api().users.delete(userId, calls);
        output.result({ erasing: { user_id: userId } }, () => [
          `Erasing ${userId}: refused from now on; user.deleted is sent once MX and the relay hold nothing of it.`,
        ]);
      }),
    );

  program
    .command('connect-url')
    .description(
      'a single-use MX widget URL for a user (Connect by default): open it in a browser within ten minutes; ' +
        'MX makes the user first when it does not know it',
    )
    .argument('<user_id>', 'the partner’s user id')
    .option('--widget <type>', 'the MX widget (connect_widget, connections_widget, accounts_widget…)', 'connect_widget')
    .option('--use-cases <list>', 'PFM, MONEY_MOVEMENT or both, comma-separated (opted in to use cases: PFM unless given)')
    .option('--member <member_guid>', 'open the widget on this member (MBR-…): to reconnect it or answer its MFA')
    .action(
      action(terminal, async ({ output, api, calls }, userId: string, options: ConnectUrlOptions) => {
        // Reopening a member: its own use cases, as MX holds them (the relay would send PFM for none named).
        const useCases =
          options.useCases?.split(',').map((useCase) => useCase.trim().toUpperCase()) ??
          (options.member ? await memberUseCases(api(), userId, options.member, calls) : undefined);
        const widgetUrl = await api().users.widgetUrl(
          userId,
          {
            widget_type: options.widget,
            ...(useCases ? { use_cases: useCases as ('PFM' | 'MONEY_MOVEMENT')[] } : {}),
            ...(options.member ? { current_member_guid: options.member } : {}),
          },
          calls,
        );
        output.result({ widget_url: widgetUrl }, () => [
          widgetUrl.url,
          output.style.dim(`${widgetUrl.type} for ${widgetUrl.user_id}; works once, until ${widgetUrl.expires_at}`),
        ]);
      }),
    );

  program
    .command('oauth-url')
    .description(
      'a one-time URL where the user authorises an OAuth member at the bank (one created with is_oauth, or to ' +
        're-authorise it): open it once, in the user’s browser; MX aggregates the member once authorised',
    )
    .argument('<user_id>', 'the partner’s user id')
    .argument('<member_guid>', 'MBR-… (an OAuth member)')
    .option('--redirect <url>', 'where MX sends the user after (client_redirect_url), with status and member_guid')
    .option('--app', 'the user comes from a mobile app (referral_source APP)')
    .option('--skip-aggregation', 'authorised, the member does not aggregate at once')
    .action(
      action(terminal, async ({ output, api, calls }, userId: string, memberGuid: string, options: OAuthUrlOptions) => {
        const window = await api().members.oauthWindow(
          { user_id: userId, member_guid: memberGuid },
          {
            ...(options.redirect ? { client_redirect_url: options.redirect } : {}),
            ...(options.app ? { referral_source: 'APP' as const } : {}),
            ...(options.skipAggregation ? { skip_aggregation: true } : {}),
          },
          calls,
        );
        output.result({ oauth_window: window }, () => [
          window.url,
          output.style.dim(`OAuth window for ${window.member_guid}; works once`),
        ]);
      }),
    );
}

/** The use cases MX holds for a member, when it shows any. */
async function memberUseCases(
  relay: RelayClient,
  userId: string,
  memberGuid: string,
  calls: CallOptions,
): Promise<string[] | undefined> {
  const { member } = (await relay.members.get({ user_id: userId, member_guid: memberGuid }, calls)) as {
    member?: { use_cases?: unknown };
  };
  const useCases = Array.isArray(member?.use_cases) ? member.use_cases.filter((u): u is string => typeof u === 'string') : [];
  return useCases.length > 0 ? useCases : undefined;
}
