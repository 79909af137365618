// tracker.js in Chromium against the real Tracking API: every assertion is on the NDJSON lines the
// File sink wrote, so each scenario covers snippet → tracker → HTTP → ingestion → sink.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WRITE_KEY, SOURCE_NAME, launchBrowser, readOutbox, repoRoot, startApi, waitFor } from './support.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let api;
let browser;

before(async () => {
  [api, browser] = await Promise.all([startApi(), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await api?.stop();
});

function demoUrl(settings = {}) {
  const query = new URLSearchParams({ writeKey: WRITE_KEY, flushInterval: '200', ...settings });
  // index.html by name, so these scenarios do not depend on the API's default-document handling,
  // which the first test checks on its own.
  return `${api.baseUrl}/demo/index.html?${query}`;
}

/** A fresh browser profile (empty storage) on the demo page, with tracker.js loaded. */
async function openDemo(settings) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(demoUrl(settings));
  const anonymousId = await page.evaluate(async () => {
    while (!window.tracker.initialized) await new Promise((r) => setTimeout(r, 10));
    return window.tracker.anonymousId();
  });
  return {
    page,
    context,
    anonymousId,
    async close() {
      await context.close();
      assert.deepEqual(errors, [], 'no script errors in the page');
    },
  };
}

/** This visitor's events in the outbox, once `ready(events)` holds; on timeout, says what did arrive. */
async function eventsOf(anonymousId, what, ready) {
  let events = [];
  try {
    return await waitFor(what, async () => {
      events = (await readOutbox(api.outbox)).filter((e) => e.anonymousId === anonymousId);
      return ready(events) ? events : null;
    });
  } catch (error) {
    const seen = events.map((e) => `${e.type} ${e.event ?? e.context?.page?.url ?? ''} ${e.originalTimestamp}`);
    error.message += `\nArrived for ${anonymousId}:\n  ${seen.join('\n  ')}\n--- API output ---\n${api.log().slice(-4000)}`;
    throw error;
  }
}

const named = (name) => (e) => e.event === name;
const count = (events, predicate) => events.filter(predicate).length;

test('the API serves the committed tracker.js, and / leads to the demo page', async () => {
  const served = await (await fetch(`${api.baseUrl}/tracker.js`)).text();
  assert.equal(served, readFileSync(join(repoRoot, 'src/Tracking.Api/wwwroot/tracker.js'), 'utf8'));
  const home = await fetch(`${api.baseUrl}/`);
  assert.equal(home.status, 200);
  assert.equal(new URL(home.url).pathname, '/demo/');
  assert.match(await home.text(), /<title>tracker.js demo<\/title>/);
});

test('a page view, a track and an identify arrive with the fields analytics.js sends', async () => {
  const { context, page, anonymousId, close } = await openDemo();
  assert.match(anonymousId, UUID);
  await page.click('#track');
  await page.fill('#user-id-input', 'user-e2e');
  await page.click('#identify');

  const events = await eventsOf(anonymousId, 'page, track and identify', (es) =>
    ['page', 'track', 'identify'].every((t) => es.some((e) => e.type === t)),
  );
  const pageView = events.find((e) => e.type === 'page');
  const track = events.find((e) => e.type === 'track');
  const identify = events.find((e) => e.type === 'identify');
  const url = demoUrl();

  assert.equal(pageView.properties.url, url);
  assert.equal(pageView.context.page.url, url);
  assert.equal(pageView.context.page.path, '/demo/index.html');
  assert.equal(pageView.context.page.title, 'tracker.js demo');
  assert.equal(track.event, 'Demo Button Clicked');
  assert.equal(track.properties.clicks, 1);
  assert.equal(identify.userId, 'user-e2e');
  assert.equal(identify.traits.email, 'ada@example.com');
  for (const event of events) {
    assert.match(event.messageId, UUID);
    assert.deepEqual(event.context.library, { name: 'tracker.js', version: '1.0.0' });
    assert.equal(event.context.page.url, url);
    assert.match(event.context.userAgent, /Chrome/);
    assert.equal(typeof event.context.locale, 'string');
    assert.equal(typeof event.context.timezone, 'string');
    assert.ok(event.context.screen.width > 0 && event.context.screen.density > 0);
    assert.equal(event.context.ip, '127.0.0.1');
    assert.equal(event.source, SOURCE_NAME);
    for (const field of ['timestamp', 'originalTimestamp', 'sentAt', 'receivedAt']) {
      assert.ok(!Number.isNaN(Date.parse(event[field])), `${event.type}.${field} = ${event[field]}`);
    }
  }
  assert.equal(new Set(events.map((e) => e.messageId)).size, events.length, 'no duplicates');

  // What the demo shows is the server's real answer.
  const answers = await page.evaluate(() => demo.sends.map((s) => ({ status: s.status, response: s.response })));
  assert.ok(answers.length > 0);
  for (const { status, response } of answers) {
    assert.equal(status, 200);
    assert.equal(response.success, true);
    assert.deepEqual(response.rejected ?? [], []);
  }

  // After a reload the visitor keeps the same anonymousId, and now the userId too.
  await page.reload();
  await page.evaluate(() => tracker.track('After Reload'));
  const afterReload = await eventsOf(anonymousId, '"After Reload" from the same anonymousId', (es) => es.some(named('After Reload')));
  assert.equal(afterReload.find(named('After Reload')).userId, 'user-e2e');
  await close();
});

test('an event the server refuses for good is reported once and not retried', async () => {
  const { page, anonymousId, close } = await openDemo();
  const tooLong = 'x'.repeat(2000); // event names are limited to 1,024 characters
  await page.evaluate((name) => {
    tracker.track(name);
    tracker.track('Accepted Neighbour');
  }, tooLong);

  const events = await eventsOf(anonymousId, '"Accepted Neighbour"', (es) => es.some(named('Accepted Neighbour')));
  assert.equal(count(events, named(tooLong)), 0);
  const sends = await page.evaluate((name) => demo.sends.filter((s) => s.events.some((e) => e.event === name)), tooLong);
  assert.equal(sends.length, 1, 'sent once, not retried');
  const [rejected] = sends[0].response.rejected;
  assert.equal(sends[0].events[rejected.index].event, tooLong);
  await page.evaluate(() => tracker.track('Final Marker'));
  await eventsOf(anonymousId, '"Final Marker"', (es) => es.some(named('Final Marker')));
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tracker_q_')).length), 0);
  await close();
});

test('an unknown write key gets a 401 that is shown and dropped, without a login dialog hanging the send', async () => {
  const { page, close } = await openDemo({ writeKey: 'not-a-configured-key' });
  await page.click('#track');
  await page.click('#flush');
  const answer = await page.waitForFunction(() => demo.sends.find((s) => s.status === 401), null, { timeout: 10000 });
  const { response } = await answer.jsonValue();
  assert.equal(response.status, 401);
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('tracker_q_')));
  await close();
});

test('events tracked while offline arrive once the connection returns', async () => {
  const { context, page, anonymousId, close } = await openDemo();
  await eventsOf(anonymousId, 'the first page view', (es) => es.some((e) => e.type === 'page'));

  await context.setOffline(true);
  await page.evaluate(() => tracker.track('Tracked Offline'));
  await page.waitForFunction(() =>
    Object.keys(localStorage).some((k) => k.startsWith('tracker_q_') && localStorage[k].includes('Tracked Offline')),
  );
  await context.setOffline(false);

  const events = await eventsOf(anonymousId, '"Tracked Offline"', (es) => es.some(named('Tracked Offline')));
  const offline = events.find(named('Tracked Offline'));
  assert.equal(count(events, named('Tracked Offline')), 1);
  assert.ok(Date.parse(offline.originalTimestamp) < Date.parse(offline.sentAt), 'timestamp is the call time, sentAt the send time');
  await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('tracker_q_')));
  await close();
});

test('an event tracked just before following a link arrives (sendBeacon on pagehide)', async () => {
  // A minute-long flush interval: only the unload path can deliver these events in time.
  const { context, page, anonymousId, close } = await openDemo({ flushInterval: '60000' });
  await page.click('#leave');
  await page.waitForURL('**/demo/left.html');

  const events = await eventsOf(anonymousId, 'the page view and "Outbound Link Clicked"', (es) =>
    es.some(named('Outbound Link Clicked')) && es.some((e) => e.type === 'page'),
  );
  assert.equal(count(events, named('Outbound Link Clicked')), 1);
  assert.equal(events.find(named('Outbound Link Clicked')).properties.href, `${api.baseUrl}/demo/left.html`);
  await close();
});

test('single-page navigation (pushState, back button) produces page views', async () => {
  const { context, page, anonymousId, close } = await openDemo();
  await page.click('#spa');
  await page.waitForFunction(() => location.search.includes('view=2'));
  await page.click('#spa');
  await page.waitForFunction(() => location.search.includes('view=3'));
  await page.goBack();
  await page.waitForFunction(() => location.search.includes('view=2'));

  const events = await eventsOf(anonymousId, 'four page views', (es) => es.filter((e) => e.type === 'page').length >= 4);
  const pages = events
    .filter((e) => e.type === 'page')
    .sort((a, b) => Date.parse(a.originalTimestamp) - Date.parse(b.originalTimestamp));
  const view = (e) => new URL(e.context.page.url).searchParams.get('view');
  assert.deepEqual(pages.map(view), [null, '2', '3', '2']);
  assert.equal(pages[1].properties.referrer, pages[0].context.page.url, 'the previous view is the referrer');
  assert.equal(pages[3].context.page.search, new URL(pages[3].context.page.url).search);
  await close();
});

test('events left by a page that closed offline are sent once by the next page load', async () => {
  const { context, page, anonymousId, close } = await openDemo();
  await eventsOf(anonymousId, 'the first page view', (es) => es.some((e) => e.type === 'page'));

  await context.setOffline(true);
  await page.evaluate(() => tracker.track('Left In Storage'));
  await page.reload().catch(() => {}); // fails offline: the tracker keeps its queue for the next load
  await context.setOffline(false);
  await page.goto(demoUrl());
  await page.evaluate(() => tracker.track('Next Page Marker'));

  const events = await eventsOf(anonymousId, '"Left In Storage" and "Next Page Marker"', (es) =>
    es.some(named('Left In Storage')) && es.some(named('Next Page Marker')),
  );
  assert.equal(count(events, named('Left In Storage')), 1);
  // The marker left after the persisted event; one more flush proves nothing else is pending.
  await page.evaluate(() => tracker.track('Final Marker'));
  const final = await eventsOf(anonymousId, '"Final Marker"', (es) => es.some(named('Final Marker')));
  assert.equal(count(final, named('Left In Storage')), 1);
  assert.equal(new Set(final.map((e) => e.messageId)).size, final.length, 'no duplicates');
  await close();
});
