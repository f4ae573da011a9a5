// Story: Ann signs up, confirms her address from the mail, creates the space and invites Ben
// by email; Ben opens the mailed link signed out, signs up and joins; both see each other.
import { test, expect } from '@playwright/test';
import { startServer, type Server } from './server';
import { partner, screen, signUp } from './helpers';

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server.stop();
});

test('Ann and Ben pair up from a mailed invite', async ({ browser }) => {
  const ann = await partner(browser, server);
  await ann.page.goto('/');
  await expect(ann.page.getByRole('heading', { level: 1 })).toHaveText('Rebuild trust, one kept promise at a time');
  await screen(ann.page, 'welcome');

  await ann.page.getByRole('link', { name: 'Create an account' }).click();
  await expect(ann.page.getByRole('heading', { name: 'Create your account' })).toBeFocused();
  await screen(ann.page, 'sign-up');
  await signUp(ann.page, 'Ann', 'ann@example.org');
  await expect(ann.page.getByRole('heading', { name: 'Make your shared space' })).toBeVisible();
  await screen(ann.page, 'pair');

  const verification = await server.mail('ann@example.org', /confirm|verify/i);
  await ann.page.goto(verification.link);
  await expect(ann.page.getByText('your email address is confirmed')).toBeVisible();
  await screen(ann.page, 'verify-email');

  await ann.page.goto('/');
  await ann.page.getByLabel('Name of the space').fill('Us');
  await ann.page.getByRole('button', { name: 'Create the space' }).click();
  await expect(ann.page.getByRole('heading', { name: 'Today', level: 1 })).toBeVisible();
  await ann.page.getByLabel('Your partner’s email address').fill('ben@example.org');
  await ann.page.getByRole('button', { name: 'Email the invite' }).click();
  await expect(ann.page.getByText('The invite was emailed to ben@example.org.')).toBeVisible();
  await screen(ann.page, 'today-unpaired');

  const invite = await server.mail('ben@example.org', /invit/i);
  expect(invite.link).toContain('/join/');
  const ben = await partner(browser, server, 'America/New_York');
  await ben.page.goto(invite.link);
  await expect(ben.page.getByRole('heading', { name: 'You are invited' })).toBeVisible();
  await screen(ben.page, 'join-signed-out');
  await ben.page.getByRole('link', { name: 'Create an account' }).click();
  await signUp(ben.page, 'Ben', 'ben@example.org');
  await expect(ben.page.getByRole('button', { name: 'Join the space' })).toBeVisible();
  await ben.page.getByRole('button', { name: 'Join the space' }).click();
  await expect(ben.page.getByRole('heading', { name: 'Today', level: 1 })).toBeVisible();
  await expect(ben.page.getByRole('heading', { name: 'Ann’s latest check-in' })).toBeVisible();

  // Ann's open screen learns of Ben's arrival on the live stream, without a reload.
  await expect(ann.page.getByRole('heading', { name: 'Ben’s latest check-in' })).toBeVisible();
  await screen(ben.page, 'today');

  // The same invite again: already used, said plainly.
  const carol = await partner(browser, server);
  await carol.page.goto('/sign-up');
  await signUp(carol.page, 'Carol', 'carol@example.org');
  await carol.page.goto(new URL(invite.link).pathname);
  await carol.page.getByRole('button', { name: 'Join the space' }).click();
  await expect(carol.page.getByRole('alert')).toContainText(/already been used|already has two partners/);
  await screen(carol.page, 'join-used');

  for (const p of [ann, ben, carol]) expect(p.foreign).toEqual([]);
});

test('a forgotten password is replaced from the mailed link', async ({ browser }) => {
  // Ann's address was confirmed in the story above: only confirmed addresses get reset links.
  const ann = await partner(browser, server);
  await ann.page.goto('/sign-in');
  await ann.page.getByRole('link', { name: 'Forgotten your password?' }).click();
  await ann.page.getByLabel('Email address').fill('ann@example.org');
  await ann.page.getByRole('button', { name: 'Email me a link' }).click();
  await expect(ann.page.getByText('a link is on its way')).toBeVisible();
  await screen(ann.page, 'forgot-password');

  const reset = await server.mail('ann@example.org', /password/i);
  expect(reset.link).toContain('/reset-password?token=');
  await ann.page.goto(reset.link);
  await expect(ann.page.getByRole('heading', { name: 'Choose a new password' })).toBeVisible();
  await ann.page.getByLabel('Choose a password').fill('short');
  await ann.page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(ann.page.getByRole('alert')).toBeVisible();
  await screen(ann.page, 'reset-password-invalid');
  await ann.page.getByLabel('Choose a password').fill('a much longer new passphrase');
  await ann.page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(ann.page.getByText('Your password is changed')).toBeVisible();

  // The same link again is refused plainly; the new password signs in.
  await ann.page.goto(reset.link);
  await ann.page.getByLabel('Choose a password').fill('yet another long passphrase');
  await ann.page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(ann.page.getByRole('alert')).toContainText('no longer valid');
  await ann.page.goto('/sign-in');
  await ann.page.getByLabel('Email address').fill('ann@example.org');
  await ann.page.getByLabel('Password').fill('a much longer new passphrase');
  await ann.page.getByRole('button', { name: 'Sign in' }).click();
  await expect(ann.page.getByRole('heading', { name: 'Today', level: 1 })).toBeVisible();
  expect(ann.foreign).toEqual([]);
});
