// What every story needs: a partner's own browser context on the server, screenshots at the
// two sizes, an accessibility check of each screen, and a guard that no request leaves the
// origin.
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
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
}
