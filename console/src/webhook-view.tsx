import type { Delivery, Webhook } from '@nexus-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { settled, usePolling } from './poll.ts';
import type { Signed } from './sign-in.tsx';
import { WebhookStatus } from './webhooks-view.tsx';
import { type Column, Empty, ListTable, Loading, Notice, ProblemView, Status, time, valueOf } from './ui.tsx';

/** A date-time input's value, in UTC as every time the console shows, as an ISO instant. */
const isoOf = (utc: string) => new Date(`${utc.length === 16 ? `${utc}:00` : utc}Z`).toISOString();

/** A delivery's attempts, one row each. */
const ATTEMPTS: Column<Delivery['attempts'][number]>[] = [
  { label: 'Attempt at', cell: (attempt) => time(attempt.at) },
  { label: 'Status code', cell: (attempt) => attempt.status_code ?? '–' },
  { label: 'Latency', cell: (attempt) => `${attempt.latency_ms} ms` },
  { label: 'Error', cell: (attempt) => attempt.error ?? '' },
];

/** One webhook's delivery log with every attempt; replay one delivery, or every delivery of a time range. */
export function WebhookView({ signed, id }: { signed: Signed; id: string }) {
  const [webhook, setWebhook] = useState<Webhook | undefined>();
  const [deliveries, setDeliveries] = useState<Delivery[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [notice, setNotice] = useState<string | undefined>();
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');

  const load = async () => {
    try {
      const [read, page] = await Promise.all([
        signed.client.webhooks.get(id),
        signed.client.webhooks.deliveries(id, { limit: 50 }).firstPage(),
      ]);
      setWebhook(read);
      setDeliveries(page.items);
      setNext(page.next_cursor);
      setError(undefined);
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => void load(), [id]);
  // A delivery still pending (a replay just queued, an attempt under way) is followed until it settles, the newest page
  // read again and merged into what is shown (older pages kept).
  const followPending = async (): Promise<boolean> => {
    const page = await signed.client.webhooks.deliveries(id, { limit: 50 }).firstPage();
    const fresh = new Set(page.items.map((delivery) => delivery.msg_id));
    const merged = [...page.items, ...(deliveries ?? []).filter((delivery) => !fresh.has(delivery.msg_id))];
    if (JSON.stringify(merged) === JSON.stringify(deliveries)) return false;
    setDeliveries(merged);
    return true;
  };
  const pending = (deliveries ?? []).some((delivery) => delivery.status === 'pending');
  usePolling(followPending, pending && !settled(error), { firstMs: 1_000, maxMs: 5_000 });

  const more = async () => {
    if (!next) return;
    try {
      const page = await signed.client.webhooks.deliveries(id, { limit: 50, cursor: next }).firstPage();
      setDeliveries([...(deliveries ?? []), ...page.items]);
      setNext(page.next_cursor);
    } catch (caught) {
      setError(caught);
    }
  };
  const replay = async (delivery: Delivery) => {
    setNotice(undefined);
    try {
      const queued = await signed.client.webhooks.replay(id, delivery.msg_id);
      setNotice(`${queued.msg_id} (${queued.event_type}) queued again, under its original webhook-id.`);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };
  const replayRange = async (event: Event) => {
    event.preventDefault();
    setNotice(undefined);
    try {
      // No end given: up to now, as the CLI's replay does.
      const range = { since: isoOf(since), until: until === '' ? new Date().toISOString() : isoOf(until) };
      const totals = await signed.client.webhooks.replayRange(id, range);
      setNotice(`${totals.replayed} deliveries queued again (${totals.skipped} skipped).`);
      await load();
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section aria-labelledby="webhook-title">
      <p>
        <a href="#/webhooks">← Webhooks</a>
      </p>
      <h1 id="webhook-title">Webhook {id}</h1>
      {webhook && (
        <dl class="fields">
          <dt>URL</dt>
          <dd class="wrap">{webhook.url}</dd>
          <dt>Status</dt>
          <dd>
            <WebhookStatus webhook={webhook} />
          </dd>
          <dt>Events</dt>
          <dd>{webhook.event_types.join(', ')}</dd>
          <dt>Rate</dt>
          <dd>
            {webhook.max_deliveries_per_second === undefined
              ? 'as fast as events come'
              : `at most ${webhook.max_deliveries_per_second} a second`}
          </dd>
        </dl>
      )}
      <Notice>{notice}</Notice>
      {error !== undefined && <ProblemView error={error} />}
      <form class="filters" onSubmit={replayRange}>
        <label for="since">Replay from (UTC)</label>
        <input id="since" type="datetime-local" step="1" required value={since} onInput={(e) => setSince(valueOf(e))} />
        <label for="until">until (UTC; empty: now)</label>
        <input id="until" type="datetime-local" step="1" value={until} onInput={(e) => setUntil(valueOf(e))} />
        <button type="submit">Replay range</button>
      </form>
      <h2>Deliveries</h2>
      {deliveries === undefined && error === undefined && <Loading what="deliveries" />}
      {deliveries?.length === 0 && <Empty>No deliveries yet.</Empty>}
      {deliveries && deliveries.length > 0 && (
        <ul class="deliveries">
          {deliveries.map((delivery) => (
            <li key={delivery.msg_id} data-msg-id={delivery.msg_id}>
              <div class="delivery-head">
                <code>{delivery.msg_id}</code> <strong>{delivery.event_type}</strong> <Status value={delivery.status} />{' '}
                <span class="muted">{time(delivery.created_at)}</span>
                <button type="button" onClick={() => replay(delivery)} aria-label={`Replay ${delivery.msg_id}`}>
                  Replay
                </button>
              </div>
              <ListTable class="attempts" rows={delivery.attempts} id={(attempt) => attempt.at} columns={ATTEMPTS} />
            </li>
          ))}
        </ul>
      )}
      {next && (
        <button type="button" onClick={more}>
          Older deliveries
        </button>
      )}
    </section>
  );
}
