// A small client-side router over the History API: the app's routes are the links Kept mails
// (/join/{code}, /spaces/{id}/…), so each screen is a plain path with no hash.
import { pathInApp } from './app-path';

export interface Location {
  path: string;
  query: URLSearchParams;
}

export const location: Location = $state({
  path: window.location.pathname,
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole on navigation, never mutated
  query: new URLSearchParams(window.location.search),
});

function sync(): void {
  location.path = window.location.pathname;
  location.query = new URLSearchParams(window.location.search);
}

/** Go to `href` inside the app; `replace` leaves no history entry (redirects, sign-out). */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  sync();
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', sync);

/** Follows same-origin links without a page load (modifier keys keep the browser's meaning). */
export function interceptLinks(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest('a');
  if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local reading, not state
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith('/api/')) return;
  if (url.hash && url.pathname === window.location.pathname) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
}

/** `wanted` as a path inside this app (for a `next` parameter), or null for anything else. */
export function appPath(wanted: string | null): string | null {
  return pathInApp(wanted, window.location.origin);
}

/** Matches `path` against a pattern like `/spaces/:space/talks/:talk`; the named parts or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const h = decodeURIComponent(have[i] as string);
    if (w.startsWith(':')) params[w.slice(1)] = h;
    else if (w !== h) return null;
  }
  return params;
}
