// Benchmark, not a test: Lighthouse (mobile emulation, Debian's Chromium) on the welcome page,
// the sign-in screen and Today, against a `kept` binary started here on a free port with a
// fresh SQLite data dir. Prints the performance and accessibility scores.
//
//   cargo build --release -p kept-api
//   KEPT_BIN=../target/release/kept node scripts/lighthouse.mjs
//   (KEPT_LIGHTHOUSE_REPORTS=DIR keeps each page's full JSON report there)
//
// Lighthouse comes from npm at run time (npx lighthouse@12.8.2), so it is not a dependency of
// the app. Today needs a session: its run gets a refresh cookie through --extra-headers.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIGHTHOUSE = 'lighthouse@12.8.2';
const bin = process.env.KEPT_BIN ?? '../target/release/kept';
const chrome = process.env.KEPT_CHROMIUM ?? '/usr/bin/chromium';

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const url = `http://127.0.0.1:${port}`;
const data = mkdtempSync(join(tmpdir(), 'kept-lighthouse-'));
const server = spawn(bin, ['serve'], {
  stdio: 'ignore',
  env: {
    ...process.env,
    KEPT__SERVER__BIND: `127.0.0.1:${port}`,
    KEPT__SERVER__PUBLIC_URL: url,
    KEPT__DATA__DIR: data,
    KEPT__DATABASE__URL: `sqlite://${join(data, 'kept.db')}`,
    KEPT__MAIL__OUTBOX_DIR: join(data, 'outbox'),
    KEPT__LIMITS__LOGIN_PER_MINUTE: '1000',
  },
});

async function api(path, body, token) {
  const response = await fetch(`${url}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

try {
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      if (i > 200) throw new Error('kept did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const account = { email: 'ann@example.org', password: 'correct horse battery', display_name: 'Ann', time_zone: 'Europe/London' };
  const ann = await api('/auth/register', account);
  const space = await api('/spaces', { name: 'Us' }, ann.access_token);
  await api('/spaces/' + space.id + '/check-ins', { text: 'Slept well.' }, ann.access_token);

  // Signed in now, while the connection is fresh: the refresh token rides in the cookie of the
  // one Lighthouse run that needs it (it is single use).
  const login = await api('/auth/login', { email: account.email, password: account.password });
  const pages = [
    ['welcome', '/', null],
    ['sign-in', '/sign-in', null],
    ['today', `/spaces/${space.id}`, login.refresh_token],
  ];
  console.log('page       performance  accessibility   FCP ms   LCP ms   TBT ms    CLS');
  for (const [name, path, refresh] of pages) {
    const args = [
      '--yes', LIGHTHOUSE, url + path,
      '--quiet', '--output=json', '--output-path=stdout',
      '--only-categories=performance,accessibility', '--form-factor=mobile',
      '--chrome-flags=--headless=new --no-sandbox --disable-dev-shm-usage',
    ];
    if (refresh) args.push(`--extra-headers=${JSON.stringify({ Cookie: `kept_refresh=${refresh}` })}`);
    const report = JSON.parse(execFileSync('npx', args, { env: { ...process.env, CHROME_PATH: chrome }, maxBuffer: 64 << 20 }).toString());
    if (process.env.KEPT_LIGHTHOUSE_REPORTS) {
      writeFileSync(join(process.env.KEPT_LIGHTHOUSE_REPORTS, `${name}.json`), JSON.stringify(report));
    }
    const score = (c) => Math.round(report.categories[c].score * 100);
    const metric = (id) => report.audits[id].numericValue;
    const ms = (id) => String(Math.round(metric(id))).padStart(8);
    console.log(
      `${name.padEnd(10)} ${String(score('performance')).padStart(11)}  ${String(score('accessibility')).padStart(13)}` +
        ` ${ms('first-contentful-paint')} ${ms('largest-contentful-paint')} ${ms('total-blocking-time')} ${metric('cumulative-layout-shift').toFixed(3).padStart(6)}`,
    );
  }
} finally {
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}
