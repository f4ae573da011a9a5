// Starts the real `kept` binary for one test file: a free loopback port, a fresh data dir
// (SQLite by default, or a fresh PostgreSQL database), mail written as .eml files that the
// tests read back. Nothing here fakes the server.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QUICK_EXIT = 'https://neutral.example/weather';

export interface Server {
  url: string;
  dataDir: string;
  stop: () => Promise<void>;
  /** The newest mail to `to` whose subject matches, once it has been written (waits up to 15 s). */
  mail: (to: string, subject: RegExp) => Promise<Mail>;
}

export interface Mail {
  subject: string;
  text: string;
  /** The first link in the mail that starts with the server's address. */
  link: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function binary(): string {
  const path = process.env.KEPT_BIN;
  if (!path) throw new Error('KEPT_BIN is not set: run the browser tests through `cargo test` (crates/api/tests/browser.rs)');
  return path;
}

/** A fresh database on the PostgreSQL server at `base`, dropped again by `stop`. */
function freshPostgres(base: string): { url: string; drop: () => void } {
  const name = `kept_browser_${process.pid}_${Date.now()}`;
  execFileSync('psql', [base, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `CREATE DATABASE ${name}`]);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => {
      try {
        execFileSync('psql', [base, '-q', '-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
      } catch {
        // A database left behind is harmless; the next run uses a new name.
      }
    },
  };
}

export async function startServer(options: { postgres?: string; env?: Record<string, string> } = {}): Promise<Server> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'kept-browser-'));
  const database = options.postgres ? freshPostgres(options.postgres) : null;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KEPT__SERVER__BIND: `127.0.0.1:${port}`,
    KEPT__SERVER__PUBLIC_URL: url,
    KEPT__SERVER__WORKERS: '2',
    KEPT__DATA__DIR: dataDir,
    KEPT__DATABASE__URL: database ? database.url : `sqlite://${join(dataDir, 'kept.db')}`,
    KEPT__MAIL__OUTBOX_DIR: join(dataDir, 'outbox'),
    KEPT__MAIL__POLL_MILLIS: '100',
    KEPT__WEB__QUICK_EXIT_URL: QUICK_EXIT,
    KEPT__LIMITS__REGISTER_PER_MINUTE: '1000',
    KEPT__LIMITS__LOGIN_PER_MINUTE: '1000',
    KEPT__LOG__FILTER: 'warn',
    ...options.env,
  };
  const child: ChildProcess = spawn(binary(), ['serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (attempt > 300 || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`kept did not become ready on ${url}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      database?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async mail(to, subject) {
      const dir = join(dataDir, 'outbox');
      for (let attempt = 0; attempt < 150; attempt++) {
        const found = readMail(dir, url).filter((m) => m.to.includes(to) && subject.test(m.subject));
        const newest = found.at(-1);
        if (newest) return newest;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no mail to ${to} matching ${subject} in ${dir}`);
    },
  };
}

interface ParsedMail extends Mail {
  to: string;
}

function readMail(dir: string, origin: string): ParsedMail[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.eml'));
  } catch {
    return [];
  }
  return names.sort().map((name) => {
    const raw = readFileSync(join(dir, name), 'utf8');
    const headers = raw.slice(0, raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n'));
    const header = (key: string): string =>
      new RegExp(`^${key}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, 'im').exec(headers)?.[1]?.replace(/\r?\n[ \t]/g, ' ') ?? '';
    const text = decodeQuotedPrintable(raw);
    const escaped = origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const link = new RegExp(`${escaped}/[^\\s"<>]+`).exec(text)?.[0]?.replace(/&amp;/g, '&') ?? '';
    return { to: header('To'), subject: decodeHeader(header('Subject')), text, link };
  });
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_, kind: string, data: string) =>
    kind.toLowerCase() === 'b'
      ? Buffer.from(data, 'base64').toString('utf8')
      : data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/g, (__, hex: string) => String.fromCharCode(parseInt(hex, 16))),
  );
}
