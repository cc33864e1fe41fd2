import type { MxRecord } from '@nexus-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { type Member, memberOf, needsUser, userActionOf } from './members.ts';
import { usePolling } from './poll.ts';
import { hrefOf, navigate, type Route } from './route.ts';
import type { Signed } from './sign-in.tsx';
import { age, type Column, Empty, ListTable, Loading, ProblemView, Status, time, valueOf } from './ui.tsx';

/** MX's default page size. */
const PAGE_SIZE = 25;

interface Listed {
  members: Member[];
  /** Pages read so far, and MX's totals. */
  pages: number;
  totalPages: number;
  totalEntries?: number | undefined;
}

const toneOf = (member: Member): string | undefined => {
  if (needsUser(member)) return 'warn';
  if (member.is_being_aggregated) return 'busy';
  return member.connection_status === 'CONNECTED' ? 'good' : undefined;
};

/** An MX time, in UTC, with how long ago; "never" when MX has none. */
function When({ iso, now }: { iso: string | undefined; now: number }) {
  if (!iso) return <span class="muted">never</span>;
  return (
    <>
      <time dateTime={iso}>{time(iso)}</time> <span class="muted">({age(iso, now)} ago)</span>
    </>
  );
}

/**
 * A user's members as MX answers them: connection status, whether the user must act, the last aggregations; each
 * links to its jobs and refreshes. Members being aggregated update by themselves.
 */
export function MembersView({ signed, route }: { signed: Signed; route: Extract<Route, { view: 'members' }> }) {
  const [userInput, setUserInput] = useState(route.user ?? '');
  const [listed, setListed] = useState<Listed | undefined>();
  const [error, setError] = useState<unknown>();
  const [refreshing, setRefreshing] = useState<string | undefined>();
  /** The one-time OAuth window last asked for: shown once, to hand to the user; never kept beyond this page. */
  const [oauthWindow, setOAuthWindow] = useState<{ member: string; url: string } | undefined>();
  /** The one-time Connect widget URL last asked for, to reconnect a member: the same. */
  const [widget, setWidget] = useState<{ member: string; url: string } | undefined>();
  const [now, setNow] = useState(Date.now());

  /** Reads the first `pages` pages again (MX's numbered pages), so every member shown is current. */
  const load = async (pages = listed?.pages ?? 1): Promise<boolean> => {
    if (!route.user) return false;
    try {
      const records: MxRecord[] = [];
      let read = 0;
      let totals: { total_pages?: number; total_entries?: number } | undefined;
      for await (const page of signed.client.members.list({ user_id: route.user, records_per_page: PAGE_SIZE }).pages()) {
        records.push(...page.items);
        totals = page.pagination;
        if (++read >= pages) break;
      }
      const members = records.map(memberOf);
      const changed = JSON.stringify(members) !== JSON.stringify(listed?.members);
      setListed({ members, pages: read, totalPages: totals?.total_pages ?? read, totalEntries: totals?.total_entries });
      setError(undefined);
      setNow(Date.now());
      return changed;
    } catch (caught) {
      setError(caught);
      throw caught;
    }
  };

  useEffect(() => {
    setListed(undefined);
    setError(undefined);
    setUserInput(route.user ?? '');
    void load(1).catch(() => {});
  }, [route.user]);

  // Each read is a call to MX: the list reads itself again only while MX aggregates one of its members.
  const aggregating = (listed?.members ?? []).some((member) => member.is_being_aggregated);
  usePolling(load, aggregating, { firstMs: 2_000, maxMs: 10_000 });

  const refresh = async (member: Member) => {
    if (!route.user) return;
    setRefreshing(member.guid);
    setError(undefined);
    try {
      const job = await signed.client.members.refresh({ user_id: route.user, member_guid: member.guid });
      navigate({ view: 'job', id: job.id });
    } catch (caught) {
      setError(caught);
    } finally {
      setRefreshing(undefined);
    }
  };

  const reauthorise = async (member: Member) => {
    if (!route.user) return;
    setError(undefined);
    try {
      const opened = await signed.client.members.oauthWindow({ user_id: route.user, member_guid: member.guid });
      setOAuthWindow({ member: member.guid, url: opened.url });
    } catch (caught) {
      setError(caught);
    }
  };

  const reconnect = async (member: Member) => {
    if (!route.user) return;
    setError(undefined);
    try {
      // The member's own use cases, as MX holds them (the relay would send PFM for none named).
      const useCases = (member.use_cases ?? []).filter((useCase) => useCase === 'PFM' || useCase === 'MONEY_MOVEMENT');
      const made = await signed.client.users.widgetUrl(route.user, {
        widget_type: 'connect_widget',
        current_member_guid: member.guid,
        ...(useCases.length > 0 ? { use_cases: useCases } : {}),
      });
      setWidget({ member: member.guid, url: made.url });
    } catch (caught) {
      setError(caught);
    }
  };

  const members = listed?.members ?? [];
  const columns: Column<Member>[] = [
    {
      label: 'Member',
      cell: (member) => (
        <>
          {member.name ?? '–'}
          <br />
          <code class="muted">{member.guid}</code>
        </>
      ),
    },
    { label: 'Institution', cell: (member) => member.institution_code ?? '–' },
    {
      label: 'Connection',
      cell: (member) => (
        <>
          <Status value={member.connection_status ?? 'unknown'} tone={toneOf(member)} />
          {member.connection_status_message && <div class="muted">{member.connection_status_message}</div>}
        </>
      ),
    },
    {
      label: 'The user',
      cell: (member) =>
        needsUser(member) ? (
          <>
            <strong class="needs-user">Needs the user</strong>
            <div class="muted">{userActionOf(member)}</div>
          </>
        ) : (
          <span class="muted">nothing to do</span>
        ),
    },
    {
      label: 'Last aggregation',
      cell: (member) => (
        <>
          <When iso={member.aggregated_at} now={now} />
          <div class="muted">
            last success: <When iso={member.successfully_aggregated_at} now={now} />
          </div>
        </>
      ),
    },
    { label: 'Aggregating', cell: (member) => (member.is_being_aggregated ? <Status value="aggregating" /> : 'no') },
    {
      label: 'Use cases',
      cell: (member) =>
        member.use_cases === null || member.use_cases === undefined || member.use_cases.length === 0
          ? '–'
          : member.use_cases.join(', '),
    },
    {
      label: 'Actions',
      cell: (member) => (
        <div class="actions">
          <a href={hrefOf({ view: 'jobs', user: route.user, member: member.guid })} aria-label={`Jobs of ${member.guid}`}>
            Jobs
          </a>
          <button
            type="button"
            onClick={() => refresh(member)}
            disabled={refreshing !== undefined}
            aria-label={`Refresh ${member.guid}`}
          >
            {refreshing === member.guid ? 'Refreshing…' : 'Refresh'}
          </button>
          {member.is_oauth && (
            <button type="button" onClick={() => void reauthorise(member)} aria-label={`Re-authorise ${member.guid}`}>
              Re-authorise
            </button>
          )}
          {needsUser(member) && member.connection_status === 'CHALLENGED' && (
            <a
              href={hrefOf({ view: 'jobs', user: route.user, member: member.guid, status: 'action_required' })}
              aria-label={`Answer MFA of ${member.guid}`}
            >
              Answer MFA
            </a>
          )}
          {needsUser(member) && !member.is_oauth && (
            <button type="button" onClick={() => void reconnect(member)} aria-label={`Reconnect ${member.guid}`}>
              Reconnect
            </button>
          )}
          {widget?.member === member.guid && (
            <div class="oauth-window">
              One-time Connect widget URL for the user (works once, for ten minutes):{' '}
              <a href={widget.url} target="_blank" rel="noreferrer noopener">
                open the widget
              </a>
            </div>
          )}
          {oauthWindow?.member === member.guid && (
            <div class="oauth-window">
              One-time OAuth window for the user (works once):{' '}
              <a href={oauthWindow.url} target="_blank" rel="noreferrer noopener">
                open at the bank
              </a>
            </div>
          )}
        </div>
      ),
    },
  ];
  return (
    <section aria-labelledby="members-title">
      <h1 id="members-title">Members{route.user ? ` of ${route.user}` : ''}</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          navigate({ view: 'members', user: userInput.trim() || undefined });
        }}
      >
        <label for="user-id">User id</label>
        <input id="user-id" value={userInput} onInput={(event) => setUserInput(valueOf(event))} />
        <button type="submit">Show</button>
        {route.user && <a href={hrefOf({ view: 'jobs', user: route.user })}>Jobs of {route.user}</a>}
      </form>
      {!route.user && <Empty>Enter a user id to see that user's members (MX's connections to their banks).</Empty>}
      {error !== undefined && <ProblemView error={error} />}
      {route.user && listed === undefined && error === undefined && <Loading what="members" />}
      {listed !== undefined && members.length === 0 && (
        <Empty>
          No members yet for {route.user}: the user connects a bank in a connect_widget (
          <code>{'POST /users/{user_id}/widget_urls'}</code>).
        </Empty>
      )}
      {members.length > 0 && <ListTable rows={members} id={(member) => member.guid} rowName="member" columns={columns} />}
      {aggregating && (
        <p class="muted live" role="status">
          Members being aggregated update by themselves.
        </p>
      )}
      {listed !== undefined && listed.totalEntries !== undefined && listed.totalPages > 1 && (
        <p class="muted">
          {members.length} of {listed.totalEntries} members.
        </p>
      )}
      {listed !== undefined && listed.pages < listed.totalPages && (
        <button type="button" onClick={() => void load(listed.pages + 1).catch(() => {})}>
          More members
        </button>
      )}
    </section>
  );
}
