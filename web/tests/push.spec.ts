// Story: Ann turns on notifications on her device in Settings (the browser asks only when she
// taps); Ben proposes a talk; the server pushes it, and her service worker, handed that very
// push through Chromium's DevTools protocol, shows a neutral notification without a word of
// Ben's; tapping it opens the talk. Signing out of this browser removes the device.
//
// Headless Chromium cannot reach a real push service, so `PushManager.subscribe` is replaced
// in the page by one that hands over the subscription of a push service on loopback
// (push-service.ts), which decrypts what the server sends. Everything else is real.
import { test, expect } from '@playwright/test';
import { startServer, type Server } from './server';
import { daytimeZone, pairedThroughApi, partner, screen, signIn } from './helpers';
import { startPushService, type PushService } from './push-service';

let server: Server;
let service: PushService;
test.beforeAll(async () => {
  server = await startServer({ env: { KEPT__PUSH__ALLOW_PRIVATE_ENDPOINTS: 'true' } });
  service = await startPushService();
});
test.afterAll(async () => {
  await server.stop();
  await service.stop();
});

async function api(path: string, token: string, method = 'GET', body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

test('a push shows a neutral notification that opens the talk', async ({ browser }) => {
  const zone = daytimeZone();
  const pair = await pairedThroughApi(server, zone, '-push');
  const ann = await partner(browser, server, zone);
  await ann.context.grantPermissions(['notifications'], { origin: server.url });
  await ann.context.addInitScript((subscription) => {
    let subscribed = false;
    const fake = {
      endpoint: subscription.endpoint,
      expirationTime: null,
      toJSON: () => ({ endpoint: subscription.endpoint, keys: subscription.keys }),
      unsubscribe: async () => {
        subscribed = false;
        return true;
      },
    };
    PushManager.prototype.subscribe = async function () {
      subscribed = true;
      return fake as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async function () {
      return subscribed ? (fake as unknown as PushSubscription) : null;
    };
  }, service.subscription);

  await signIn(ann.page, 'ann-push@example.org');
  await ann.page.goto('/settings');
  await expect(ann.page.getByRole('heading', { name: 'Notifications on this device' })).toBeVisible();
  await screen(ann.page, 'settings-notifications-off');
  await ann.page.getByLabel('Name of this device').fill('Ann’s phone');
  await ann.page.getByRole('group', { name: 'What this device shows' }).getByLabel('The weekly check-in').uncheck();
  await ann.page.getByRole('button', { name: 'Turn on notifications on this device' }).click();
  const devices = ann.page.getByRole('list').filter({ hasText: 'Ann’s phone' });
  await expect(devices).toContainText('this device');
  await expect(devices).toContainText('Not notified yet');
  await expect(ann.page.getByRole('button', { name: 'Turn off on this device' })).toBeVisible();
  const listed = await api('/me/push-subscriptions', pair.annToken);
  expect(listed['items']).toMatchObject([{ label: 'Ann’s phone', kinds: { reminders: true, activity: true, weekly: false } }]);
  await screen(ann.page, 'settings-notifications');

  // Ben proposes a talk; the server's push carries the kind and the link, never the title.
  const talk = await api(`/spaces/${pair.space}/talks`, pair.benToken, 'POST', {
    title: 'The thing with my sister',
    mode: 'in_person',
    starts_at: new Date(Date.now() + 3 * 86400_000).toISOString(),
    duration_minutes: 60,
  });
  const link = `/spaces/${pair.space}/talks/${talk['id'] as string}`;
  await expect.poll(() => service.received.length).toBe(1);
  expect(service.received[0]).toEqual({ kind: 'activity', link });

  // That push, handed to Ann's service worker as a push service would.
  const cdp = await ann.context.newCDPSession(ann.page);
  const registrations: string[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations: updated }) => {
    for (const registration of updated) if (!registration.isDeleted) registrations.push(registration.registrationId);
  });
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.length).toBeGreaterThan(0);
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: server.url,
    registrationId: registrations[0] ?? '',
    data: JSON.stringify(service.received[0]),
  });
  const shown = () =>
    ann.page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      const notifications = await registration.getNotifications();
      return notifications.map((n) => ({ title: n.title, body: n.body, data: n.data as unknown }));
    });
  await expect.poll(shown).toEqual([{ title: 'Kept', body: 'Something new from your partner', data: { link } }]);

  // Tapping it opens the talk in the app that is already open.
  const [worker] = ann.context.serviceWorkers();
  expect(worker).toBeDefined();
  await worker?.evaluate(
    (target) => (self as unknown as { handleNotificationClick: (link: string) => Promise<void> }).handleNotificationClick(target),
    link,
  );
  await ann.page.waitForURL(`**${link}`);
  await expect(ann.page.getByRole('heading', { name: 'The thing with my sister' })).toBeVisible();

  // Signing out of this browser removes the device: nothing is pushed to a signed-out browser.
  await ann.page.goto('/settings');
  await ann.page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await ann.page.waitForURL('**/sign-in');
  await expect.poll(async () => (await api('/me/push-subscriptions', pair.annToken))['items']).toEqual([]);
  expect(ann.foreign).toEqual([]);
});
