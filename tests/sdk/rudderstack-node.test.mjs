// RudderStack's Node SDK (@rudderstack/rudder-sdk-node), with only its dataPlaneUrl set to the
// API's root, against the real API with the File sink, through the pass-through recorder. It
// gzips its batches and lets its HTTP client (axios) choose the content type of that binary body.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Analytics from '@rudderstack/rudder-sdk-node';
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

/** The SDK pointed at the recorder; the failures it reports (it drops a batch on a 4xx) are collected. */
function rudderstack(settings = {}) {
  const errors = [];
  const client = new Analytics(WRITE_KEY, {
    dataPlaneUrl: recorder.url,
    flushAt: 20,
    flushInterval: 200,
    retryCount: 1,
    logLevel: 'error',
    errorHandler: (error) => errors.push(`${error.response?.status ?? error.code} ${error.message}`),
    ...settings,
  });
  return { client, errors };
}

test('every message type the RudderStack Node SDK sends lands in the outbox exactly once, enriched', async (t) => {
  const startedAt = Date.now();
  const from = recorder.exchanges.length;
  const run = crypto.randomUUID();
  const userId = `rudder-user-${run}`;
  const { client, errors } = rudderstack();

  client.track({ userId, event: 'Order Completed', properties: { run, total: 42.5 } });
  client.identify({ userId, traits: { run, email: 'ada@example.com' } });
  client.page({ userId, category: 'Docs', name: 'Getting started', properties: { run } });
  client.screen({ userId, name: 'Settings', properties: { run } });
  client.group({ userId, groupId: `group-${run}`, traits: { run, name: 'Acme' } });
  client.alias({ userId, previousId: `anon-${run}` });
  await client.flush();

  const exchanges = recorder.exchanges.slice(from);
  recorder.log(t, exchanges);
  assert.deepEqual(errors, [], `the SDK reported no delivery failure; wire:\n${recorder.describe(exchanges)}`);
  assert.ok(exchanges.length > 0, 'the SDK sent something');
  for (const exchange of exchanges) {
    assert.equal(`${exchange.method} ${exchange.path}`, 'POST /v1/batch', 'it batches to /v1/batch');
    assert.equal(exchange.headers['content-encoding'], 'gzip', 'it gzips its batches');
    assert.ok(exchange.status >= 200 && exchange.status < 300, `the API accepted: ${recorder.describe([exchange])}`);
  }
  const sent = exchanges.flatMap(messagesOf);
  assert.deepEqual(sent.map((m) => m.type).sort(), ['alias', 'group', 'identify', 'page', 'screen', 'track']);

  const outbox = await settledOutbox(api, sent.map((m) => m.messageId), 'the RudderStack messages in the outbox');
  assertLandedOnceEnriched(sent, outbox, { startedAt });
  const mine = outbox.filter((e) => e.userId === userId);
  assert.equal(mine.length, 6, 'nothing else was stored for this user');
  assert.deepEqual(mine.find((e) => e.type === 'track').properties, { run, total: 42.5 });
  assert.equal(mine.find((e) => e.type === 'track').context.library.name, 'analytics-node');
});
