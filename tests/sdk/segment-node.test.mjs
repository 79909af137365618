// Segment's Node SDK (@segment/analytics-node), unchanged but for its host, against the real API
// with the File sink. The SDK talks to the API through a pass-through recorder, so each test can
// say what went over the wire as well as what landed in the outbox.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Analytics } from '@segment/analytics-node';
import { WRITE_KEY, assertLandedOnceEnriched, messagesOf, settledOutbox, startApi, startRecorder } from './support.mjs';

let api;
let recorder;

before(async () => {
  api = await startApi();
  recorder = await startRecorder(api.baseUrl);
});

after(async () => {
  await recorder?.stop();
  await api?.stop();
});

/** The SDK pointed at the recorder; failures it reports (it drops a batch on a 4xx) are collected. */
function segment(settings = {}) {
  const analytics = new Analytics({ writeKey: WRITE_KEY, host: recorder.url, flushInterval: 200, maxRetries: 2, ...settings });
  const errors = [];
  analytics.on('error', (error) => errors.push(error?.reason?.message ?? error?.message ?? String(error)));
  return { analytics, errors };
}

test('every message type the Node SDK sends lands in the outbox exactly once, enriched', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const userId = `node-user-${run}`;
  const { analytics, errors } = segment({ maxEventsInBatch: 15 });

  analytics.track({ userId, event: 'Order Completed', properties: { run, total: 42.5, items: [{ sku: 'a' }] } });
  analytics.identify({ userId, traits: { run, email: 'ada@example.com', plan: 'pro' } });
  analytics.page({ userId, category: 'Docs', name: 'Getting started', properties: { run, url: 'https://example.com/docs' } });
  analytics.screen({ userId, name: 'Settings', properties: { run } });
  analytics.group({ userId, groupId: `group-${run}`, traits: { run, name: 'Acme' } });
  analytics.alias({ userId, previousId: `anon-${run}` });
  await analytics.closeAndFlush({ timeout: 15000 });

  const exchanges = recorder.exchanges.slice(from);
  recorder.log(t, exchanges);
  assert.deepEqual(errors, [], `the SDK reported no delivery failure; wire:\n${recorder.describe(exchanges)}`);
  assert.ok(exchanges.length > 0, 'the SDK sent something');
  for (const exchange of exchanges) {
    assert.equal(`${exchange.method} ${exchange.path}`, 'POST /v1/batch', 'it batches to /v1/batch');
    assert.ok(exchange.status >= 200 && exchange.status < 300, `the API accepted: ${recorder.describe([exchange])}`);
  }
  const sent = exchanges.flatMap(messagesOf);
  assert.deepEqual(
    sent.map((m) => m.type).sort(),
    ['alias', 'group', 'identify', 'page', 'screen', 'track'],
    'one message of each type went over the wire',
  );

  const outbox = await settledOutbox(api, sent.map((m) => m.messageId), 'the Node SDK messages in the outbox');
  assertLandedOnceEnriched(sent, outbox, { startedAt });
  const mine = outbox.filter((e) => e.userId === userId);
  assert.equal(mine.length, 6, 'nothing else was stored for this user');
  const track = mine.find((e) => e.type === 'track');
  assert.deepEqual(track.properties, { run, total: 42.5, items: [{ sku: 'a' }] });
  assert.equal(track.context.library.name, '@segment/analytics-node', 'the SDK context is kept');
  assert.equal(mine.find((e) => e.type === 'identify').traits.email, 'ada@example.com');
  assert.equal(mine.find((e) => e.type === 'page').name, 'Getting started');
  assert.equal(mine.find((e) => e.type === 'screen').name, 'Settings');
  assert.equal(mine.find((e) => e.type === 'alias').previousId, `anon-${run}`);
});

test('the Node SDK splits many events into several batches and each event lands once', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const { analytics, errors } = segment({ maxEventsInBatch: 10 });

  for (let i = 0; i < 35; i++) {
    analytics.track({ anonymousId: `node-anon-${run}`, event: 'Item Viewed', properties: { run, i } });
  }
  await analytics.closeAndFlush({ timeout: 15000 });

  const exchanges = recorder.exchanges.slice(from);
  recorder.log(t, exchanges);
  assert.deepEqual(errors, [], `the SDK reported no delivery failure; wire:\n${recorder.describe(exchanges)}`);
  assert.ok(exchanges.length >= 4, `35 events at 10 a batch take at least 4 requests, saw ${exchanges.length}`);
  assert.ok(exchanges.every((e) => e.status === 200), `every batch accepted:\n${recorder.describe(exchanges)}`);
  const sent = exchanges.flatMap(messagesOf);
  assert.equal(new Set(sent.map((m) => m.messageId)).size, 35);

  const outbox = await settledOutbox(api, sent.map((m) => m.messageId), 'the 35 batched events in the outbox');
  assertLandedOnceEnriched(sent, outbox, { startedAt });
  const mine = outbox.filter((e) => e.anonymousId === `node-anon-${run}`);
  assert.deepEqual(mine.map((e) => e.properties.i).sort((a, b) => a - b), [...Array(35).keys()]);
});
