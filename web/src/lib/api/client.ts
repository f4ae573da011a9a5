// The typed API client: openapi-fetch over the types generated from the server's OpenAPI
// document (schema.d.ts, never edited by hand). The access token lives in memory only; the
// refresh token is the HttpOnly cookie, so a reload restores the session through
// `/auth/refresh` and nothing secret is ever in storage. A 401 refreshes once and retries.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

let accessToken: string | null = null;
let refreshing: Promise<boolean | 'offline'> | null = null;
let renewal: ReturnType<typeof setTimeout> | undefined;
/** Renew this long before the access token runs out, so signing out always has a live token. */
const RENEW_AHEAD_SECONDS = 60;
/** Calls a 401 may not retry: they are how a session starts, or the retry itself. */
const NOT_RETRIED = ['/api/v1/auth/login', '/api/v1/auth/register', '/api/v1/auth/refresh'];
/** Called when the session is gone for good (refresh refused): the app shows sign-in. */
let onSignedOut: () => void = () => {};

/** Holds the session's access token (in memory only) and renews it before it expires. */
export function setAccessToken(token: string | null, expiresIn = 0): void {
  accessToken = token;
  clearTimeout(renewal);
  if (token && expiresIn > RENEW_AHEAD_SECONDS) {
    renewal = setTimeout(() => void refreshSession(), (expiresIn - RENEW_AHEAD_SECONDS) * 1000);
  }
}

/**
 * Ends this session on the server even as the page is being left (the quick exit): a
 * keep-alive request outlives the page, so the refresh cookie cannot bring the app back.
 */
export function endSessionAsPageCloses(): void {
  if (!accessToken) return;
  void fetch('/api/v1/auth/logout', {
    method: 'POST',
    keepalive: true,
    credentials: 'same-origin',
    headers: { authorization: `Bearer ${accessToken}` },
  }).catch(() => {});
}

export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

/**
 * Trades the refresh cookie for a new access token; one trade at a time for all callers.
 * `offline` when the server could not be reached (the session may still be good).
 */
export function refreshSession(): Promise<boolean | 'offline'> {
  refreshing ??= (async () => {
    try {
      // No body: the server then reads the HttpOnly cookie. Refresh tokens rotate and a reused
      // one ends the session, so tabs take turns (each then sends the cookie the last one got).
      const trade = () => fetch('/api/v1/auth/refresh', { method: 'POST', credentials: 'same-origin' });
      const response = navigator.locks ? await navigator.locks.request('kept-refresh', trade) : await trade();
      if (response.status === 401) {
        setAccessToken(null);
        return false;
      }
      // Rate limited or the database away: the session may well be fine; try again later.
      if (!response.ok) return 'offline';
      const tokens = (await response.json()) as Schemas['Tokens'];
      setAccessToken(tokens.access_token, tokens.expires_in);
      return true;
    } catch {
      return 'offline';
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

const retryable = new Map<string, Request>();

const auth: Middleware = {
  onRequest({ request, id }) {
    if (accessToken) request.headers.set('authorization', `Bearer ${accessToken}`);
    if (!NOT_RETRIED.some((path) => request.url.endsWith(path))) retryable.set(id, request.clone());
    return request;
  },
  async onResponse({ response, id }) {
    const original = retryable.get(id);
    retryable.delete(id);
    if (response.status !== 401 || !original) return response;
    const refreshed = await refreshSession();
    if (refreshed !== true) {
      if (refreshed === false) onSignedOut();
      return response;
    }
    original.headers.set('authorization', `Bearer ${accessToken ?? ''}`);
    return fetch(original);
  },
  onError({ id }) {
    retryable.delete(id);
  },
};

export const api = createClient<paths>({ credentials: 'same-origin' });
api.use(auth);

/** A failed call: the server's problem, or `offline` when the request never reached it. */
export class ApiFailure extends Error {
  constructor(
    readonly problem: Problem | null,
    readonly offline: boolean,
  ) {
    super(problem?.title ?? (offline ? 'offline' : 'failed'));
  }

  /** The message for one field named in a 422's `errors`. */
  field(name: string): string | undefined {
    return this.problem?.errors?.find((e) => e.field === name)?.message;
  }

  get code(): string | undefined {
    return this.problem?.code;
  }
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/** The data of a call, or an [`ApiFailure`]. Writes are refused at once while offline. */
export async function call<T>(request: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await request;
  } catch {
    throw new ApiFailure(null, true);
  }
  if (outcome.response.ok) return outcome.data as T;
  throw new ApiFailure((outcome.error as Problem | undefined) ?? null, false);
}

/** Refuses a write before it is tried when the device is offline, so nothing is silently lost. */
export function requireOnline(): void {
  if (!navigator.onLine) throw new ApiFailure(null, true);
}
