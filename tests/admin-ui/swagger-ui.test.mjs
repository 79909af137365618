// Swagger UI (/swagger) in Debian's headless Chromium against the real API process, as a newcomer
// meets it: in Development without write keys, "Try it out" → Execute on /v1/track is answered 200 on
// the first click, without Authorize and without the browser's own sign-in box, and each Execute
// sends a new messageId. With a write key configured, Execute without Authorize shows the 401 and
// what to enter (still no sign-in box); Authorize with the key then sends.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SOURCE_NAME, WRITE_KEY, launchBrowser, readOutbox, startApi, waitFor } from '../../tracker/test/e2e/support.mjs';

const EXAMPLE_ID = '5f7d6a2e-1c3b-4f8e-9a51-0d2c7e4b9a10';
let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Opens /swagger, expands POST /v1/track and presses "Try it out"; records every response the page gets. */
async function openTrack(api) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  const page = await context.newPage();
  const responses = [];
  const problems = [];
  page.on('response', (response) => responses.push(response));
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    dialog.dismiss();
  });
  await page.goto(`${api.baseUrl}/swagger/index.html`);
  const block = page.locator('.opblock-post', { has: page.locator('.opblock-summary-path', { hasText: /^\/v1\/track$/ }) });
  await block.locator('.opblock-summary').click();
  await block.locator('button.try-out__btn').click();
  return { context, page, block, responses, problems };
}

/** Presses Execute and returns the status Swagger UI shows and the request it sent. */
async function execute(page, block) {
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().endsWith('/v1/track') && r.method() === 'POST', { timeout: 10000 }),
    block.locator('button.execute').click(),
  ]);
  const status = await waitFor('Swagger UI to show the answer', async () => {
    const cell = block.locator('.live-responses-table .response .response-col_status').first();
    return (await cell.count()) > 0 ? (await cell.textContent()).trim() : null;
  });
  const body = JSON.parse(request.postData());
  return { status, request, body };
}

test('in Development without write keys, Try it out → Execute on /v1/track answers 200 twice, without a sign-in box, each with a new messageId', async () => {
  const api = await startApi({ writeKey: false });
  try {
    const { context, page, block, responses, problems } = await openTrack(api);
    try {
      const first = await execute(page, block);
      assert.equal(first.status, '200', 'the first Execute is answered, no Authorize needed');
      await block.locator('button.btn-clear').click();
      const second = await execute(page, block);
      assert.equal(second.status, '200');

      for (const { request, body } of [first, second]) {
        const headers = await request.allHeaders();
        assert.equal(headers['x-requested-with'], 'XMLHttpRequest');
        assert.equal(headers.authorization, `Basic ${btoa('development:')}`, 'Swagger UI signs with the development key by itself');
        assert.notEqual(body.messageId, EXAMPLE_ID, 'not the example\'s fixed messageId');
      }
      assert.notEqual(first.body.messageId, second.body.messageId, 'each Execute sends a new messageId');
      const challenged = [];
      for (const response of responses) {
        if (await response.headerValue('www-authenticate')) challenged.push(response.url());
      }
      assert.deepEqual(challenged, [], 'no answer asks the browser for credentials');
      assert.deepEqual(problems, []);

      const stored = await waitFor('both events in the outbox', async () => {
        const ids = new Set((await readOutbox(api.outbox)).filter((e) => e.source === 'development').map((e) => e.messageId));
        return ids.has(first.body.messageId) && ids.has(second.body.messageId) ? ids : null;
      });
      assert.equal(stored.size, 2);
    } finally {
      await context.close();
    }
  } finally {
    await api.stop();
  }
});

test('with a write key configured, Execute without Authorize shows the 401 and what to enter, and Authorize with the key sends', async () => {
  const api = await startApi();
  try {
    const { context, page, block, responses, problems } = await openTrack(api);
    try {
      const refused = await execute(page, block);
      assert.equal(refused.status, '401', 'the 401 reaches the page instead of a browser sign-in box');
      assert.equal((await refused.request.allHeaders()).authorization, undefined, 'configured keys are never filled in');
      assert.match(await block.locator('.live-responses-table').first().textContent(), /Username, Password left empty/);
      for (const response of responses) {
        assert.equal(await response.headerValue('www-authenticate'), null, `${response.url()} asks the browser for credentials`);
      }

      await page.locator('button.authorize').first().click();
      const dialog = page.locator('.auth-container', { hasText: 'writeKey' });
      await dialog.locator('input[type=text]').fill(WRITE_KEY);
      await dialog.locator('button.authorize').click();
      await dialog.locator('button.btn-done').click();
      await block.locator('button.btn-clear').click();

      const sent = await execute(page, block);
      assert.equal(sent.status, '200');
      await waitFor('the event in the outbox', async () => (await readOutbox(api.outbox)).some((e) => e.messageId === sent.body.messageId && e.source === SOURCE_NAME));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  } finally {
    await api.stop();
  }
});
