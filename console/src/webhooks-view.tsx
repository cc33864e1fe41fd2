import { deliveryHealth, type DeliveryHealth, type Webhook, type WebhookTest } from '@nexus-relay/client';
import { useEffect, useState } from 'preact/hooks';
import type { Signed } from './sign-in.tsx';
import { type Column, confirmed, Empty, ListTable, Loading, Notice, ProblemView, Status, time } from './ui.tsx';

/** The health of a webhook's last 50 deliveries: every attempt counts, with the latest failure and next retry. */
async function healthOf(signed: Signed, webhook: Webhook): Promise<DeliveryHealth> {
  const { items } = await signed.client.webhooks.deliveries(webhook.id, { limit: 50 }).firstPage();
  return deliveryHealth(items);
}

/**
 * A webhook's status as the list and its page show it: an enabled one whose endpoint keeps failing is `failing`, and
 * says when its breaker holds its deliveries.
 */
export function WebhookStatus({ webhook }: { webhook: Webhook }) {
  return (
    <>
      {webhook.status === 'enabled' && webhook.failing_since ? (
        <>
          <Status value="failing" tone="bad" />
          <span class="muted"> since {time(webhook.failing_since)}</span>
          {webhook.breaker && (
            <span class="muted">
              {webhook.breaker.state === 'open'
                ? `; deliveries held until ${time(webhook.breaker.held_until)}`
                : '; deliveries held, one probing the endpoint'}
            </span>
          )}
        </>
      ) : (
        <Status value={webhook.status} />
      )}
      {webhook.disabled_reason && <span class="muted"> ({webhook.disabled_reason})</span>}
    </>
  );
}

/** The webhooks with their health; enable or disable, rotate the secret, send a test. */
export function WebhooksView({ signed }: { signed: Signed }) {
  const [webhooks, setWebhooks] = useState<(Webhook & { health?: DeliveryHealth })[] | undefined>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();
  const [secret, setSecret] = useState<{ id: string; secret: string } | undefined>();

  const load = async () => {
    try {
      const listed = await signed.client.webhooks.list();
      setWebhooks(await Promise.all(listed.map(async (webhook) => ({ ...webhook, health: await healthOf(signed, webhook) }))));
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => void load(), []);

  const act = async (what: () => Promise<string | void>) => {
    setNotice(undefined);
    setSecret(undefined);
    try {
      const said = await what();
      if (said) setNotice(said);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };
  const toggle = (webhook: Webhook) =>
    act(async () => {
      if (webhook.status === 'enabled') {
        if (!confirmed(`Disable ${webhook.id}? Its deliveries wait until it is enabled again.`)) return;
        await signed.client.webhooks.update(webhook.id, { enabled: false });
        return `${webhook.id} disabled: deliveries wait until it is enabled again.`;
      }
      const { resumed_deliveries } = await signed.client.webhooks.enable(webhook.id);
      return `${webhook.id} enabled; ${resumed_deliveries} waiting deliveries sent.`;
    });
  const rotate = (webhook: Webhook) =>
    act(async () => {
      if (!confirmed(`Rotate the signing secret of ${webhook.id}? The current one keeps signing for 24 hours only.`)) return;
      const rotated = await signed.client.webhooks.rotateSecret(webhook.id);
      setSecret({ id: webhook.id, secret: rotated.secret });
    });
  const test = (webhook: Webhook) =>
    act(async () => {
      const result: WebhookTest = await signed.client.webhooks.test(webhook.id);
      const attempt =
        result.attempt.status_code === undefined ? `no answer (${result.attempt.error})` : `HTTP ${result.attempt.status_code}`;
      return `Test ${result.msg_id} ${result.delivered ? 'delivered' : 'not delivered'}: ${attempt} in ${result.attempt.latency_ms} ms.`;
    });

  const columns: Column<Webhook & { health?: DeliveryHealth }>[] = [
    { label: 'Webhook', cell: (webhook) => <a href={`#/webhooks/${encodeURIComponent(webhook.id)}`}>{webhook.id}</a> },
    { label: 'URL', class: 'wrap', cell: (webhook) => webhook.url },
    {
      label: 'Status',
      cell: (webhook) => (
        <>
          <WebhookStatus webhook={webhook} />
          {webhook.health?.nextAttemptAt && <div class="muted">next attempt {time(webhook.health.nextAttemptAt)}</div>}
        </>
      ),
    },
    {
      label: 'Recent success',
      cell: (webhook) => (
        <>
          {webhook.health?.successRate === undefined ? '–' : `${webhook.health.successRate} %`}
          <span class="muted"> of {webhook.health?.attempts ?? 0} attempts</span>
        </>
      ),
    },
    {
      label: 'Last failure',
      class: 'wrap',
      cell: (webhook) =>
        webhook.health?.lastFailure ? (
          <>
            {webhook.health.lastFailure.outcome}
            {webhook.health.lastFailure.responseExcerpt && (
              <code class="excerpt"> {webhook.health.lastFailure.responseExcerpt}</code>
            )}
            <div class="muted">{time(webhook.health.lastFailure.at)}</div>
          </>
        ) : (
          '–'
        ),
    },
    {
      label: 'Actions',
      class: 'actions',
      cell: (webhook) => (
        <>
          <button type="button" onClick={() => toggle(webhook)}>
            {webhook.status === 'enabled' ? 'Disable' : 'Enable'}
          </button>
          <button type="button" onClick={() => rotate(webhook)}>
            Rotate secret
          </button>
          <button type="button" onClick={() => test(webhook)}>
            Send test
          </button>
        </>
      ),
    },
  ];

  if (signed.scope !== 'server') {
    return (
      <section aria-labelledby="webhooks-title">
        <h1 id="webhooks-title">Webhooks</h1>
        <Empty>Webhooks are managed with a server key; this key is bound to one user.</Empty>
      </section>
    );
  }
  return (
    <section aria-labelledby="webhooks-title">
      <h1 id="webhooks-title">Webhooks</h1>
      <Notice>
        {notice}
        {secret && (
          <>
            <p>New signing secret of {secret.id}, shown this once (the old one signs alongside it for 24 hours):</p>
            <code class="secret">{secret.secret}</code>
          </>
        )}
      </Notice>
      {error !== undefined && <ProblemView error={error} />}
      {webhooks === undefined && error === undefined && <Loading what="webhooks" />}
      {webhooks?.length === 0 && <Empty>No webhooks yet: POST /webhooks, or `nexus-relay webhooks add URL`.</Empty>}
      {webhooks && webhooks.length > 0 && (
        <ListTable rows={webhooks} id={(webhook) => webhook.id} rowName="webhook" columns={columns} />
      )}
    </section>
  );
}
