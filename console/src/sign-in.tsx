import type { RelayClient } from '@nexus-relay/client';
import { useState } from 'preact/hooks';
import { clientFor } from './session.ts';
import { ProblemView, valueOf } from './ui.tsx';

export interface Signed {
  key: string;
  client: RelayClient;
  /** A server key reaches every user and the webhooks; a user-bound key its own user only. */
  scope: 'server' | 'user';
  /** The user a user-bound key is bound to. */
  user?: string;
}

/** Checks a key with one call before keeping it: a refused key shows the API's problem and is not stored. */
export async function checkKey(key: string): Promise<Signed> {
  const client = clientFor(key);
  const { user_id: user } = await client.apiKeys.current();
  return user === null ? { key, client, scope: 'server' } : { key, client, scope: 'user', user };
}

export function SignIn({ onSignedIn }: { onSignedIn: (signed: Signed) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await checkKey(key.trim()));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="sign-in" onSubmit={submit}>
      <h1>nexus-relay console</h1>
      <label for="api-key">API key</label>
      <input
        id="api-key"
        name="api-key"
        type="password"
        autocomplete="off"
        required
        value={key}
        onInput={(event) => setKey(valueOf(event))}
      />
      <p class="muted">Kept in this tab only (sessionStorage), sent to this origin's API only.</p>
      <button type="submit" disabled={busy || key.trim() === ''}>
        {busy ? 'Checking…' : 'Sign in'}
      </button>
      {error !== undefined && <ProblemView error={error} />}
    </form>
  );
}
