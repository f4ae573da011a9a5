// Browser tests: Debian's Chromium (Playwright's own download cannot run here) against the real
// `kept` binary, which each test file starts on a free port with a fresh data directory.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests',
  outputDir: 'test-results/artifacts',
  // Two cores: one browser and one server at a time keeps timings honest.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.KEPT_CHROMIUM ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'],
    },
    viewport: { width: 390, height: 844 },
    trace: 'retain-on-failure',
    serviceWorkers: 'allow',
  },
});
