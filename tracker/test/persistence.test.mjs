import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeStorage, fakeFetch, loadTracker, settle } from './fakes.mjs';

function started(env = {}, options = {}) {
  const page = loadTracker(env);
  page.tracker.load('wk', { autoPage: false, flushInterval: 60000, ...options });
  return page;
}

test('unsent events are mirrored to localStorage and removed once the server has them', async () => {
  const page = started();
  page.tracker.track('Pending');
  const [stored] = page.storage.queue();
  assert.equal(stored.k, 'wk');
  assert.equal(stored.d, 0);
  assert.deepEqual(stored.q.map((e) => e.event), ['Pending']);
  page.tracker.flush();
  assert.equal(page.storage.queue().length, 1, 'kept while the request is in flight');
  await settle();
  assert.equal(page.storage.queue().length, 0);
});

test('events left by a closed page are sent once on the next page load', async () => {
  const storage = new FakeStorage();
  const first = started({ storage, online: false });
  first.tracker.track('From Last Page');
  first.pagehide();

  const second = started({ storage });
  second.tracker.track('On This Page');
  second.tracker.flush();
  await settle();
  assert.deepEqual(second.sent().map((e) => e.event), ['From Last Page', 'On This Page']);
  assert.equal(storage.queue().length, 0);

  const third = started({ storage });
  third.tracker.flush();
  await settle();
  assert.deepEqual(third.sent(), [], 'nothing is sent twice');
});

test("an open tab's queue is left to that tab", async () => {
  const storage = new FakeStorage();
  const open = started({ storage, online: false });
  open.tracker.track('Still Open');

  const other = started({ storage });
  other.tracker.flush();
  await settle();
  assert.deepEqual(other.sent(), []);
  assert.equal(storage.queue().find((r) => r.q[0].event === 'Still Open').d, 0);
});

test('a queue untouched for a day is taken over, as its page died without pagehide', async () => {
  const storage = new FakeStorage();
  const dead = started({ storage, online: false });
  dead.tracker.track('Crashed Tab');
  const [record] = storage.queue();
  storage.setItem(record.key, JSON.stringify({ ...record, key: undefined, t: Date.now() - 25 * 3600 * 1000 }));

  const next = started({ storage });
  next.tracker.flush();
  await settle();
  assert.deepEqual(next.sent().map((e) => e.event), ['Crashed Tab']);
});

test("queues of another write key are not taken; corrupt ones are cleared", async () => {
  const storage = new FakeStorage();
  storage.setItem('tracker_q_other', JSON.stringify({ k: 'other-key', t: 0, d: 1, q: [{ messageId: 'x' }] }));
  storage.setItem('tracker_q_broken', '{not json');
  const page = started({ storage });
  page.tracker.flush();
  await settle();
  assert.deepEqual(page.sent(), []);
  assert.equal(storage.getItem('tracker_q_broken'), null);
  assert.notEqual(storage.getItem('tracker_q_other'), null);
});

test('reclaimed events are sent oldest first and a duplicated messageId only once', async () => {
  const storage = new FakeStorage();
  const event = (id, ts) => ({ type: 'track', event: id, messageId: id, anonymousId: 'a', timestamp: ts });
  storage.setItem('tracker_q_1', JSON.stringify({ k: 'wk', t: 1, d: 1, q: [event('b', '2024-01-01T00:00:02.000Z')] }));
  storage.setItem(
    'tracker_q_2',
    JSON.stringify({ k: 'wk', t: 1, d: 1, q: [event('a', '2024-01-01T00:00:01.000Z'), event('b', '2024-01-01T00:00:02.000Z')] }),
  );
  const page = started({ storage });
  page.tracker.flush();
  await settle();
  assert.deepEqual(page.sent().map((e) => e.messageId), ['a', 'b']);
});

test('events in flight when the page closes stay stored (at least once beats lost)', async () => {
  const storage = new FakeStorage();
  const hanging = fakeFetch();
  const page = started({ storage, fetch: { ...hanging, fetch: () => new Promise(() => {}) } });
  page.tracker.track('In Flight');
  page.tracker.flush();
  page.pagehide();
  const [stored] = storage.queue();
  assert.equal(stored.d, 1);
  assert.deepEqual(stored.q.map((e) => e.event), ['In Flight']);
  assert.equal(page.beacons.length, 0, 'the in-flight request is not beaconed a second time');
});

test('the queue survives a failing send and a reload, keeping each messageId', async () => {
  const storage = new FakeStorage();
  const first = started({ storage }, { flushAt: 1 });
  first.fetch.respond({ status: 503 });
  first.tracker.track('Retry Later');
  await settle();
  const id = storage.queue()[0].q[0].messageId;
  first.pagehide();

  const second = started({ storage });
  second.tracker.flush();
  await settle();
  assert.deepEqual(second.sent().map((e) => e.messageId), [id]);
});

test('a full localStorage does not stop delivery', async () => {
  const page = started({ storage: new FakeStorage({ quota: 400 }) }, { flushAt: 2 });
  page.tracker.track('One', { pad: 'x'.repeat(500) });
  page.tracker.track('Two');
  await settle();
  assert.deepEqual(page.sent().map((e) => e.event), ['One', 'Two']);
});

test('maxQueue bounds memory and storage by dropping the oldest event', async () => {
  const page = started({ online: false }, { maxQueue: 3 });
  ['1', '2', '3', '4'].forEach((e) => page.tracker.track(e));
  assert.deepEqual(page.storage.queue()[0].q.map((e) => e.event), ['2', '3', '4']);
  assert.match(String(page.warnings[0][1]), /queue full/);
});

test('coming back from the back/forward cache keeps the queue unless another page took it', () => {
  const storage = new FakeStorage();
  const page = started({ storage, online: false });
  page.tracker.track('Cached');
  page.win.dispatch('pagehide', { persisted: true });
  page.win.dispatch('pageshow', { persisted: true });
  assert.equal(storage.queue()[0].d, 0, 'alive again');

  page.win.dispatch('pagehide', { persisted: true });
  started({ storage }); // a new page takes the closed queue
  page.win.dispatch('pageshow', { persisted: true });
  assert.equal(storage.queue().filter((r) => r.q.some((e) => e.event === 'Cached')).length, 1);
});
