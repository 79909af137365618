import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTracker, settle } from './fakes.mjs';

const KB = 1024;
const bytes = (value) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));

function started(options = {}, env = {}) {
  const page = loadTracker(env);
  page.tracker.load('wk', { autoPage: false, ...options });
  return page;
}

test('events wait for flushInterval, then leave as one batch', async () => {
  const page = started({ flushInterval: 500 });
  page.tracker.track('A');
  page.tracker.track('B');
  await page.clock.tick(499);
  assert.equal(page.fetch.requests.length, 0);
  await page.clock.tick(1);
  assert.equal(page.fetch.requests.length, 1);
  assert.deepEqual(page.sent().map((e) => e.event), ['A', 'B']);
});

test('reaching flushAt sends at once', async () => {
  const page = started({ flushAt: 3, flushInterval: 60000 });
  page.tracker.track('A');
  page.tracker.track('B');
  await settle();
  assert.equal(page.fetch.requests.length, 0);
  page.tracker.track('C');
  await settle();
  assert.equal(page.fetch.requests.length, 1);
  assert.equal(page.fetch.requests[0].body.batch.length, 3);
});

test('a batch is a text/plain POST to /v1/batch with writeKey and sentAt in the body', async () => {
  const page = started({ flushAt: 1 });
  page.tracker.track('A');
  await settle();
  const [request] = page.fetch.requests;
  assert.equal(request.url, 'https://api.example/v1/batch', 'defaults to the origin tracker.js came from');
  assert.equal(request.init.method, 'POST');
  assert.equal(request.init.headers['Content-Type'], 'text/plain');
  assert.equal(request.init.keepalive, true);
  assert.equal(request.init.credentials, 'omit', 'no cookies, and no login dialog on a 401');
  assert.equal(request.body.writeKey, 'wk');
  assert.match(request.body.sentAt, /Z$/);
});

test('apiHost overrides the endpoint, with https:// assumed when no scheme is given', async () => {
  for (const [apiHost, url] of [
    ['http://127.0.0.1:5000/', 'http://127.0.0.1:5000/v1/batch'],
    ['track.example.com', 'https://track.example.com/v1/batch'],
  ]) {
    const page = started({ flushAt: 1, apiHost });
    page.tracker.track('A');
    await settle();
    assert.equal(page.fetch.requests[0].url, url);
  }
});

test('only one request is in flight; what arrives meanwhile goes next, in order', async () => {
  const page = started({ flushAt: 2 });
  page.tracker.track('1');
  page.tracker.track('2');
  page.tracker.track('3');
  page.tracker.track('4');
  assert.equal(page.fetch.requests.length, 1);
  await settle();
  await settle();
  assert.equal(page.fetch.requests.length, 2);
  assert.deepEqual(page.sent().map((e) => e.event), ['1', '2', '3', '4']);
});

test('an event over 32 KB is dropped with a console warning; the rest flow', async () => {
  const page = started({ flushAt: 1 });
  page.tracker.track('Huge', { blob: 'x'.repeat(33 * KB) });
  page.tracker.track('Small');
  await settle();
  assert.deepEqual(page.sent().map((e) => e.event), ['Small']);
  assert.match(String(page.warnings[0][1]), /over the 32 KB limit/);
});

test('multi-byte text counts in UTF-8 bytes for the 32 KB limit', async () => {
  const page = started({ flushAt: 1 });
  page.tracker.track('Wide', { text: '€'.repeat(11 * KB) }); // 11k chars, 33 KB in UTF-8
  await settle();
  assert.deepEqual(page.sent(), []);
  assert.equal(page.warnings.length, 1);
});

test('a large backlog is split into requests under 500 KB each', async () => {
  const page = started({ flushAt: 100, flushInterval: 60000 });
  page.setOnline(false);
  for (let i = 0; i < 60; i++) page.tracker.track(`Big ${i}`, { blob: 'x'.repeat(30 * KB) });
  page.setOnline(true);
  for (let i = 0; i < 10; i++) await settle();
  assert.ok(page.fetch.requests.length >= 4);
  for (const request of page.fetch.requests) assert.ok(bytes(request.body) <= 500 * KB, `${bytes(request.body)} bytes`);
  assert.equal(page.sent().length, 60);
});

test('many small events are split under 500 KB, counting the sentAt added at send time', async () => {
  const page = started({ flushAt: 5000, maxQueue: 5000, flushInterval: 60000 });
  page.setOnline(false);
  for (let i = 0; i < 1500; i++) page.tracker.track(`Small ${i}`, { i });
  page.setOnline(true);
  for (let i = 0; i < 10; i++) await settle();
  assert.ok(page.fetch.requests.length >= 2);
  for (const request of page.fetch.requests) {
    const size = bytes(request.init.body);
    assert.ok(size <= 500 * KB, `${size} bytes`);
  }
  assert.equal(page.sent().length, 1500);
});

test('5xx and network errors are retried with exponential backoff and jitter', async () => {
  const page = started({ flushAt: 1 });
  page.fetch.respond({ status: 503 }, { status: 500 }, { networkError: true });
  page.tracker.track('Retried');
  const delays = [];
  for (let i = 0; i < 3; i++) {
    await settle();
    const [timer] = page.clock.pending();
    delays.push(timer.ms);
    await page.clock.tick(timer.ms);
  }
  await settle();
  assert.ok(delays[0] >= 500 && delays[0] <= 1000, `first delay ${delays[0]}`);
  assert.ok(delays[1] >= 1000 && delays[1] <= 2000, `second delay ${delays[1]}`);
  assert.ok(delays[2] >= 2000 && delays[2] <= 4000, `third delay ${delays[2]}`);
  assert.equal(page.fetch.requests.length, 4);
  const ids = page.fetch.requests.map((r) => r.body.batch[0].messageId);
  assert.equal(new Set(ids).size, 1, 'a retry keeps the messageId');
  assert.equal(page.storage.queue().length, 0);
});

test('backoff is capped by maxBackoff', async () => {
  const page = started({ flushAt: 1, maxBackoff: 3000 });
  page.fetch.respond(...Array.from({ length: 6 }, () => ({ status: 502 })));
  page.tracker.track('Capped');
  let last = 0;
  for (let i = 0; i < 6; i++) {
    await settle();
    last = page.clock.pending()[0].ms;
    await page.clock.tick(last);
  }
  assert.ok(last <= 3000 && last >= 1500, `last delay ${last}`);
});

test('429 honours Retry-After in seconds and as an HTTP date', async () => {
  const page = started({ flushAt: 1 });
  const at = new Date(Date.now() + 20000).toUTCString();
  page.fetch.respond({ status: 429, headers: { 'retry-after': '7' } }, { status: 503, headers: { 'retry-after': at } });
  page.tracker.track('Throttled');
  await settle();
  assert.equal(page.clock.pending()[0].ms, 7000);
  await page.clock.tick(7000);
  await settle();
  const ms = page.clock.pending()[0].ms;
  assert.ok(ms > 15000 && ms <= 20000, `${ms} ms`);
  await page.clock.tick(ms);
  assert.equal(page.sent().filter((e) => e.event === 'Throttled').length, 3);
});

test('other 4xx drop the batch with a warning and delivery carries on', async () => {
  const page = started({ flushAt: 1 });
  page.fetch.respond({ status: 400, json: { title: 'Bad Request' } });
  page.tracker.track('Refused');
  await settle();
  page.tracker.track('Next');
  await settle();
  assert.deepEqual(page.sent().map((e) => e.event), ['Refused', 'Next']);
  assert.equal(page.clock.pending().length, 0, 'no retry');
  assert.match(String(page.warnings[0][1]), /HTTP 400/);
  assert.equal(page.storage.queue().length, 0);
});

test('a 200 with rejected entries warns about those events and does not resend them', async () => {
  const page = started({ flushAt: 2 });
  page.fetch.respond({
    status: 200,
    json: { success: true, accepted: 1, rejected: [{ index: 1, errors: ['event is required'] }] },
  });
  page.tracker.track('Good');
  page.tracker.track('Bad');
  await settle();
  assert.equal(page.fetch.requests.length, 1);
  assert.equal(page.warnings.length, 1);
  assert.equal(page.warnings[0][2].event, 'Bad');
  assert.equal(page.storage.queue().length, 0);
  assert.equal(page.clock.pending().length, 0);
});

test('413 splits the batch in halves until it fits, then drops a lone refused event', async () => {
  const page = started({ flushAt: 4 });
  page.fetch.respond({ status: 413 }, { status: 413 }, { status: 413 });
  ['1', '2', '3', '4'].forEach((e) => page.tracker.track(e));
  for (let i = 0; i < 5; i++) {
    await settle();
    await page.clock.tick(2000);
  }
  const batches = page.fetch.requests.map((r) => r.body.batch.map((e) => e.event).join(''));
  assert.deepEqual(batches, ['1234', '12', '1', '2', '34']);
  assert.match(String(page.warnings[0][1]), /HTTP 413/);
});

test('offline, nothing is attempted until the online event', async () => {
  const page = started({ flushAt: 1 }, { online: false });
  page.tracker.track('Offline');
  await page.clock.tick(60000);
  assert.equal(page.fetch.requests.length, 0);
  page.setOnline(true);
  await settle();
  assert.deepEqual(page.sent().map((e) => e.event), ['Offline']);
});

test('going online cuts a pending backoff short', async () => {
  const page = started({ flushAt: 1 });
  page.fetch.respond({ networkError: true });
  page.tracker.track('Flaky');
  await settle();
  assert.equal(page.clock.pending().length, 1);
  page.setOnline(true);
  await settle();
  assert.equal(page.fetch.requests.length, 2);
  assert.equal(page.clock.pending().length, 0);
});

test('onSend sees each send with its events and the server answer', async () => {
  const seen = [];
  const page = started({ flushAt: 1, onSend: (info) => seen.push(info) });
  page.tracker.track('Observed');
  await settle();
  assert.equal(seen.length, 1);
  assert.equal(seen[0].transport, 'fetch');
  assert.equal(seen[0].status, 200);
  assert.equal(seen[0].events[0].event, 'Observed');
  assert.equal(seen[0].response.accepted, 1);
});

test('hiding the page sends the queue by beacon as text with the write key', async () => {
  const page = started({ flushInterval: 60000 });
  page.tracker.track('Before Leaving');
  page.hide();
  assert.equal(page.beacons.length, 1);
  assert.equal(page.beacons[0].url, 'https://api.example/v1/batch');
  assert.equal(page.beacons[0].body.writeKey, 'wk');
  assert.equal(page.beacons[0].body.batch[0].event, 'Before Leaving');
  assert.equal(page.storage.queue().length, 0);
  await page.clock.tick(60000);
  assert.equal(page.fetch.requests.length, 0, 'beaconed events are not sent again');
});

test('after a failure, a definitive answer lets beacons go again', async () => {
  const page = started({ flushInterval: 60000 });
  page.fetch.respond({ status: 503 }, { status: 400 });
  page.tracker.track('Fails Then Refused');
  page.tracker.flush();
  await settle();
  await page.clock.tick(page.clock.pending()[0].ms);
  assert.equal(page.fetch.requests.length, 2);
  page.tracker.track('Leaving');
  page.pagehide();
  assert.deepEqual(page.beacons.flatMap((b) => b.body.batch.map((e) => e.event)), ['Leaving']);
});

test('beacons of many small events stay under the 64 KB beacon limit', () => {
  const page = started({ flushAt: 5000, maxQueue: 5000, flushInterval: 60000 });
  for (let i = 0; i < 400; i++) page.tracker.track(`Small ${i}`, { i });
  page.pagehide();
  assert.ok(page.beacons.length >= 2);
  for (const beacon of page.beacons) assert.ok(bytes(beacon.body) < 64 * KB, `${bytes(beacon.body)} bytes`);
  assert.equal(page.beacons.flatMap((b) => b.body.batch).length, 400);
});

test('beacons are split under the 64 KB beacon limit', () => {
  const page = started({ flushAt: 100, flushInterval: 60000 });
  for (let i = 0; i < 10; i++) page.tracker.track(`Big ${i}`, { blob: 'x'.repeat(20 * KB) });
  page.pagehide();
  assert.ok(page.beacons.length >= 4);
  for (const beacon of page.beacons) assert.ok(bytes(beacon.body) < 64 * KB);
  assert.equal(page.beacons.flatMap((b) => b.body.batch).length, 10);
});

test('a beacon the browser refuses leaves the events stored for the next page', () => {
  const page = started({ flushInterval: 60000 }, { sendBeacon: () => false });
  page.tracker.track('Refused Beacon');
  page.pagehide();
  const [stored] = page.storage.queue();
  assert.equal(stored.d, 1);
  assert.equal(stored.q[0].event, 'Refused Beacon');
});

test('without sendBeacon the queue leaves by fetch with keepalive', () => {
  const page = started({ flushInterval: 60000 }, { sendBeacon: null });
  page.tracker.track('Keepalive');
  page.pagehide();
  assert.equal(page.fetch.requests.length, 1);
  assert.equal(page.fetch.requests[0].init.keepalive, true);
  assert.equal(page.fetch.requests[0].body.batch[0].event, 'Keepalive');
});

test('no beacon while offline or while the server is failing: events stay stored', async () => {
  const offline = started({ flushInterval: 60000 }, { online: false });
  offline.tracker.track('Offline');
  offline.pagehide();
  assert.equal(offline.beacons.length, 0);
  assert.equal(offline.storage.queue()[0].q[0].event, 'Offline');

  const failing = started({ flushAt: 1 });
  failing.fetch.respond({ status: 503 });
  failing.tracker.track('Failing');
  await settle();
  failing.pagehide();
  assert.equal(failing.beacons.length, 0);
  assert.equal(failing.storage.queue()[0].q[0].event, 'Failing');
});
