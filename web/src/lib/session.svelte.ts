// Who is signed in and the spaces they belong to, read from the server. The access token is
// only in memory (see api/client.ts); this module restores a session from the refresh cookie on
// load and forgets everything on signing out.
import { api, call, refreshSession, setAccessToken, whenSignedOut, type Schemas } from './api/client';
import { setZone } from './format';
import { forgetThisDevice, leaveThisDevice } from './push';

export type User = Schemas['User'];
export type Space = Schemas['Space'];

interface Session {
  /** False until the first attempt to restore a session has finished. */
  ready: boolean;
  me: User | null;
  spaces: Space[];
  /** Bumped by every live event, so open screens re-read what they show. */
  changes: number;
  offline: boolean;
}

export const session: Session = $state({
  ready: false,
  me: null,
  spaces: [],
  changes: 0,
  offline: !navigator.onLine,
});

window.addEventListener('online', () => (session.offline = false));
window.addEventListener('offline', () => (session.offline = true));
whenSignedOut(() => forget());

/** The space the partners share now (a person belongs to one at a time). */
export function currentSpace(): Space | undefined {
  return session.spaces.find((s) => s.state !== 'closed') ?? undefined;
}

/**
 * On opening the app: the refresh cookie brings the session back. Offline, the service worker
 * answers the reads it keeps (who I am, my spaces, the timeline), so the last state can be read
 * while writes are refused.
 */
export async function restore(): Promise<void> {
  try {
    const refreshed = await refreshSession();
    if (refreshed === true) await load();
    else if (refreshed === 'offline') await load().catch(() => {});
  } finally {
    session.ready = true;
  }
}

export async function load(): Promise<void> {
  // Both at once: each round trip delays the first screen.
  const [me, spaces] = await Promise.all([call(api.GET('/api/v1/me')), call(api.GET('/api/v1/spaces'))]);
  setZone(me.time_zone);
  session.spaces = spaces.items;
  session.me = me;
}

export async function reloadSpaces(): Promise<void> {
  const list = await call(api.GET('/api/v1/spaces'));
  session.spaces = list.items;
}

export async function signIn(email: string, password: string): Promise<void> {
  const tokens = await call(api.POST('/api/v1/auth/login', { body: { email, password } }));
  setAccessToken(tokens.access_token, tokens.expires_in);
  await load();
}

/**
 * Creates the account and signs in. `beforeLoad` runs with the space an invite joined (if any)
 * before the session is loaded, that is before the app leaves the sign-up screen.
 */
export async function signUp(
  body: Schemas['Registration'],
  beforeLoad: (joined: Space | null) => void,
): Promise<void> {
  const answer = await call(api.POST('/api/v1/auth/register', { body }));
  setAccessToken(answer.access_token, answer.expires_in);
  beforeLoad(answer.space ?? null);
  await load();
}

/** Ends the session on the server, then here. A failure (offline) throws: the person is told. */
export async function signOut(everywhere: boolean): Promise<void> {
  // Signing out everywhere removes every device on the server; signing out here removes this one.
  if (!everywhere) await leaveThisDevice();
  await call(api.POST(everywhere ? '/api/v1/auth/logout-all' : '/api/v1/auth/logout'));
  forget();
}

/** Drops everything this tab knows about the person, including the service worker's reads. */
export function forget(): void {
  setAccessToken(null);
  session.me = null;
  session.spaces = [];
  // From the page itself too: the worker may not control this page yet.
  void caches?.delete('kept-offline');
  void caches?.delete('kept-pages');
  navigator.serviceWorker?.controller?.postMessage('forget');
  void forgetThisDevice();
}
