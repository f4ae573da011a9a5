// What every story needs: a partner's own browser context on the server, screenshots at the
// two sizes, an accessibility check of each screen, and a guard that no request leaves the
// origin.
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { mkdirSync } from 'node:fs';
import { QUICK_EXIT, type Server } from './server';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export interface Partner {
  context: BrowserContext;
  page: Page;
  /** Requests that tried to leave the server's origin (there must be none). */
  foreign: string[];
}

/** The pages of the running test, photographed if it fails (the trace has the rest). */
const open: Page[] = [];
// eslint-disable-next-line no-empty-pattern -- Playwright reads the fixtures a hook asks for from this pattern
test.afterEach(async ({}, info) => {
  if (info.status !== info.expectedStatus) {
    for (const [i, page] of open.entries()) {
      await page.screenshot({ path: info.outputPath(`partner-${i}.png`), fullPage: true }).catch(() => {});
    }
  }
  open.length = 0;
});

export async function partner(browser: Browser, server: Server, timezoneId = 'Europe/London'): Promise<Partner> {
  const context = await browser.newContext({ baseURL: server.url, viewport: PHONE, timezoneId, locale: 'en-GB' });
  const foreign: string[] = [];
  // Anything aimed off the origin is recorded and refused; the quick exit's neutral site is
  // answered locally so the test can see where it went.
  await context.route(
    (url) => url.origin !== server.url,
    async (route) => {
      const url = route.request().url();
      if (url.startsWith(QUICK_EXIT)) {
        await route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>Weather</title><h1>Weather</h1>' });
        return;
      }
      foreign.push(url);
      await route.abort();
    },
  );
  const page = await context.newPage();
  open.push(page);
  page.on('pageerror', (error) => {
    throw error;
  });
  return { context, page, foreign };
}

/**
 * Looks at the screen as a person would: no serious or critical accessibility violation, and a
 * screenshot at phone and desktop size under test-results/screens/.
 */
export async function screen(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => {});
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`), `accessibility of ${name}`).toEqual([]);
  mkdirSync('test-results/screens', { recursive: true });
  const original = page.viewportSize() ?? PHONE;
  for (const size of [PHONE, DESKTOP]) {
    await page.setViewportSize(size);
    await page.screenshot({ path: `test-results/screens/${name}-${size.width}x${size.height}.png`, fullPage: true });
  }
  await page.setViewportSize(original);
}

export async function signUp(page: Page, name: string, email: string, password = 'correct horse battery'): Promise<void> {
  await page.getByLabel('Your name, as your partner will see it').fill(name);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Choose a password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  // Signed up once the app has moved on (its session cookie is set by then).
  await expect(page.getByRole('heading', { name: 'Create your account' })).toHaveCount(0);
}

/** A zone where it is now between 08:00 and 16:00, so today's times in a story are still ahead. */
export function daytimeZone(now = new Date()): string {
  for (let offset = -12; offset <= 14; offset++) {
    // Etc/GMT+N is N hours *behind* UTC (the POSIX sign).
    const zone = offset === 0 ? 'Etc/UTC' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
    const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', hourCycle: 'h23' }).format(now));
    if (hour >= 8 && hour <= 16) return zone;
  }
  return 'Etc/UTC';
}

/** The local time `hours` from now in `zone`, as HH:MM (whole minutes). */
export function localTimeIn(zone: string, hours: number): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(Date.now() + hours * 3600_000),
  );
}

/** Today's weekday in `zone`: Mon … Sun. */
export function weekdayIn(zone: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, weekday: 'short' }).format(new Date());
}

async function post(server: Server, path: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
}

export interface Pair {
  space: string;
  annToken: string;
  benToken: string;
}

/** Ann and Ben with a shared space, made through the API (the pairing story tests the screens). */
export async function pairedThroughApi(server: Server, zone: string, suffix = ''): Promise<Pair> {
  const account = (name: string) => ({
    email: `${name.toLowerCase()}${suffix}@example.org`,
    password: 'correct horse battery',
    display_name: name,
    time_zone: zone,
  });
  const ann = await post(server, '/auth/register', account('Ann'));
  const ben = await post(server, '/auth/register', account('Ben'));
  const annToken = ann['access_token'] as string;
  const benToken = ben['access_token'] as string;
  const space = await post(server, '/spaces', { name: 'Us' }, annToken);
  const invite = await post(server, `/spaces/${space['id'] as string}/invites`, {}, annToken);
  await post(server, `/invites/${invite['code'] as string}/accept`, {}, benToken);
  return { space: space['id'] as string, annToken, benToken };
}

export async function signIn(page: Page, email: string, password = 'correct horse battery'): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Today', level: 1 })).toBeVisible();
}
