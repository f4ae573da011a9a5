// Story: a talk proposed, moved, accepted, agenda added, held; a letter for tomorrow that the
// partner cannot see; a private and a shared trust rating; settings saved and reloaded.
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

function tomorrowIn(zone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(Date.now() + 24 * 3600_000));
}
/** A whole minute at least 20 s ahead (a talk can only be moved into the future). */
function soon(): Date {
  const next = new Date(Math.ceil((Date.now() + 20_000) / 60_000) * 60_000);
  return next;
}
function dateIn(zone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(at);
}
function clockIn(zone: string, at: Date): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
}

test('talks, letters, trust and settings', async ({ browser }) => {
  const zone = daytimeZone();
  await pairedThroughApi(server, zone);
  const ann = await partner(browser, server, zone);
  const ben = await partner(browser, server, zone);
  await signIn(ann.page, 'ann@example.org');
  await signIn(ben.page, 'ben@example.org');

  // A talk: Ann proposes tomorrow; Ben moves it to a minute from now; Ann accepts and adds to
  // the agenda; once it has begun (after the letter, trust and settings), she marks it held.
  await ann.page.getByRole('link', { name: 'Talks' }).click();
  await ann.page.getByLabel('What about').fill('How we spend Sundays');
  await ann.page.getByLabel('Date').fill(tomorrowIn(zone));
  await ann.page.getByLabel('Time (yours)').fill('19:00');
  await screen(ann.page, 'talks');
  await ann.page.getByRole('button', { name: 'Propose' }).click();
  await expect(ann.page.getByRole('heading', { name: 'How we spend Sundays' })).toBeVisible();
  await expect(ann.page.getByText('Waiting for your partner’s answer.')).toBeVisible();

  await expect(ben.page.getByText('Ann proposed a talk:')).toBeVisible();
  await ben.page.getByRole('link', { name: 'How we spend Sundays' }).click();
  await ben.page.getByRole('button', { name: 'Move', exact: true }).click();
  const startsAt = soon();
  await ben.page.getByLabel('Date').fill(dateIn(zone, startsAt));
  await ben.page.getByLabel('Time (yours)').fill(clockIn(zone, startsAt));
  await ben.page.getByRole('button', { name: 'Move the talk' }).click();
  await expect(ben.page.getByText('Waiting for your partner’s answer.')).toBeVisible();

  await expect(ann.page.getByRole('button', { name: 'Accept' })).toBeVisible();
  await ann.page.getByRole('button', { name: 'Accept' }).click();
  await ann.page.getByLabel('Add to the agenda').fill('Sunday mornings, just us');
  await ann.page.getByRole('button', { name: 'Add', exact: true }).click();
  await expect(ben.page.getByText('Sunday mornings, just us')).toBeVisible();
  const talk = ann.page.url();

  // A letter for tomorrow is Ann's alone until then.
  await ann.page.getByRole('link', { name: 'Notes' }).click();
  await ann.page.getByLabel('Letter').check();
  await ann.page.getByLabel('My letter').fill('I have been thinking about what you said on Sunday.');
  await ann.page.getByLabel('Deliver it later').check();
  await ann.page.getByLabel('Deliver on').fill(tomorrowIn(zone));
  await ann.page.getByLabel('At (your time)').fill('09:00');
  await ann.page.getByRole('button', { name: 'Send' }).click();
  await expect(ann.page.getByText('Saved. Your partner sees it when it is delivered.')).toBeVisible();
  await expect(ann.page.getByText(/will be delivered/)).toBeVisible();
  await screen(ann.page, 'notes');
  await ann.page.getByRole('link', { name: 'I have been thinking about what you said on Sunday.' }).click();
  await expect(ann.page.getByRole('heading', { name: 'Letter' })).toBeVisible();
  await screen(ann.page, 'letter');
  await ben.page.getByRole('link', { name: 'Notes' }).click();
  await expect(ben.page.getByText('No notes yet.')).toBeVisible();
  await expect(ben.page.getByText('I have been thinking')).toHaveCount(0);

  // Trust: Ann's rating stays private, Ben shares his.
  await ann.page.getByRole('link', { name: 'Together' }).click();
  await ann.page.getByLabel(/Trust today/).fill('6');
  await ann.page.getByRole('button', { name: 'Save rating' }).click();
  await expect(ann.page.getByRole('cell', { name: 'only you' })).toBeVisible();
  await ben.page.getByRole('link', { name: 'Together' }).click();
  await ben.page.getByLabel(/Trust today/).fill('8');
  await ben.page.getByLabel('Share this rating with my partner').check();
  await ben.page.getByRole('button', { name: 'Save rating' }).click();
  await expect(ben.page.getByRole('cell', { name: 'both' })).toBeVisible();
  await expect(ben.page.getByRole('cell', { name: '6', exact: true })).toHaveCount(0);
  await expect(ann.page.getByRole('cell', { name: '8', exact: true })).toBeVisible();
  await screen(ann.page, 'together');

  // Settings survive a reload.
  await ann.page.getByRole('link', { name: 'Settings' }).click();
  await ann.page.getByLabel('Your name, as your partner will see it').fill('Ann B');
  await ann.page.getByLabel('Check-in reminders at').fill('09:00, 21:00');
  await ann.page.getByLabel('Quiet hours: hold mail at night').check();
  await ann.page.getByLabel('a weekly summary').uncheck();
  await ann.page.getByRole('button', { name: 'Save settings' }).click();
  await expect(ann.page.getByText('Saved.', { exact: true })).toBeVisible();
  await ann.page.reload();
  await expect(ann.page.getByLabel('Your name, as your partner will see it')).toHaveValue('Ann B');
  await expect(ann.page.getByLabel('Check-in reminders at')).toHaveValue('09:00, 21:00');
  await expect(ann.page.getByLabel('Quiet hours: hold mail at night')).toBeChecked();
  await expect(ann.page.getByLabel('a weekly summary')).not.toBeChecked();
  await screen(ann.page, 'settings');

  await ann.page.waitForTimeout(Math.max(0, startsAt.getTime() + 1000 - Date.now()));
  await ann.page.goto(talk);
  await ann.page.getByLabel('We talked').check();
  await ann.page.getByLabel('Notes').fill('We agreed on a walk every Sunday.');
  await ann.page.getByRole('button', { name: 'Save' }).click();
  await expect(ann.page.getByText('We agreed on a walk every Sunday.')).toBeVisible();
  await screen(ann.page, 'talk');

  for (const p of [ann, ben]) expect(p.foreign).toEqual([]);
});
