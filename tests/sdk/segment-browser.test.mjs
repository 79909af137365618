// analytics.js 2.0 (@segment/analytics-next), its UMD bundle from the npm package, in headless
// Chromium on a page from a second origin, sending to the real API with the File sink. Settings
// come from `cdnSettings` and chunks from `cdnURL` (the page's own server), so nothing is fetched
// from Segment; a trap proxy catches any request that would leave 127.0.0.1. The SDK reaches the
// API through a pass-through recorder so that the CORS preflights, which Playwright cannot show,
// are on record.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  WRITE_KEY,
  assertLandedOnceEnriched,
  describeExchange,
  launchBrowser,
  messagesOf,
  settledOutbox,
  startApi,
  startOutsideTrap,
  startPageServer,
  startRecorder,
  waitFor,
} from './support.mjs';

const TYPES = ['alias', 'group', 'identify', 'page', 'screen', 'track'];
let api;
let recorder;
let site;
let trap;
let browser;
/** Every messageId any SDK in this file put on the wire: the outbox may hold nothing else. */
const sentIds = new Set();

before(async () => {
  // The API first: it takes a port it found free only when it starts, which another listener could take meanwhile.
  [api, browser] = await Promise.all([startApi(), launchBrowser()]);
  [site, trap, recorder] = await Promise.all([startPageServer(), startOutsideTrap(), startRecorder(api.baseUrl)]);
});

after(async () => {
  await browser?.close();
  await Promise.all([recorder?.stop(), site?.stop(), trap?.stop()]);
  await api?.stop();
});

/** A fresh browser profile on the second origin with analytics.js loaded from `cdnSettings`. */
async function openPage(segmentio = {}) {
  const context = await browser.newContext({ proxy: trap.proxy });
  const page = await context.newPage();
  const outside = [];
  const problems = [];
  page.on('request', (request) => {
    if (!request.url().startsWith('http://127.0.0.1:')) outside.push(`${request.method()} ${request.url()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${site.url}/`);
  const apiHost = `${recorder.host}/v1`;
  await page.evaluate(
    async ({ writeKey, cdnURL, apiHost, segmentio }) => {
      const cdnSettings = {
        integrations: { 'Segment.io': { apiKey: writeKey, apiHost, protocol: 'http', ...segmentio } },
        // The SDK's own metrics (POST <apiHost>/m), flushed often so the test sees them.
        metrics: { flushTimer: 200, sampleRate: 1 },
      };
      // The metrics client takes its host and protocol from the load options, not from cdnSettings.
      const [analytics] = await window.AnalyticsNext.AnalyticsBrowser.load(
        { writeKey, cdnURL, cdnSettings },
        { integrations: { 'Segment.io': { apiHost, protocol: 'http' } } },
      );
      window.analytics = analytics;
    },
    { writeKey: WRITE_KEY, cdnURL: site.url, apiHost, segmentio },
  );
  return {
    page,
    outside,
    problems,
    async close() {
      await context.close();
    },
  };
}

/** One call of each kind analytics.js has, in the page; returns what each call's context reports. */
function sendEveryType(page, run) {
  return page.evaluate(async (run) => {
    const a = window.analytics;
    const contexts = await Promise.all([
      a.page('Docs', 'Getting started', { run }),
      a.identify(`web-user-${run}`, { run, email: 'ada@example.com' }),
      a.track('Signed Up', { run, plan: 'pro' }),
      a.group(`group-${run}`, { run, name: 'Acme' }),
      a.screen('Settings', 'Profile', { run }),
      a.alias(`web-user-${run}`, `web-previous-${run}`),
    ]);
    return {
      anonymousId: a.user().anonymousId(),
      calls: contexts.map((ctx) => ({
        type: ctx.event.type,
        messageId: ctx.event.messageId,
        failed: ctx.failedDelivery()?.reason?.message ?? null,
      })),
    };
  }, run);
}

const fromPage = (exchange) => exchange.headers.origin === site.url;

/** The preflights Chromium sent: each must have been allowed for every header it asked about. */
function assertPreflightsAllowed(exchanges) {
  for (const preflight of exchanges.filter((e) => e.method === 'OPTIONS')) {
    assert.ok(preflight.status >= 200 && preflight.status < 300, `preflight answered 2xx: ${describeExchange(preflight)}`);
    const asked = (preflight.headers['access-control-request-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);
    const allowed = (preflight.responseHeaders['access-control-allow-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase());
    for (const header of asked) {
      assert.ok(allowed.includes(header) || allowed.includes('*'), `preflight allows ${header}: ${describeExchange(preflight)}`);
    }
    const origin = preflight.responseHeaders['access-control-allow-origin'];
    assert.ok(origin === site.url || origin === '*', `preflight allows the page's origin: ${describeExchange(preflight)}`);
  }
}

function assertNothingLeftTheMachine(session) {
  assert.deepEqual(session.outside, [], 'the page requested nothing outside 127.0.0.1');
  assert.deepEqual(trap.attempts, [], 'nothing reached the trap proxy for outside hosts');
  assert.ok(site.requests.includes('/analytics-next/bundles/index.js'), 'the UMD bundle came from the test server');
}

test('analytics.js sends every call to its one-letter path on another origin and each event lands once, enriched', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const session = await openPage();
  try {
    const { anonymousId, calls } = await sendEveryType(session.page, run);
    const exchanges = recorder.exchanges.slice(from).filter(fromPage);
    recorder.log(t, exchanges);
    for (const problem of session.problems) t.diagnostic(problem);
    const wire = recorder.describe(exchanges);

    assert.deepEqual(calls.filter((c) => c.failed), [], `no call failed its delivery; wire:\n${wire}`);
    assertPreflightsAllowed(exchanges);
    const posts = exchanges.filter((e) => e.method === 'POST' && e.path !== '/v1/m');
    assert.deepEqual(
      posts.map((e) => e.path).sort(),
      ['/v1/a', '/v1/g', '/v1/i', '/v1/p', '/v1/s', '/v1/t'],
      `one POST per call, to the first letter of its type; wire:\n${wire}`,
    );
    for (const post of posts) {
      assert.ok(post.status >= 200 && post.status < 300, `the API accepted ${describeExchange(post)}`);
    }

    const sent = posts.flatMap(messagesOf);
    assert.deepEqual(sent.map((m) => m.type).sort(), TYPES);
    assert.deepEqual(new Set(sent.map((m) => m.messageId)), new Set(calls.map((c) => c.messageId)));
    sent.forEach((m) => sentIds.add(m.messageId));

    const outbox = await settledOutbox(api, [...sentIds], 'the browser events in the outbox');
    assertLandedOnceEnriched(sent, outbox, { startedAt });
    const mine = outbox.filter((e) => e.anonymousId === anonymousId);
    assert.equal(mine.length, 6, 'nothing else was stored for this visitor');
    const track = mine.find((e) => e.type === 'track');
    assert.deepEqual(track.properties, { run, plan: 'pro' });
    assert.equal(track.context.library.name, 'analytics.js');
    assert.match(track.context.userAgent, /Chrome/);
    assert.equal(track.context.page.url, `${site.url}/`);
    assert.equal(mine.find((e) => e.type === 'alias').previousId, `web-previous-${run}`);
    assert.equal(mine.find((e) => e.type === 'screen').name, 'Profile');

    assertNothingLeftTheMachine(session);
  } finally {
    await session.close();
  }
});

test('analytics.js with the batching delivery strategy posts to /v1/b and each event lands once, enriched', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const session = await openPage({ deliveryStrategy: { strategy: 'batching', config: { size: 4, timeout: 300 } } });
  try {
    const { anonymousId, calls } = await sendEveryType(session.page, run);
    const mineOnWire = () => recorder.exchanges.slice(from).filter(fromPage);
    const batched = () => mineOnWire().filter((e) => e.method === 'POST' && e.path === '/v1/b');
    let answered = [];
    try {
      // Six events at four a batch: one batch by size, one by the timeout; each carries some of our calls.
      await waitFor('the batches to be answered', () => {
        answered = batched().filter((e) => e.status !== undefined);
        const carried = new Set(answered.flatMap(messagesOf).map((m) => m.messageId));
        return calls.every((c) => carried.has(c.messageId));
      });
    } finally {
      recorder.log(t, mineOnWire());
      for (const problem of session.problems) t.diagnostic(problem);
    }
    const exchanges = mineOnWire();
    const wire = recorder.describe(exchanges);

    assertPreflightsAllowed(exchanges);
    assert.deepEqual(
      exchanges.filter((e) => e.method === 'POST' && !['/v1/b', '/v1/m'].includes(e.path)).map((e) => e.path),
      [],
      `nothing is sent one event at a time; wire:\n${wire}`,
    );
    assert.ok(answered.length >= 2, `six events at four a batch take two requests; wire:\n${wire}`);
    for (const post of answered) {
      assert.ok(post.status >= 200 && post.status < 300, `the API accepted ${describeExchange(post)}`);
      assert.ok(Array.isArray(JSON.parse(post.body.toString()).batch), 'the body is {"batch":[…]}');
    }

    const sent = answered.flatMap(messagesOf);
    assert.deepEqual(sent.map((m) => m.type).sort(), TYPES);
    sent.forEach((m) => sentIds.add(m.messageId));
    const outbox = await settledOutbox(api, [...sentIds], 'the batched browser events in the outbox');
    assertLandedOnceEnriched(sent, outbox, { startedAt });
    assert.equal(outbox.filter((e) => e.anonymousId === anonymousId).length, 6, 'nothing else was stored for this visitor');
    assertNothingLeftTheMachine(session);
  } finally {
    await session.close();
  }
});

test('events the batching strategy still holds when the visitor leaves the page are sent on the way out and land once', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  // A batch that neither fills nor times out while the page is open: only leaving sends it
  // (analytics.js flushes on 'pagehide' with fetch keepalive).
  const session = await openPage({ deliveryStrategy: { strategy: 'batching', config: { size: 100, timeout: 600000 } } });
  let calls;
  try {
    ({ calls } = await sendEveryType(session.page, run));
    assert.deepEqual(
      recorder.exchanges.slice(from).filter((e) => fromPage(e) && e.path === '/v1/b'),
      [],
      'nothing is sent while the page is open',
    );
    await session.page.goto('about:blank');
    let answered = [];
    try {
      await waitFor('the batch sent on leaving the page to be answered', () => {
        answered = recorder.exchanges.slice(from).filter((e) => fromPage(e) && e.method === 'POST' && e.path === '/v1/b' && e.status !== undefined);
        const carried = new Set(answered.flatMap(messagesOf).map((m) => m.messageId));
        return calls.every((c) => carried.has(c.messageId));
      });
    } finally {
      recorder.log(t, recorder.exchanges.slice(from).filter(fromPage));
      for (const problem of session.problems) t.diagnostic(problem);
    }
    assertPreflightsAllowed(recorder.exchanges.slice(from).filter(fromPage));
    for (const post of answered) {
      assert.ok(post.status >= 200 && post.status < 300, `the API accepted ${describeExchange(post)}`);
    }
    const sent = answered.flatMap(messagesOf);
    sent.forEach((m) => sentIds.add(m.messageId));
    const outbox = await settledOutbox(api, [...sentIds], 'the events sent on leaving the page');
    assertLandedOnceEnriched(sent, outbox, { startedAt });
  } finally {
    await session.close();
  }
});

test('analytics.js retries a failed delivery with X-Retry-Count, the preflight allows that header, and the event lands once', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const session = await openPage();
  // The first POST of the track never reaches the API: the recorder answers it with a 500.
  const withdraw = recorder.failNext((e) => e.method === 'POST' && e.path === '/v1/t' && e.headers.origin === site.url);
  try {
    const { messageId } = await session.page.evaluate(async (run) => {
      const ctx = await window.analytics.track('Retried', { run });
      return { messageId: ctx.event.messageId };
    }, run);
    const mine = () => recorder.exchanges.slice(from).filter((e) => fromPage(e) && e.path === '/v1/t');
    let retried;
    try {
      await waitFor('the retried track to be answered', () => {
        retried = mine().find((e) => e.method === 'POST' && !e.injected && e.status !== undefined);
        return retried;
      });
    } finally {
      recorder.log(t, mine());
      for (const problem of session.problems) t.diagnostic(problem);
    }
    assert.equal(retried.headers['x-retry-count'], '1', 'the retry says it is one');
    const preflights = mine().filter((e) => e.method === 'OPTIONS');
    assert.ok(
      preflights.some((e) => /x-retry-count/i.test(e.headers['access-control-request-headers'] ?? '')),
      `Chromium asked whether X-Retry-Count may be sent:\n${recorder.describe(mine())}`,
    );
    assertPreflightsAllowed(preflights);
    assert.ok(retried.status >= 200 && retried.status < 300, `the API accepted the retry: ${describeExchange(retried)}`);
    const sent = messagesOf(retried);
    assert.equal(sent[0].messageId, messageId, 'the retry carries the same messageId');
    sentIds.add(messageId);
    const outbox = await settledOutbox(api, [...sentIds], 'the retried track in the outbox');
    assertLandedOnceEnriched(sent, outbox, { startedAt });
  } finally {
    withdraw();
    await session.close();
  }
});

test("analytics.js's own metrics to /v1/m are accepted and never stored as events", async (t) => {
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const session = await openPage();
  try {
    const { calls } = await sendEveryType(session.page, run);
    let metrics = [];
    try {
      // Each call counts an 'analytics_js.invoke' metric; the client flushes them every 200 ms.
      await waitFor('a metrics request to be answered', () => {
        metrics = recorder.exchanges.slice(from).filter((e) => fromPage(e) && e.path === '/v1/m' && e.status !== undefined);
        return metrics.length > 0;
      });
    } finally {
      recorder.log(t, recorder.exchanges.slice(from).filter(fromPage));
      for (const problem of session.problems) t.diagnostic(problem);
    }
    for (const exchange of metrics) {
      assert.equal(exchange.method, 'POST');
      assert.ok(exchange.status >= 200 && exchange.status < 300, `the API accepted ${describeExchange(exchange)}`);
      assert.ok(Array.isArray(decodedSeries(exchange)), 'the body is {"series":[…]}');
    }
    assert.deepEqual(
      session.problems.filter((p) => p.includes('metrics')),
      [],
      'the page could read the answer (CORS) and logged no metrics error',
    );

    const wireIds = recorder.exchanges
      .slice(from)
      .filter((e) => fromPage(e) && e.method === 'POST' && e.path !== '/v1/m' && e.status === 200)
      .flatMap(messagesOf)
      .map((m) => m.messageId);
    wireIds.forEach((id) => sentIds.add(id));
    assert.deepEqual(new Set(wireIds), new Set(calls.map((c) => c.messageId)), 'the calls themselves were delivered');
    // The sentinel written after the metrics were answered shows they would be in the outbox by now.
    const outbox = await settledOutbox(api, [...sentIds], 'the events sent beside the metrics');
    assert.deepEqual(
      outbox.filter((e) => !sentIds.has(e.messageId)),
      [],
      'the outbox holds only the events the SDK sent, no metrics',
    );
    assert.ok(!outbox.some((e) => 'series' in e || 'metric' in e), 'no metrics series in the outbox');
  } finally {
    await session.close();
  }
});

function decodedSeries(exchange) {
  return JSON.parse(exchange.body.toString()).series;
}
