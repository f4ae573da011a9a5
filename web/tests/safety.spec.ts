// Story: the quick exit leaves no way back into the app; the safety exit signs the leaver out
// and shows where to get help; the help page is public.
import { test, expect } from '@playwright/test';
import { QUICK_EXIT, startServer, type Server } from './server';
import { daytimeZone, pairedThroughApi, partner, screen, signIn } from './helpers';

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server.stop();
});

test('the quick exit leaves at once and Back does not return to the app', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone, '-exit');
  const ann = await partner(browser, server, zone);
  await signIn(ann.page, 'ann-exit@example.org');
  // Capitals typed in a sentence are not the shortcut.
  await ann.page.getByLabel('How are you, in a line?').focus();
  for (const key of ['Shift+KeyI', 'Space', 'Shift+KeyM', 'Space', 'Shift+KeyB']) await ann.page.keyboard.press(key);
  await expect(ann.page.getByLabel('How are you, in a line?')).toHaveValue('I M B');
  await ann.page.getByRole('link', { name: 'Timeline' }).click();
  await expect(ann.page.getByRole('heading', { name: 'Timeline' })).toBeVisible();

  await ann.page.keyboard.press('Shift');
  await ann.page.keyboard.press('Shift');
  await ann.page.keyboard.press('Shift');
  await ann.page.waitForURL(QUICK_EXIT);
  await expect(ann.page.getByRole('heading', { name: 'Weather' })).toBeVisible();

  await ann.page.goBack().catch(() => null);
  await ann.page.waitForLoadState('load');
  await expect(ann.page.getByRole('heading', { name: 'Timeline' })).toHaveCount(0);
  await expect(ann.page.getByRole('heading', { name: 'Today', level: 1 })).toHaveCount(0);
  // Opening the app again asks to sign in: the session ended with the exit.
  await ann.page.goto('/');
  await expect(ann.page.getByRole('link', { name: 'Sign in' }).first()).toBeVisible();

  // The visible button does the same.
  await signIn(ann.page, 'ann-exit@example.org');
  await ann.page.getByRole('button', { name: /Quick exit/ }).click();
  await ann.page.waitForURL(QUICK_EXIT);
  expect(ann.foreign).toEqual([]);
});

test('signing in and leaving work from the keyboard alone', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone, '-keys');
  const ann = await partner(browser, server, zone);
  await ann.page.goto('/sign-in');
  // The screen's heading has focus when it opens, so the next Tab is the form's first field.
  await expect(ann.page.getByRole('heading', { name: 'Sign in', level: 1 })).toBeFocused();
  await ann.page.keyboard.press('Tab');
  await expect(ann.page.getByLabel('Email address')).toBeFocused();
  await ann.page.keyboard.type('ann-keys@example.org');
  await ann.page.keyboard.press('Tab');
  await ann.page.keyboard.type('correct horse battery');
  await ann.page.keyboard.press('Enter');
  await expect(ann.page.getByRole('heading', { name: 'Today', level: 1 })).toBeFocused();
  // The quick exit is reachable by keyboard too.
  await ann.page.getByRole('button', { name: /Quick exit/ }).focus();
  await ann.page.keyboard.press('Enter');
  await ann.page.waitForURL(QUICK_EXIT);
});

test('the safety exit signs the leaver out and shows help', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone, '-safety');
  const ann = await partner(browser, server, zone);
  const ben = await partner(browser, server, zone);
  await signIn(ann.page, 'ann-safety@example.org');
  await signIn(ben.page, 'ben-safety@example.org');

  await ben.page.getByRole('link', { name: 'Settings' }).click();
  await ben.page.getByRole('button', { name: 'Safety exit' }).click();
  await expect(ben.page.getByText('Leave now and sign out everywhere?')).toBeVisible();
  await ben.page.getByRole('button', { name: 'Yes, leave now' }).click();
  await expect(ben.page.getByRole('heading', { name: 'Get help' })).toBeVisible();
  await expect(ben.page.getByText('You have left the space and are signed out everywhere.')).toBeVisible();
  await screen(ben.page, 'help-after-safety-exit');
  await ben.page.goto('/settings');
  await expect(ben.page.getByRole('heading', { name: 'Sign in' })).toBeVisible();

  // Ann is told only that the space closed.
  await ann.page.getByRole('link', { name: 'Timeline' }).click();
  await expect(ann.page.getByText('The space was closed.')).toBeVisible();

  // Help is public and linked from the sign-in page.
  const stranger = await partner(browser, server);
  await stranger.page.goto('/sign-in');
  await screen(stranger.page, 'sign-in');
  await stranger.page.getByRole('link', { name: 'If you are not safe, get help now' }).click();
  await expect(stranger.page.getByRole('heading', { name: 'Get help' })).toBeVisible();
  await screen(stranger.page, 'help');
  await stranger.page.getByRole('link', { name: 'How Kept works' }).first().click();
  await screen(stranger.page, 'how-kept-works');
  for (const p of [ann, ben, stranger]) expect(p.foreign).toEqual([]);
});

test('deleting one’s account asks for the password, then leaves nothing to sign in to', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone, '-delete');
  const ann = await partner(browser, server, zone);
  const ben = await partner(browser, server, zone);
  await signIn(ann.page, 'ann-delete@example.org');
  await signIn(ben.page, 'ben-delete@example.org');

  await ben.page.getByRole('link', { name: 'Settings' }).click();
  await ben.page.getByRole('button', { name: 'Delete my account…' }).click();
  const password = ben.page.getByLabel('Your password, to confirm');
  await expect(password).toBeVisible();
  await password.fill('not my password');
  await ben.page.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(ben.page.getByText('That is not your password; nothing was deleted.')).toBeVisible();
  await screen(ben.page, 'settings-delete-account');
  await password.fill('correct horse battery');
  await ben.page.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(ben.page.getByText('Your account is deleted, and everything you wrote with it.')).toBeVisible();
  await screen(ben.page, 'welcome-after-deletion');
  await ben.page.goto('/sign-in');
  await ben.page.getByLabel('Email address').fill('ben-delete@example.org');
  await ben.page.getByLabel('Password').fill('correct horse battery');
  await ben.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(ben.page.getByText('That email and password do not match an account.')).toBeVisible();

  // Ann is told that her partner left.
  await ann.page.getByRole('link', { name: 'Timeline' }).click();
  await expect(ann.page.getByText(/left/).first()).toBeVisible();
  for (const p of [ann, ben]) expect(p.foreign).toEqual([]);
});
