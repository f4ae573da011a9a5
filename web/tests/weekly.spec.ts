// Story: the weekly check-in. Ann starts it and answers, keeping one answer private; Ben's
// screen says only that she is ready; he answers and submits; both screens show the answers
// side by side without a reload, and Ann's private answer is on hers alone. Then answers become
// action (a request in one step; no agenda without a coming talk), and the two agree on another
// day and time for the check-in: Ann proposes, Ben accepts, both screens follow.
import { test, expect } from '@playwright/test';
import { startServer, type Server } from './server';
import { daytimeZone, pairedThroughApi, partner, screen, signIn } from './helpers';

let server: Server;
test.beforeAll(async () => {
  server = await startServer();
});
test.afterAll(async () => {
  await server.stop();
});

test('both answer privately and see the answers together', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone);
  const ann = await partner(browser, server, zone);
  const ben = await partner(browser, server, zone);
  await signIn(ann.page, 'ann@example.org');
  await signIn(ben.page, 'ben@example.org');

  await ann.page.getByRole('link', { name: 'Open the weekly check-in' }).click();
  await ann.page.getByRole('button', { name: 'Start a check-in now' }).click();
  await ann.page.getByLabel('Your answer: Something I appreciated this week').fill('You cooked on Tuesday.');
  await ann.page.getByLabel('Your answer: Something that was hard').fill('Sunday evening, quietly.');
  await ann.page.getByLabel('Keep my answer to “Something that was hard” private').check();
  await ann.page.getByLabel('How did the week feel, from 1 to 10?').selectOption('7');
  await screen(ann.page, 'weekly-answering');
  await ann.page.getByRole('button', { name: 'Submit my answers' }).click();
  await expect(ann.page.getByText('Your answers are in. Waiting for Ben')).toBeVisible();

  await ben.page.getByRole('link', { name: 'Open the weekly check-in' }).click();
  await expect(ben.page.getByText('Ann has answered.')).toBeVisible();
  await expect(ben.page.getByText('You cooked on Tuesday.')).toHaveCount(0);
  await ben.page.getByLabel('Your answer: Something that went well').fill('Our walk by the canal.');
  await ben.page.getByRole('button', { name: 'Submit my answers' }).click();

  // The reveal reaches both screens as it happens.
  await expect(ben.page.getByText('You cooked on Tuesday.')).toBeVisible();
  await expect(ann.page.getByText('Our walk by the canal.')).toBeVisible();
  await expect(ben.page.getByText('Sunday evening, quietly.')).toHaveCount(0);
  await expect(ann.page.getByText('Sunday evening, quietly.')).toBeVisible();
  await expect(ann.page.getByText('Both answered')).toBeVisible();
  await screen(ann.page, 'weekly-revealed');
  await screen(ben.page, 'weekly-revealed-partner');

  // From answers to action.
  await ben.page.getByRole('button', { name: 'Add Ann’s answer to “Something I appreciated this week” to the next talk’s agenda' }).click();
  await expect(ben.page.getByRole('alert')).toContainText('No talk is coming up');
  // Her private answer stays private: it offers no action at all.
  await expect(ann.page.getByRole('button', { name: 'Ask Ben for my answer to “Something that was hard” as a request' })).toHaveCount(0);
  await ann.page.getByRole('button', { name: 'Ask Ben for my answer to “Something I appreciated this week” as a request' }).click();
  await expect(ann.page.getByText('Your request was sent.')).toBeVisible();

  // Another day and time, agreed by both.
  await ann.page.getByRole('button', { name: 'Propose a change' }).click();
  await ann.page.getByLabel('Day').selectOption('Fri');
  await ann.page.getByLabel('Time (yours)').fill('19:30');
  await ann.page.getByLabel('Open for').selectOption('2');
  await ann.page.getByRole('button', { name: 'Propose', exact: true }).click();
  await expect(ann.page.getByText('You proposed a change; waiting for Ben')).toBeVisible();
  await expect(ben.page.getByText('Ann proposed a change:')).toBeVisible();
  await screen(ben.page, 'weekly-plan-proposed');
  await ben.page.getByRole('button', { name: 'Accept the change' }).click();
  const agreed = /Every Friday at 19:30 in each of your time zones, open for 2 days/;
  await expect(ben.page.getByText(agreed)).toBeVisible();
  await expect(ann.page.getByText(agreed)).toBeVisible();
  await expect(ann.page.getByText('You proposed a change')).toHaveCount(0);
});
