/// <reference lib="webworker" />
// Kept's service worker: the app shell from the precache (so the app opens offline), pages
// network-first (a new release and the operator's settings reach people at once), and for
// offline reading the last answers of three reads: who I am, my spaces, and the timeline.
// Nothing else from the API is stored, and never a token. Signing out clears them (the page
// posts `forget`; the server also sends Clear-Site-Data on signing out everywhere and on the
// safety exit).
import { precacheAndRoute, createHandlerBoundToURL } from 'workbox-precaching';
import { registerRoute, NavigationRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';

declare const self: ServiceWorkerGlobalScope;

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
