// Fixtures for the end-to-end tests: the real Tracking API as a child process writing to a
// temporary File-sink outbox, Debian's Chromium driven by playwright-core, and a reader for
// the NDJSON files the sink completes.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const WRITE_KEY = 'e2e-write-key';
export const SOURCE_NAME = 'tracker-e2e';

/** Polls `probe` until it returns a truthy value, or fails after `timeout` ms saying what it waited for. */
export async function waitFor(what, probe, { timeout = 15000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts `dotnet Tracking.Api.dll` on a free loopback port with the File sink in a temp dir; `env` adds or overrides
 * settings; `extraUrls` are further addresses it listens on (an https one, with its certificate in `env`).
 * With `writeKey: false` no write key is configured (in Development the API then accepts every key).
 */
export async function startApi({ env = {}, extraUrls = [], writeKey = true } = {}) {
  const dll = resolve(process.env.TRACKING_API_DLL || join(repoRoot, 'src/Tracking.Api/bin/Release/net10.0/Tracking.Api.dll'));
  if (!existsSync(dll)) {
    throw new Error(`${dll} not found: build it with \`dotnet build src/Tracking.Api -c Release\` or set TRACKING_API_DLL`);
  }
  const port = await freePort();
  const outbox = await mkdtemp(join(tmpdir(), 'tracker-e2e-outbox-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  const output = [];
  const child = spawn('dotnet', [dll], {
    cwd: dirname(dll),
    env: {
      ...process.env,
      ASPNETCORE_URLS: [baseUrl, ...extraUrls].join(';'),
      ASPNETCORE_ENVIRONMENT: 'Development',
      DOTNET_NOLOGO: '1',
      ...(writeKey ? { [`Tracking__WriteKeys__${WRITE_KEY}`]: SOURCE_NAME } : {}),
      Tracking__Sink: 'File',
      Tracking__File__Directory: outbox,
      Tracking__Spool__Directory: `${outbox}-spool`,
      Tracking__File__MaxFileAge: '00:00:00.5',
      Tracking__RateLimit__PermitsPerSecond: '0',
      Tracking__RateLimit__PerAddressPermitsPerSecond: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  // Should this test process end without running its after() hooks, take the API down with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let running = true;
  exited.then(() => (running = false));
  child.stdout.on('data', (d) => output.push(d));
  child.stderr.on('data', (d) => output.push(d));
  const log = () => Buffer.concat(output).toString();

  try {
    await waitFor(
      `${baseUrl}/health/ready`,
      async () => {
        if (!running) throw new Error(`the API exited during start-up:\n${log()}`);
        try {
          return (await fetch(`${baseUrl}/health/ready`)).ok;
        } catch {
          return false;
        }
      },
      { timeout: 30000, interval: 200 },
    );
  } catch (error) {
    child.kill('SIGKILL');
    error.message += `\n--- API output ---\n${log()}`;
    throw error;
  }

  return {
    baseUrl,
    outbox,
    log,
    async stop() {
      process.off('exit', killOnExit);
      if (running) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
        await exited;
        clearTimeout(timer);
      }
      await rm(outbox, { recursive: true, force: true });
      await rm(`${outbox}-spool`, { recursive: true, force: true });
    },
  };
}

// Completed files only, in the sink's <dir>/yyyy/MM/dd/HH/ layout: files still being written
// (the sink keeps them in <dir>/.inprogress/) are partial and move away when done.
const COMPLETED = /^\d{4}\/\d\d\/\d\d\/\d\d\/[^/]+\.ndjson$/;

async function ndjsonFiles(dir) {
  const files = await readdir(dir, { recursive: true });
  return files.filter((f) => COMPLETED.test(f.split(sep).join('/'))).map((f) => join(dir, f));
}

/** Every event in the completed outbox files so far. */
export async function readOutbox(outbox) {
  const events = [];
  for (const file of await ndjsonFiles(outbox)) {
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      if (line.trim()) events.push(JSON.parse(line));
    }
  }
  return events;
}

/** Launches Debian's Chromium; never a downloaded browser. Playwright gives it a fresh temporary profile. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
