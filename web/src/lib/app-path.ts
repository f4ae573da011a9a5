// Which addresses count as a screen of this app: a path that stays on `origin` once resolved.
// Shared by the page (a `next` parameter, a tapped notification) and the service worker, which
// has no window, so it is given the origin.

/** `wanted` as a path inside this app, or null for anything else ("//host", "/\host", a URL). */
export function pathInApp(wanted: unknown, origin: string): string | null {
  if (typeof wanted !== 'string' || !wanted.startsWith('/')) return null;
  try {
    const url = new URL(wanted, origin);
    return url.origin === origin ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}
