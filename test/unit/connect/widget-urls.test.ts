import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { WidgetUrls } from '../../../lib/connect/widget-urls.ts';

/** What MX is asked for: the options as the SSO client sends them. */
async function sentFor(request: Record<string, unknown>): Promise<Record<string, unknown>> {
  const sent: Record<string, unknown>[] = [];
  const urls = new WidgetUrls({
    sso: {
      newDeadline: () => undefined as never,
      widgetUrl: async (userId, url) => {
        sent.push(url);
        return { url: 'https://widgets.example/x', type: String(url.type), user_id: userId };
      },
    },
    users: { withUser: (_userId, call) => call({}) },
    clock: new ManualClock(0),
    metrics: { add: () => {} } as never,
    useCasesEnabled: true,
  });
  await urls.create('user-1', { widget_type: 'connect_widget', ...request });
  return sent[0]!;
}

describe('a widget URL', () => {
  // MX: "All new implementations must include this option … and must set it to version 4" (…/saml/relaystate).
  it('asks MX for ui_message_version 4 unless the app names another', async () => {
    expect(await sentFor({})).toEqual({ type: 'connect_widget', ui_message_version: 4, use_cases: ['PFM'] });
    expect(await sentFor({ ui_message_version: 1 })).toMatchObject({ ui_message_version: 1 });
  });

  it('passes MX’s options as named (language among them)', async () => {
    expect(await sentFor({ language: 'fr-ca', color_scheme: 'dark' })).toMatchObject({
      language: 'fr-ca',
      color_scheme: 'dark',
    });
  });
});
