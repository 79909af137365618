// The SDKs configured by their hosts alone, as their self-hosting docs say, in headless Chromium on a second origin:
// they fetch their source's settings from the API (Segment's /v1/projects/{writeKey}/settings, RudderStack's
// /sourceConfig/) and then send where those settings point. Three ways in:
// - analytics.js 2.0 from npm with only `cdnURL` set to the API;
// - Segment's stock snippet (rendered by @segment/snippet) with only its script host changed to the API's, over
//   https as the snippet requires: analytics.min.js, settings and events all come from and go to the API;
// - RudderStack's v3 browser SDK with `configUrl` and `dataPlaneUrl` set to the API.
// Every page, identify and track lands once, enriched; nothing leaves 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import snippet from '@segment/snippet';
import {
  SOURCE_NAME,
  WRITE_KEY,
  assertLandedOnceEnriched,
  describeExchange,
  freePort,
  launchBrowser,
  messagesOf,
  readOutbox,
  settledOutbox,
  startApi,
  startOutsideTrap,
  startPageServer,
  startRecorder,
  waitFor,
} from './support.mjs';

let api;
let recorder;
let site;
let trap;
let browser;
let certs;
let httpsUrl;
const sentIds = new Set();

/** A throwaway self-signed certificate for 127.0.0.1: the stock snippet derives its CDN only from an https URL. */
function selfSignedCertificate() {
  const dir = mkdtempSync(join(tmpdir(), 'sdk-settings-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { dir, cert, key };
}

const snippetPage = (host) => `<!doctype html>
<html><head><meta charset="utf-8"><title>Segment's stock snippet</title>
<script>${snippet.min({ apiKey: WRITE_KEY, host, page: true })}</script>
</head><body><h1>stock snippet</h1></body></html>`;

before(async () => {
  certs = selfSignedCertificate();
  const httpsPort = await freePort();
  httpsUrl = `https://127.0.0.1:${httpsPort}`;
  [api, browser] = await Promise.all([
    startApi({
      extraUrls: [httpsUrl],
      env: { Kestrel__Certificates__Default__Path: certs.cert, Kestrel__Certificates__Default__KeyPath: certs.key },
    }),
    launchBrowser(),
  ]);
  [site, trap, recorder] = await Promise.all([
    startPageServer({ pages: { '/snippet.html': snippetPage(new URL(httpsUrl).host), '/blank.html': '<!doctype html><title>blank</title>' } }),
    startOutsideTrap(),
    startRecorder(api.baseUrl),
  ]);
});

after(async () => {
  await browser?.close();
  await Promise.all([recorder?.stop(), site?.stop(), trap?.stop()]);
  await api?.stop();
  if (certs) rmSync(certs.dir, { recursive: true, force: true });
});

async function openPage(path, { ignoreHTTPSErrors = false } = {}) {
  const context = await browser.newContext({ proxy: trap.proxy, ignoreHTTPSErrors });
  const page = await context.newPage();
  const outside = [];
  const problems = [];
  page.on('request', (request) => {
    if (!/^https?:\/\/127\.0\.0\.1:/.test(request.url())) outside.push(`${request.method()} ${request.url()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${site.url}${path}`);
  return { page, outside, problems, close: () => context.close() };
}

const fromPage = (exchange) => exchange.headers.origin === site.url;

function assertStayedHome(session) {
  assert.deepEqual(session.outside, [], 'the page requested nothing outside 127.0.0.1');
  assert.deepEqual(trap.attempts, [], 'nothing reached the trap proxy for outside hosts');
  assert.deepEqual(session.problems, [], 'the page logged no error');
}

test('analytics.js 2.0 with only cdnURL set to the API fetches its settings there and its events land once, enriched', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const session = await openPage('/');
  try {
    const calls = await session.page.evaluate(
      async ({ writeKey, cdnURL, run }) => {
        const [analytics] = await window.AnalyticsNext.AnalyticsBrowser.load({ writeKey, cdnURL });
        const contexts = await Promise.all([
          analytics.page('Docs', 'Settings', { run }),
          analytics.identify(`settings-user-${run}`, { run }),
          analytics.track('Settings Fetched', { run }),
        ]);
        return contexts.map((ctx) => ({ type: ctx.event.type, messageId: ctx.event.messageId, failed: ctx.failedDelivery()?.reason?.message ?? null }));
      },
      { writeKey: WRITE_KEY, cdnURL: recorder.url, run },
    );
    const exchanges = recorder.exchanges.slice(from).filter(fromPage);
    recorder.log(t, exchanges);
    const wire = recorder.describe(exchanges);
    assert.deepEqual(calls.filter((c) => c.failed), [], `no call failed; wire:\n${wire}`);

    const settings = exchanges.filter((e) => e.method === 'GET' && e.path === `/v1/projects/${WRITE_KEY}/settings`);
    assert.equal(settings.length, 1, `the settings were fetched once from the API; wire:\n${wire}`);
    assert.equal(settings[0].status, 200, describeExchange(settings[0]));
    assert.ok(['*', site.url].includes(settings[0].responseHeaders['access-control-allow-origin']), 'the page may read the settings');
    const document = JSON.parse(settings[0].responseBody);
    assert.equal(document.integrations['Segment.io'].apiHost, `${recorder.host}/v1`, 'apiHost points back at the host the SDK asked');
    assert.deepEqual(Object.keys(document.integrations), ['Segment.io'], 'no other destination');

    const posts = exchanges.filter((e) => e.method === 'POST' && e.path !== '/v1/m');
    assert.deepEqual(posts.map((e) => e.path).sort(), ['/v1/i', '/v1/p', '/v1/t'], `the events went to the API; wire:\n${wire}`);
    const sent = posts.flatMap(messagesOf);
    sent.forEach((m) => sentIds.add(m.messageId));
    const outbox = await settledOutbox(api, [...sentIds], 'the events of analytics.js loaded by cdnURL');
    assertLandedOnceEnriched(sent, outbox, { startedAt });
    assert.equal(outbox.find((e) => e.type === 'track' && e.properties?.run === run)?.context?.library?.name, 'analytics.js');
    assertStayedHome(session);
  } finally {
    await session.close();
  }
});

test("Segment's stock snippet with only its script host changed loads analytics.js, settings and sends events through the API", async () => {
  const startedAt = Date.now();
  const run = crypto.randomUUID();
  const pageServerFrom = site.requests.length;
  const session = await openPage('/snippet.html', { ignoreHTTPSErrors: true });
  try {
    const anonymousId = await session.page.evaluate(
      (run) =>
        new Promise((resolve) => {
          window.analytics.identify(`snippet-user-${run}`, { run });
          window.analytics.track('Snippet Loaded', { run });
          window.analytics.ready(() => resolve(window.analytics.user().anonymousId()));
        }),
      run,
    );
    let mine = [];
    await waitFor('the snippet page view, identify and track in the outbox', async () => {
      mine = (await readOutbox(api.outbox)).filter((e) => e.anonymousId === anonymousId);
      return ['identify', 'page', 'track'].every((type) => mine.some((e) => e.type === type));
    }, { timeout: 30000 });
    mine.forEach((e) => sentIds.add(e.messageId));
    const outbox = await settledOutbox(api, [...sentIds], 'the snippet events');
    mine = outbox.filter((e) => e.anonymousId === anonymousId);
    assert.deepEqual(mine.map((e) => e.type).sort(), ['identify', 'page', 'track'], 'each call landed once');
    assertLandedOnceEnriched(mine, outbox, { startedAt });
    for (const event of mine) {
      assert.equal(event.context.library.name, 'analytics.js', `${event.type} was sent by analytics.js`);
      assert.equal(event.source, SOURCE_NAME);
    }
    assert.equal(mine.find((e) => e.type === 'track').properties.run, run);
    assert.deepEqual(site.requests.slice(pageServerFrom).filter((r) => r !== '/favicon.ico'), ['/snippet.html'], 'analytics.js and its chunks came from the API, not the page server');
    assertStayedHome(session);
  } finally {
    await session.close();
  }
});

test("RudderStack's v3 browser SDK with configUrl and dataPlaneUrl set to the API becomes ready and its events land once, enriched", async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const session = await openPage('/blank.html');
  try {
    await session.page.addScriptTag({ url: `${site.url}/rudderstack/index.js` });
    const anonymousId = await session.page.evaluate(
      ({ writeKey, url, run }) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the SDK never became ready')), 20000);
          const rudder = new window.rudderanalytics.RudderAnalytics();
          rudder.load(writeKey, url, { configUrl: url, logLevel: 'ERROR' });
          rudder.ready(() => {
            clearTimeout(timer);
            rudder.page('Docs', 'RudderStack', { run });
            rudder.identify(`rudder-user-${run}`, { run });
            rudder.track('Rudder Configured', { run });
            resolve(rudder.getAnonymousId());
          });
        }),
      { writeKey: WRITE_KEY, url: recorder.url, run },
    );
    const mineOnWire = () => recorder.exchanges.slice(from).filter(fromPage);
    try {
      await waitFor('the three RudderStack calls to be answered', () =>
        ['/v1/page', '/v1/identify', '/v1/track'].every((path) => mineOnWire().some((e) => e.method === 'POST' && e.path === path && e.status !== undefined)),
      );
    } finally {
      recorder.log(t, mineOnWire());
    }
    const exchanges = mineOnWire();
    const wire = recorder.describe(exchanges);
    const config = exchanges.filter((e) => e.method === 'GET' && e.path.startsWith('/sourceConfig'));
    assert.equal(config.length, 1, `the source config was fetched once; wire:\n${wire}`);
    assert.equal(config[0].status, 200, describeExchange(config[0]));
    assert.match(config[0].path, new RegExp(`[?&]writeKey=${WRITE_KEY}(&|$)`));
    assert.equal(JSON.parse(config[0].responseBody).source.name, SOURCE_NAME);

    const posts = exchanges.filter((e) => e.method === 'POST');
    for (const post of posts) assert.equal(post.status, 200, describeExchange(post));
    const sent = posts.flatMap(messagesOf);
    assert.deepEqual(sent.map((m) => m.type).sort(), ['identify', 'page', 'track']);
    sent.forEach((m) => sentIds.add(m.messageId));
    const outbox = await settledOutbox(api, [...sentIds], 'the RudderStack events');
    assertLandedOnceEnriched(sent, outbox, { startedAt });
    const mine = outbox.filter((e) => e.anonymousId === anonymousId);
    assert.equal(mine.length, 3, 'nothing else was stored for this visitor');
    assert.match(mine[0].context.library.name, /RudderLabs JavaScript SDK/);
    assertStayedHome(session);
  } finally {
    await session.close();
  }
});

test('an unknown write key gets a 404 problem document that a page on another origin can read', async () => {
  for (const path of ['/v1/projects/no-such-key/settings', '/sourceConfig/?writeKey=no-such-key', '/sourceConfig/']) {
    const response = await fetch(`${api.baseUrl}${path}`, { headers: { origin: 'http://page.test' } });
    assert.equal(response.status, 404, path);
    assert.equal(response.headers.get('content-type'), 'application/problem+json', path);
    assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
    assert.equal((await response.json()).title, 'Unknown write key', path);
  }
});
