/// <reference lib="webworker" />
// Kept's service worker: the app shell from the precache (so the app opens offline), pages
// network-first (a new release and the operator's settings reach people at once), and for
// offline reading the last answers of three reads: who I am, my spaces, and the timeline.
// Nothing else from the API is stored, and never a token. Signing out clears them (the page
// posts `forget`; the server also sends Clear-Site-Data on signing out everywhere and on the
// safety exit). And Web Push: a push carries only a kind and a link, so the notification says
// something neutral ("Time for your check-in") that is safe on a lock screen, and tapping it
// opens the linked screen.
import { t, type MessageKey } from './lib/i18n';
import { pathInApp } from './lib/app-path';
import { precacheAndRoute, createHandlerBoundToURL } from 'workbox-precaching';
import { registerRoute, NavigationRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

declare const self: ServiceWorkerGlobalScope & {
  /**
   * What tapping a notification does. On `self` only so that the browser tests can call it:
   * a real tap cannot be made in headless Chromium.
   */
  handleNotificationClick: (link: string) => Promise<void>;
};

const OFFLINE_CACHE = 'kept-offline';
const OFFLINE_READS = [/^\/api\/v1\/me$/, /^\/api\/v1\/spaces$/, /^\/api\/v1\/spaces\/[^/]+\/events$/];

precacheAndRoute(self.__WB_MANIFEST);

const shell = createHandlerBoundToURL('/index.html');
const pages = new NetworkFirst({ cacheName: 'kept-pages', networkTimeoutSeconds: 4 });
registerRoute(
  new NavigationRoute(
    async (options) => {
      try {
        return await pages.handle(options);
      } catch {
        return shell(options);
      }
    },
    { denylist: [/^\/api\//, /^\/healthz/, /^\/readyz/, /^\/metrics/] },
  ),
);

registerRoute(
  ({ url, request }) => request.method === 'GET' && OFFLINE_READS.some((read) => read.test(url.pathname)),
  new NetworkFirst({ cacheName: OFFLINE_CACHE, networkTimeoutSeconds: 4 }),
);

self.addEventListener('message', (event: ExtendableMessageEvent) => {
  if (event.data === 'forget') {
    event.waitUntil(Promise.all([caches.delete(OFFLINE_CACHE), caches.delete('kept-pages')]));
  }
});

self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

/** The neutral words for each kind of push; anything else gets the general one. */
const NOTICES: Record<string, MessageKey> = {
  activity: 'push.activity',
  check_in_reminder: 'push.check_in_reminder',
  talk_reminder: 'push.talk_reminder',
  commitment_reminder: 'push.commitment_reminder',
  missed_notice: 'push.missed_notice',
  weekly_check_in: 'push.weekly_check_in',
  weekly_partner_ready: 'push.weekly_partner_ready',
};

/** The link of a push, when it is a path inside this app (anything else opens the app's home). */
function linkOf(data: unknown): string {
  const link = typeof data === 'object' && data !== null && 'link' in data ? data.link : null;
  return pathInApp(link, self.location.origin) ?? '/';
}

self.addEventListener('push', (event: PushEvent) => {
  let data: unknown = null;
  try {
    data = event.data?.json();
  } catch {
    // Not JSON: still a notice, with the general words.
  }
  const kind = typeof data === 'object' && data !== null && 'kind' in data ? String(data.kind) : '';
  const link = linkOf(data);
  event.waitUntil(
    self.registration.showNotification(t('push.title'), {
      body: t(Object.hasOwn(NOTICES, kind) ? (NOTICES[kind] as MessageKey) : 'push.general'),
      icon: '/icon-192.png',
      badge: '/icon-192.png',
      // One notification per screen: a second notice about the same thing replaces the first.
      tag: link,
      data: { link },
    }),
  );
});

self.handleNotificationClick = async (link: string): Promise<void> => {
  const path = linkOf({ link });
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    // The open app moves to the screen itself (no reload, nothing typed is lost).
    open.postMessage({ type: 'open', link: path });
    // Allowed only while handling the tap itself; the screen has moved either way.
    await open.focus().catch(() => undefined);
    return;
  }
  await self.clients.openWindow(new URL(path, self.location.origin).href);
};

self.addEventListener('notificationclick', (event: NotificationEvent) => {
  event.notification.close();
  event.waitUntil(self.handleNotificationClick(linkOf(event.notification.data)));
});
