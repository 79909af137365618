// The operations pages (/status, /debugger) in Debian's headless Chromium against the real API process
// with Tracking:AdminKey set: a wrong key is refused at the login form, the right one opens the pages
// without ever being in a URL, the status page counts events posted after it opened, the debugger shows
// such an event as it arrives, expands it to its enriched JSON and filters by type, event, user and
// source, and shows refused messages marked with their status and reason, filtered apart. Every
// request the pages make is to the API itself. With SCREENSHOT_DIR set, the run also
// leaves status.png and debugger.png there (docs/ holds the ones made so).
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { WRITE_KEY, launchBrowser, repoRoot, startApi, waitFor } from '../../tracker/test/e2e/support.mjs';

const ADMIN_KEY = 'admin-ui-test-key-0123456789';
const screenshots = process.env.SCREENSHOT_DIR ? join(repoRoot, process.env.SCREENSHOT_DIR) : null;
let api;
let browser;

before(async () => {
  [api, browser] = await Promise.all([startApi({ env: { Tracking__AdminKey: ADMIN_KEY } }), launchBrowser()]);
});

after(async () => {
  await browser?.close();
  await api?.stop();
});

/** Posts messages to /v1/batch as an SDK would and checks they are accepted. */
async function post(...messages) {
  const response = await fetch(`${api.baseUrl}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
    body: JSON.stringify({ batch: messages }),
  });
  assert.equal(response.status, 200, await response.text());
}

/** A fresh browser profile whose every request is recorded, with a helper that fails on any that left the API. */
async function openContext() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const urls = [];
  const problems = [];
  context.on('request', (request) => urls.push(request.url()));
  context.on('page', (page) => {
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  });
  return {
    context,
    urls,
    problems,
    checkRequests() {
      assert.deepEqual(urls.filter((url) => !url.startsWith(api.baseUrl)), [], 'the pages fetch nothing from anywhere else');
      assert.deepEqual(urls.filter((url) => url.includes(ADMIN_KEY)), [], 'the admin key is never in an address');
      assert.deepEqual(problems, []);
    },
  };
}

async function logIn(page, key, returnPath) {
  await page.goto(`${api.baseUrl}${returnPath}`);
  assert.equal(new URL(page.url()).pathname, '/admin/login', 'a page without a session goes to the login form');
  await page.fill('#key', key);
  return Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]).then(([response]) => response);
}

test('a wrong admin key is refused at the login form and opens neither page', async () => {
  const { context, checkRequests } = await openContext();
  try {
    const page = await context.newPage();
    const response = await logIn(page, 'not-the-admin-key-at-all', '/status');
    assert.equal(response.status(), 401);
    assert.equal(await page.textContent('.error'), 'That is not the admin key.');
    assert.deepEqual(await context.cookies(), [], 'no session cookie for a wrong key');
    for (const path of ['/status', '/debugger']) {
      await page.goto(`${api.baseUrl}${path}`);
      assert.equal(new URL(page.url()).pathname, '/admin/login', `${path} still asks for the key`);
    }
    const json = await page.evaluate(async () => (await fetch('/status.json')).status);
    assert.equal(json, 401);
    checkRequests();
  } finally {
    await context.close();
  }
});

test('the status page counts events posted after it opened and draws the last 15 minutes', async () => {
  const { context, checkRequests } = await openContext();
  try {
    const page = await context.newPage();
    await logIn(page, ADMIN_KEY, '/status');
    assert.equal(new URL(page.url()).pathname, '/status');
    const [cookie] = await context.cookies();
    assert.equal(cookie.name, 'tracking_admin');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    await page.waitForSelector('body[data-loaded=true]');
    const before = Number((await page.textContent('#accepted')).replace(/,/g, ''));

    await post(
      { type: 'track', userId: 'status-user', event: 'Status Checked' },
      { type: 'page', anonymousId: 'anon-status', name: 'Home' },
      { type: 'track', userId: 'status-user' }, // no event: rejected
    );
    await page.waitForFunction((expected) => document.getElementById('accepted').textContent.replace(/,/g, '') === String(expected), before + 2, { timeout: 15000 });
    await page.waitForFunction(() => document.getElementById('rejected-reasons').textContent.includes('invalid: 1'), null, { timeout: 15000 });
    assert.match(await page.textContent('#sink'), /File healthy/);
    assert.match(await page.textContent('#consumer-state'), /not configured/);
    // The charts are SVG drawn in the page: one polyline per series, from the samples so far.
    await page.waitForFunction(() => [...document.querySelectorAll('#chart-in polyline')].filter((line) => line.getAttribute('points')).length === 2, null, { timeout: 15000 });
    // Axes: clock times every 5 minutes, and a y scale from 0 to a round number; a flat zero line reads 0 to 1, not "max 1.00".
    const labels = (selector) => page.$$eval(selector, (texts) => texts.map((t) => t.textContent));
    const times = await labels('#chart-in .x-label');
    assert.ok(times.length >= 3 && times.every((t) => /^\d{1,2}:\d\d/.test(t)), `time labels: ${times}`);
    assert.deepEqual(await labels('#chart-failed .y-label'), ['0', '0.5', '1']);
    assert.ok(!(await page.textContent('#chart-failed')).includes('max'));
    const scale = (await labels('#chart-in .y-label')).map(Number);
    assert.equal(scale[0], 0);
    const powerOfTen = (v) => Math.abs(Math.log10(v) - Math.round(Math.log10(v))) < 1e-9;
    assert.ok([1, 2, 2.5, 5].some((m) => powerOfTen(scale[2] / m)), `a round top: ${scale}`);
    // The value under the pointer: the nearest sample's time and each series' value.
    assert.equal(await page.isVisible('#chart-in-value'), false);
    const box = await page.locator('#chart-in').boundingBox();
    await page.mouse.move(box.x + box.width - 8, box.y + box.height / 2);
    await page.waitForSelector('#chart-in-value', { state: 'visible' });
    assert.match(await page.textContent('#chart-in-value'), /^\d{1,2}:\d\d:\d\d.*: in [\d.,]+\/s, accepted [\d.,]+\/s$/);
    assert.equal(await page.locator('#chart-in .hover circle').count(), 2);
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    await page.waitForSelector('#chart-in-value', { state: 'hidden' });

    if (screenshots) {
      // Some traffic for the charts: a few rates over a minute, a refused request, a rejected message.
      await fetch(`${api.baseUrl}/v1/track`, { method: 'POST', body: '{}', headers: { authorization: `Basic ${btoa('unknown:')}` } });
      for (let i = 0; i < 14; i++) {
        const count = [3, 8, 20, 35, 12, 5, 40, 25, 10, 30, 15, 6, 22, 18][i];
        await post(...Array.from({ length: count }, (_, n) => ({ type: 'track', userId: `user-${n % 7}`, event: n % 3 ? 'Order Completed' : 'Product Viewed', properties: { n } })));
        if (i % 4 === 0) await post({ type: 'group', userId: 'u' }, { type: 'track', userId: 'u', event: 'Ok' });
        await new Promise((resolve) => setTimeout(resolve, 5000));
      }
      await mkdir(screenshots, { recursive: true });
      const chartIn = await page.locator('#chart-in').boundingBox();
      await page.mouse.move(chartIn.x + chartIn.width * 0.93, chartIn.y + chartIn.height / 2);
      await page.screenshot({ path: join(screenshots, 'status.png'), fullPage: true });
    }
    checkRequests();
  } finally {
    await context.close();
  }
});

test('the debugger shows an event posted after it opened, expands it to its enriched JSON and filters', async () => {
  const { context, checkRequests } = await openContext();
  try {
    const page = await context.newPage();
    await logIn(page, ADMIN_KEY, '/debugger');
    assert.equal(new URL(page.url()).pathname, '/debugger');
    await page.waitForFunction(() => document.getElementById('connection').textContent === 'live');

    const id = `debugger-${crypto.randomUUID()}`;
    await post({ type: 'track', userId: 'ada', event: 'Order Completed', messageId: id, properties: { revenue: 42 } });
    const row = page.locator(`#events li:has-text("Order Completed")`).first();
    await row.waitFor({ timeout: 15000 });
    await row.locator('summary').click();
    const json = JSON.parse(await row.locator('pre').textContent());
    assert.equal(json.messageId, id);
    assert.equal(json.properties.revenue, 42);
    assert.equal(json.source, 'tracker-e2e', 'the enriched JSON carries the source');
    assert.ok(json.receivedAt, 'and the server time');

    await post(
      { type: 'identify', userId: 'grace', traits: { plan: 'pro' } },
      { type: 'page', anonymousId: 'anon-7', name: 'Pricing' },
      { type: 'track', userId: 'grace', event: 'Signed Up' },
    );
    await page.waitForFunction(() => document.querySelectorAll('#events li').length === 4, null, { timeout: 15000 });
    const visible = () => page.$$eval('#events li:not([hidden]) summary .name, #events li:not([hidden]) summary .type', (cells) => cells.map((c) => c.textContent));

    await page.selectOption('#filter-type', 'identify');
    assert.deepEqual(await visible(), ['identify', '']);
    await page.selectOption('#filter-type', '');
    await page.fill('#filter-event', 'signed');
    assert.deepEqual(await visible(), ['track', 'Signed Up']);
    await page.fill('#filter-event', '');
    await page.fill('#filter-user', 'anon-7');
    assert.deepEqual(await visible(), ['page', 'Pricing']);
    await page.fill('#filter-user', 'grace');
    assert.equal((await visible()).length, 4, 'both of grace\'s events');
    await page.fill('#filter-source', 'no-such-source');
    assert.deepEqual(await visible(), []);
    await page.fill('#filter-source', 'tracker');
    await page.fill('#filter-user', '');
    assert.equal((await visible()).length, 8, 'every event again');
    assert.match(await page.textContent('#shown'), /^4 of 4 events/);
    await page.fill('#filter-source', '');

    // Refused ones are shown too, marked with status and reason: an item of a batch answered 200, and a single message answered 400.
    await post({ type: 'track', userId: 'grace', event: 'Kept' }, { type: 'track', userId: 'grace', messageId: 'no-event-item' });
    const single = await fetch(`${api.baseUrl}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
      body: JSON.stringify({ userId: 'linus', messageId: 'no-event-single' }),
    });
    assert.equal(single.status, 400);
    await page.waitForFunction(() => document.querySelectorAll('#events li.refused').length === 2, null, { timeout: 15000 });
    const reasons = await page.$$eval('#events li.refused summary .reason', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(reasons, ['refused 400: Invalid message (event)', 'refused 200 item 1: Invalid message (event)']);
    const refusedRow = page.locator('#events li.refused').first();
    assert.equal(await refusedRow.evaluate((li) => getComputedStyle(li).borderLeftColor), 'rgb(180, 35, 24)', 'marked in red');
    await refusedRow.locator('summary').click();
    const refusal = JSON.parse(await refusedRow.locator('pre').textContent());
    assert.equal(refusal.messageId, 'no-event-single');
    assert.equal(refusal.status, 400);
    assert.ok(refusal.errors.event, 'the failing field and why');
    assert.ok(!JSON.stringify(refusal).includes(WRITE_KEY), 'never the write key');
    assert.match(await page.textContent('#shown'), /^7 of 7 events \(2 refused\)/);

    await page.selectOption('#filter-outcome', 'refused');
    assert.deepEqual(await visible(), ['track', '', 'track', '']);
    await page.fill('#filter-user', 'linus');
    assert.deepEqual(await visible(), ['track', '']);
    await page.fill('#filter-user', '');
    await page.selectOption('#filter-outcome', 'accepted');
    assert.equal(await page.$$eval('#events li.refused:not([hidden])', (rows) => rows.length), 0);
    assert.equal((await visible()).length, 10, 'the five accepted events');
    await page.selectOption('#filter-outcome', '');

    if (screenshots) {
      await post(
        ...['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'].map((event, n) => ({
          type: 'track', userId: `user-${n}`, event, properties: { sku: `SKU-${100 + n}`, price: 9.99 + n },
          context: { app: { name: 'Shop', version: '3.2.1' }, device: { type: 'ios' } },
        })),
        { type: 'screen', anonymousId: 'anon-42', name: 'Cart' },
      );
      await page.waitForFunction(() => document.querySelectorAll('#events li').length === 12, null, { timeout: 15000 });
      await page.locator('#events li').nth(1).locator('summary').click();
      await page.screenshot({ path: join(screenshots, 'debugger.png'), fullPage: false });
    }
    checkRequests();
  } finally {
    await context.close();
  }
});
