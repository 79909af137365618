import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import vm from 'node:vm';
import { paths } from '../build.mjs';
import { CookieJar, FakeStorage, loadTracker, settle } from './fakes.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function sendNow(page) {
  page.tracker.flush();
  await settle();
  return page.sent();
}

test('a page view is sent on load with the page in properties and context', async () => {
  const page = loadTracker();
  page.tracker.load('wk');
  const [event] = await sendNow(page);
  assert.equal(event.type, 'page');
  const expected = {
    path: '/products',
    referrer: 'https://search.example/',
    search: '?sort=price',
    title: 'Products',
    url: 'https://shop.example/products?sort=price',
  };
  assert.deepEqual({ ...event.properties }, expected);
  assert.deepEqual({ ...event.context.page }, expected);
});

test('every event carries the analytics.js context, ids and timestamps', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  page.tracker.track('Signed Up', { plan: 'pro' });
  const [event] = await sendNow(page);
  assert.equal(event.type, 'track');
  assert.equal(event.event, 'Signed Up');
  assert.deepEqual({ ...event.properties }, { plan: 'pro' });
  assert.match(event.messageId, UUID);
  assert.match(event.anonymousId, UUID);
  assert.match(event.timestamp, ISO);
  assert.match(event.sentAt, ISO);
  const { context } = event;
  assert.deepEqual({ ...context.library }, { name: 'tracker.js', version: '1.0.0' });
  assert.equal(context.locale, 'en-GB');
  assert.equal(context.userAgent, 'FakeBrowser/1.0');
  assert.deepEqual({ ...context.screen }, { width: 1280, height: 800, density: 2 });
  assert.equal(typeof context.timezone, 'string');
  assert.equal(context.page.path, '/products');
});

test('the library version in the source matches package.json', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const page = loadTracker();
  assert.equal(page.tracker.VERSION, pkg.version);
});

test('timestamp is the call time and sentAt the send time', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  page.tracker.track('Early', {}, { timestamp: '2020-01-02T03:04:05.000Z' });
  const [event] = await sendNow(page);
  assert.equal(event.timestamp, '2020-01-02T03:04:05.000Z');
  assert.ok(Date.parse(event.sentAt) > Date.parse(event.timestamp));
  assert.equal(page.fetch.requests[0].body.sentAt, event.sentAt);
});

test('identify stores the user id for later events and reset forgets it with a new anonymousId', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  const before = page.tracker.anonymousId();
  page.tracker.identify('user-1', { email: 'a@example.com' });
  page.tracker.track('After Identify');
  page.tracker.reset();
  page.tracker.track('After Reset');
  const [identify, track, anonymous] = await sendNow(page);
  assert.equal(identify.type, 'identify');
  assert.equal(identify.userId, 'user-1');
  assert.deepEqual({ ...identify.traits }, { email: 'a@example.com' });
  assert.equal(track.userId, 'user-1');
  assert.equal(track.anonymousId, before);
  assert.equal(anonymous.userId, undefined);
  assert.notEqual(anonymous.anonymousId, before);
});

test('identify with only traits keeps the current user', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  page.tracker.identify(42);
  page.tracker.identify({ plan: 'pro' });
  const [, second] = await sendNow(page);
  assert.equal(second.userId, '42');
  assert.deepEqual({ ...second.traits }, { plan: 'pro' });
});

test('page takes an optional name, group a group id, alias the previous id', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  page.tracker.page('Pricing', { variant: 'b' });
  page.tracker.page({ only: 'properties' });
  page.tracker.group('acme', { seats: 10 });
  page.tracker.alias('user-9');
  const [named, unnamed, group, alias] = await sendNow(page);
  assert.equal(named.name, 'Pricing');
  assert.equal(named.properties.variant, 'b');
  assert.equal(named.properties.path, '/products');
  assert.equal(unnamed.name, undefined);
  assert.equal(unnamed.properties.only, 'properties');
  assert.equal(group.type, 'group');
  assert.equal(group.groupId, 'acme');
  assert.deepEqual({ ...group.traits }, { seats: 10 });
  assert.equal(alias.type, 'alias');
  assert.equal(alias.userId, 'user-9');
  assert.equal(alias.previousId, page.tracker.anonymousId());
});

test('per-call options merge into context and set integrations', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  page.tracker.track('Campaign', {}, { context: { campaign: { name: 'spring' } }, integrations: { All: false } });
  const [event] = await sendNow(page);
  assert.equal(event.context.campaign.name, 'spring');
  assert.equal(event.context.library.name, 'tracker.js');
  assert.deepEqual({ ...event.integrations }, { All: false });
});

test('calls queued by the snippet are replayed in order with their call time', async () => {
  const stub = [];
  const early = ['track', 'Clicked Early', { a: 1 }];
  early.t = Date.parse('2021-05-06T07:08:09.000Z');
  stub.push(['load', 'wk', { autoPage: false }], early, ['identify', 'u-1']);
  stub.invoked = 1;
  const page = loadTracker({ stub });
  assert.equal(page.tracker.initialized, true);
  const [track, identify] = await sendNow(page);
  assert.equal(track.event, 'Clicked Early');
  assert.equal(track.timestamp, '2021-05-06T07:08:09.000Z');
  assert.equal(identify.userId, 'u-1');
});

test('the snippet defines stubs, queues calls and inserts the script asynchronously', () => {
  const html = readFileSync(paths.snippet, 'utf8');
  const code = html.replace(/<\/?script>/g, '');
  const inserted = [];
  const firstScript = { parentNode: { insertBefore: (el) => inserted.push(el) } };
  const window = {};
  const document = {
    createElement: (tag) => ({ tag }),
    getElementsByTagName: () => [firstScript],
  };
  vm.runInNewContext(code, { window, document });
  window.tracker.track('Before Load', { x: 1 });
  assert.equal(inserted.length, 1);
  assert.equal(inserted[0].async, 1);
  assert.equal(inserted[0].src, 'https://YOUR_API_HOST/tracker.js');
  assert.deepEqual([...window.tracker[0]].slice(0, 2), ['load', 'YOUR_WRITE_KEY']);
  assert.deepEqual(JSON.parse(JSON.stringify(window.tracker[1])), ['track', 'Before Load', { x: 1 }]);
  assert.equal(typeof window.tracker[1].t, 'number');
  vm.runInNewContext(code, { window, document });
  assert.equal(inserted.length, 1, 'a second copy of the snippet does nothing');
});

test('automatic page views follow pushState and popstate, not same-path replaceState', async () => {
  const page = loadTracker();
  page.tracker.load('wk');
  page.win.history.pushState({}, '', '/cart');
  await page.clock.tick(0);
  page.win.history.replaceState({}, '', '/cart');
  await page.clock.tick(0);
  page.navigate('/products?sort=price');
  page.win.dispatch('popstate');
  await page.clock.tick(0);
  const pages = (await sendNow(page)).filter((e) => e.type === 'page');
  assert.deepEqual(
    pages.map((e) => e.properties.path),
    ['/products', '/cart', '/products'],
  );
  assert.equal(pages[1].properties.referrer, 'https://shop.example/products?sort=price');
  assert.equal(pages[1].context.page.url, 'https://shop.example/cart');
  assert.equal(pages[2].properties.referrer, 'https://shop.example/cart');
});

test('quick successive navigations each get a page view with their own URL and the new title', async () => {
  const page = loadTracker();
  page.tracker.load('wk');
  page.win.history.pushState({}, '', '/a');
  page.win.history.pushState({}, '', '/b');
  page.navigate('/a');
  page.win.dispatch('popstate');
  page.win.document.title = 'Route A';
  await page.clock.tick(0);
  const pages = (await sendNow(page)).slice(1);
  assert.deepEqual(
    pages.map((e) => [e.properties.path, e.context.page.path, e.properties.referrer]),
    [
      ['/a', '/a', 'https://shop.example/products?sort=price'],
      ['/b', '/b', 'https://shop.example/a'],
      ['/a', '/a', 'https://shop.example/b'],
    ],
  );
  assert.ok(pages.every((e) => e.properties.title === 'Route A' && e.context.page.title === 'Route A'));
  assert.ok(pages[0].timestamp <= pages[2].timestamp);
});

test('automatic page views can be switched off', async () => {
  const page = loadTracker();
  page.tracker.load('wk', { autoPage: false });
  page.win.history.pushState({}, '', '/cart');
  await page.clock.tick(10);
  assert.deepEqual(await sendNow(page), []);
});

test('anonymousId survives a reload through localStorage', () => {
  const storage = new FakeStorage();
  const first = loadTracker({ storage, cookies: null }).tracker.anonymousId();
  assert.match(first, UUID);
  assert.equal(loadTracker({ storage, cookies: null }).tracker.anonymousId(), first);
});

test('anonymousId falls back to a cookie when localStorage throws', () => {
  const cookies = new CookieJar();
  const first = loadTracker({ storage: 'throws', cookies }).tracker.anonymousId();
  assert.match(cookies.read(), new RegExp(`tracker_aid=${first}`));
  assert.equal(loadTracker({ storage: 'throws', cookies }).tracker.anonymousId(), first);
});

test('anonymousId is recovered from the cookie when localStorage was cleared', () => {
  const cookies = new CookieJar();
  const first = loadTracker({ cookies }).tracker.anonymousId();
  assert.equal(loadTracker({ storage: new FakeStorage(), cookies }).tracker.anonymousId(), first);
});

test('with neither storage nor cookies anonymousId is stable for the page and events still flow', async () => {
  const page = loadTracker({ storage: null, cookies: null });
  page.tracker.load('wk', { autoPage: false });
  const id = page.tracker.anonymousId();
  page.tracker.track('No Storage');
  const [event] = await sendNow(page);
  assert.equal(event.anonymousId, id);
  assert.equal(page.tracker.anonymousId(), id);
  assert.deepEqual(page.warnings, []);
});

test('ids fall back to Math.random v4 UUIDs when window.crypto has neither randomUUID nor getRandomValues', () => {
  const page = loadTracker({ randomUUID: false, storage: null, cookies: null });
  const ids = new Set(Array.from({ length: 50 }, () => (page.tracker.reset(), page.tracker.anonymousId())));
  assert.equal(ids.size, 50);
  for (const id of ids) assert.match(id, UUID);
});

test('bad input and failing host hooks are logged, never thrown into the page', async () => {
  const page = loadTracker();
  page.tracker.load('wk', {
    autoPage: false,
    onSend: () => {
      throw new Error('host bug');
    },
  });
  const cyclic = {};
  cyclic.self = cyclic;
  assert.doesNotThrow(() => page.tracker.track('Cyclic', cyclic));
  assert.doesNotThrow(() => page.tracker.track());
  assert.doesNotThrow(() => page.tracker.group());
  assert.doesNotThrow(() => page.tracker.load('again'));
  page.tracker.track('Fine');
  assert.deepEqual((await sendNow(page)).map((e) => e.event), ['Fine']);
  assert.ok(page.warnings.length >= 4);
  assert.ok(page.warnings.some((w) => String(w[1]).includes('host bug')));
});

test('a fetch that throws synchronously does not escape and is retried like a network error', async () => {
  const page = loadTracker();
  const realFetch = page.win.fetch;
  page.win.fetch = () => {
    throw new Error('blocked by an extension');
  };
  page.tracker.load('wk', { autoPage: false, flushAt: 1 });
  assert.doesNotThrow(() => page.tracker.track('Blocked'));
  await settle();
  assert.equal(page.clock.pending().length, 1, 'a retry is scheduled');
  page.win.fetch = realFetch;
  await page.clock.tick(1000);
  assert.deepEqual(page.sent().map((e) => e.event), ['Blocked']);
});

test('loading tracker.js twice keeps the first instance', () => {
  const page = loadTracker();
  const first = page.tracker;
  vm.runInContext(readFileSync(paths.source, 'utf8'), page.win);
  assert.equal(page.win.tracker, first);
});
