import { useEffect, useState } from 'preact/hooks';
import { JobView } from './job-view.tsx';
import { JobsView } from './jobs-view.tsx';
import { MembersView } from './members-view.tsx';
import { OverviewView } from './overview-view.tsx';
import { hrefOf, navigate, parseRoute, type Route, userOf } from './route.ts';
import { forgetKey, storedKey, storeKey } from './session.ts';
import { checkKey, SignIn, type Signed } from './sign-in.tsx';
import { Loading, ProblemView } from './ui.tsx';
import { WebhookView } from './webhook-view.tsx';
import { WebhooksView } from './webhooks-view.tsx';

/**
 * Where signing in lands when the address names no place (or only the jobs, the default): a server key's overview;
 * a user-bound key's own user.
 */
function landing(signed: Signed): void {
  const place = location.hash.replace(/^#\/?/, '');
  if (place !== '' && !(signed.user && place === 'jobs')) return;
  navigate(signed.user ? { view: 'jobs', user: signed.user } : { view: 'overview' });
}

/** Moves the keyboard to the page's content, past the navigation (the address's fragment is the console's route). */
function SkipLink() {
  return (
    <a
      class="skip"
      href="#main"
      onClick={(event) => {
        event.preventDefault();
        document.getElementById('main')?.focus();
      }}
    >
      Skip to content
    </a>
  );
}

export function App() {
  const [signed, setSigned] = useState<Signed | undefined>();
  const [restoring, setRestoring] = useState(storedKey() !== undefined);
  const [restoreError, setRestoreError] = useState<unknown>();
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  useEffect(() => {
    const key = storedKey();
    if (key === undefined) return;
    checkKey(key)
      .then(
        (restored) => {
          landing(restored);
          setSigned(restored);
        },
        (error: unknown) => {
          forgetKey();
          setRestoreError(error);
        },
      )
      .finally(() => setRestoring(false));
  }, []);

  if (restoring) return <Loading what="the console" />;
  if (!signed) {
    return (
      <main id="main" tabIndex={-1}>
        {restoreError !== undefined && <ProblemView error={restoreError} />}
        <SignIn
          onSignedIn={(done) => {
            storeKey(done.key);
            landing(done);
            setSigned(done);
          }}
        />
      </main>
    );
  }
  const signOut = () => {
    forgetKey();
    setSigned(undefined);
  };
  const section =
    route.view === 'webhooks' || route.view === 'webhook'
      ? 'webhooks'
      : route.view === 'members' || route.view === 'overview'
        ? route.view
        : 'jobs';
  // Jobs and Members are two views of one user: each section's link keeps the user shown.
  const user = userOf(route);
  return (
    <>
      <SkipLink />
      <header>
        <nav aria-label="Console">
          <span class="brand">nexus-relay</span>
          <a href="#/overview" aria-current={section === 'overview' ? 'page' : undefined}>
            Overview
          </a>
          <a href={hrefOf({ view: 'jobs', user })} aria-current={section === 'jobs' ? 'page' : undefined}>
            Jobs
          </a>
          <a href={hrefOf({ view: 'members', user })} aria-current={section === 'members' ? 'page' : undefined}>
            Members
          </a>
          <a href="#/webhooks" aria-current={section === 'webhooks' ? 'page' : undefined}>
            Webhooks
          </a>
          <span class="muted scope">{signed.scope === 'server' ? 'server key' : 'user-bound key'}</span>
          <button type="button" onClick={signOut}>
            Sign out
          </button>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        {route.view === 'overview' && <OverviewView signed={signed} />}
        {route.view === 'jobs' && <JobsView signed={signed} route={route} />}
        {route.view === 'job' && <JobView signed={signed} id={route.id} />}
        {route.view === 'members' && <MembersView signed={signed} route={route} />}
        {route.view === 'webhooks' && <WebhooksView signed={signed} />}
        {route.view === 'webhook' && <WebhookView signed={signed} id={route.id} />}
      </main>
    </>
  );
}
