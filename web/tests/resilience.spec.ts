// Story: offline, the app shell and the last timeline open from the service worker with a
// notice, and writes are refused clearly; an access token that expired in the background is
// refreshed without the person noticing.
import { test, expect } from '@playwright/test';
import { startServer, type Server } from './server';
import { daytimeZone, pairedThroughApi, partner, screen, signIn } from './helpers';

let server: Server;
test.beforeAll(async () => {
  // Access tokens live one minute here, so one can expire during the test.
  server = await startServer({ env: { KEPT__AUTH__ACCESS_TOKEN_MINUTES: '1' } });
});
test.afterAll(async () => {
  await server.stop();
});

test('offline: the shell and the last timeline, with a notice; writes refused', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone, '-offline');
  const ann = await partner(browser, server, zone);
  await signIn(ann.page, 'ann-offline@example.org');
  await ann.page.getByLabel('How are you, in a line?').fill('Slept well, thank you.');
  await ann.page.getByRole('button', { name: 'Send check-in' }).click();
  await expect(ann.page.getByText('Sent to your partner.')).toBeVisible();
  // The service worker controls the page once it has activated; it keeps the reads it answers
  // from then on. On a slow machine it may take control only after the sign-in's reads (who I
  // am, my spaces), so the app is opened again, as a person does, before going offline.
  await ann.page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await ann.page.reload();
  await expect(ann.page.getByLabel('How are you, in a line?')).toBeVisible();
  await ann.page.getByRole('link', { name: 'Timeline' }).click();
  await expect(ann.page.getByText('You checked in: “Slept well, thank you.”')).toBeVisible();

  await ann.context.setOffline(true);
  await ann.page.reload();
  await expect(ann.page.getByText(/You are offline/).first()).toBeVisible();
  await expect(ann.page.getByText('You checked in: “Slept well, thank you.”')).toBeVisible();
  await screen(ann.page, 'timeline-offline');

  await ann.page.getByRole('link', { name: 'Today' }).click();
  await ann.page.getByLabel('How are you, in a line?').fill('Written offline');
  await ann.page.getByRole('button', { name: 'Send check-in' }).click();
  await expect(ann.page.getByRole('alert')).toHaveCount(1);
  await expect(ann.page.getByRole('alert')).toContainText('Nothing was sent.');
  await ann.context.setOffline(false);
});

test('an access token that expired is refreshed without the person noticing', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone, '-expiry');
  const ben = await partner(browser, server, zone);
  await signIn(ben.page, 'ben-expiry@example.org');
  let refreshed = 0;
  let refused = 0;
  ben.page.on('response', (response) => {
    if (response.url().endsWith('/api/v1/auth/refresh') && response.ok()) refreshed += 1;
    if (response.status() === 401) refused += 1;
  });
  // The one-minute token runs out while the page stays open.
  await ben.page.waitForTimeout(62_000);
  await ben.page.getByLabel('How are you, in a line?').fill('Still here.');
  await ben.page.getByRole('button', { name: 'Send check-in' }).click();
  await expect(ben.page.getByText('Sent to your partner.')).toBeVisible();
  await expect(ben.page.getByRole('alert')).toHaveCount(0);
  expect(refused).toBeGreaterThan(0);
  expect(refreshed).toBeGreaterThan(0);
  await ben.page.getByRole('link', { name: 'Timeline' }).click();
  await expect(ben.page.getByText('You checked in: “Still here.”')).toBeVisible();
});
