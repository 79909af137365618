// Fixtures for the real-SDK tests. The API process, the outbox reader and Chromium come from
// tracker.js's end-to-end fixtures (so tracker/node_modules must be installed: it provides
// playwright-core); what is added here is what only these tests need: a recorder that sits on
// the wire between an SDK and the API, a second origin for the browser page, and a trap for any
// request that tries to leave the machine.
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, request as httpRequest } from 'node:http';
import { dirname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { SOURCE_NAME, WRITE_KEY, freePort, launchBrowser, readOutbox, startApi, waitFor } from '../../tracker/test/e2e/support.mjs';

export { SOURCE_NAME, WRITE_KEY, freePort, launchBrowser, readOutbox, startApi, waitFor };

const here = dirname(fileURLToPath(import.meta.url));
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

function close(server) {
  server.closeAllConnections?.();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(stream) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/**
 * A pass-through HTTP recorder in front of the API: every exchange (preflights included, which
 * Playwright cannot show) is kept with the request exactly as the SDK sent it and the API's status.
 */
export async function startRecorder(target) {
  const exchanges = [];
  const failures = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const exchange = { method: req.method, path: req.url, headers: req.headers, body };
    exchanges.push(exchange);
    const failure = failures.findIndex((matches) => matches(exchange));
    if (failure >= 0) {
      // A server error of the kind an SDK must retry, readable by a page on any origin.
      failures.splice(failure, 1);
      exchange.status = 500;
      exchange.injected = true;
      exchange.responseHeaders = { 'access-control-allow-origin': req.headers.origin ?? '*' };
      exchange.responseBody = 'injected by the test';
      res.writeHead(500, exchange.responseHeaders).end(exchange.responseBody);
      return;
    }
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    headers['content-length'] = String(body.length);
    const upstream = httpRequest(new URL(req.url, target), { method: req.method, headers }, async (answer) => {
      const answerBody = await readBody(answer);
      exchange.status = answer.statusCode;
      exchange.responseHeaders = answer.headers;
      exchange.responseBody = answerBody.toString();
      const back = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
      res.writeHead(answer.statusCode, { ...back, 'content-length': answerBody.length });
      res.end(answerBody);
    });
    upstream.on('error', (error) => {
      exchange.status = 502;
      exchange.error = error.message;
      res.writeHead(502).end();
    });
    upstream.end(body);
  });
  const url = await listen(server);
  return {
    url,
    host: new URL(url).host,
    exchanges,
    /** Each exchange as one line, for failure messages. */
    describe(list = exchanges) {
      return list.map(describeExchange).join('\n');
    },
    /** Answers the next request for which `matches(exchange)` holds with a 500 itself, without passing it on; returns a function that withdraws it. */
    failNext(matches) {
      failures.push(matches);
      return () => failures.includes(matches) && failures.splice(failures.indexOf(matches), 1);
    },
    /** Writes the exchanges to the test's TAP output, one diagnostic line each: the wire facts for the report. */
    log(t, list = exchanges) {
      for (const exchange of list) t.diagnostic(describeExchange(exchange));
    },
    stop: () => close(server),
  };
}

/** The request body as JSON, after undoing its Content-Encoding. */
export function decodedJson(exchange) {
  const encoding = (exchange.headers['content-encoding'] ?? '').trim().toLowerCase();
  const raw = exchange.body;
  const bytes =
    encoding === 'gzip' ? gunzipSync(raw) : encoding === 'deflate' ? inflateSync(raw) : encoding === 'br' ? brotliDecompressSync(raw) : raw;
  return JSON.parse(bytes.toString('utf8'));
}

/** One line per exchange: what the SDK sent (method, path, the headers that matter, body shape) and the API's answer. */
export function describeExchange(e) {
  const h = e.headers;
  const picked = [
    'content-type',
    'content-encoding',
    'authorization',
    'x-retry-count',
    'origin',
    'access-control-request-method',
    'access-control-request-headers',
    'user-agent',
  ]
    .filter((name) => h[name] !== undefined)
    .map((name) => `${name}: ${name === 'authorization' ? h[name].replace(/ .*/, ' …') : h[name]}`);
  let shape = '';
  if (e.body.length > 0) {
    try {
      const json = decodedJson(e);
      shape = ` body{${Object.keys(json).join(',')}}${Array.isArray(json.batch) ? `[${json.batch.map((m) => m.type).join(',')}]` : ''}`;
    } catch {
      shape = ` body(${e.body.length} bytes, not JSON)`;
    }
  }
  const answer = e.status === undefined ? 'no answer yet' : `${e.status}${e.status >= 400 ? ` ${e.responseBody?.slice(0, 200)}` : ''}`;
  if (e.injected) return `${e.method} ${e.path} [${picked.join('; ')}]${shape} -> ${answer} (the recorder's own answer)`;
  const allow = e.method === 'OPTIONS' ? ` allow-headers=${e.responseHeaders?.['access-control-allow-headers'] ?? '-'}` : '';
  return `${e.method} ${e.path} [${picked.join('; ')}]${shape} -> ${answer}${allow}`;
}

/** The messages an exchange carried: a batch's items, or the single message. */
export function messagesOf(exchange) {
  const json = decodedJson(exchange);
  return Array.isArray(json.batch) ? json.batch : [json];
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/**
 * The second origin: serves the test page at / and analytics.js 2.0's UMD bundle and its lazily
 * loaded chunks under /analytics-next/bundles/, the path the bundle derives from `cdnURL`;
 * RudderStack's v3 browser SDK (its bundled UMD build) at /rudderstack/index.js; and each of
 * `pages` (path → HTML) as given.
 */
export async function startPageServer({ pages = {} } = {}) {
  const bundles = join(here, 'node_modules/@segment/analytics-next/dist/umd');
  const rudderstack = join(here, 'node_modules/@rudderstack/analytics-js/dist/npm/modern/bundled/umd/index.js');
  const requests = [];
  const server = createServer(async (req, res) => {
    requests.push(req.url);
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (Object.hasOwn(pages, path)) {
      res.writeHead(200, { 'content-type': MIME['.html'] }).end(pages[path]);
      return;
    }
    let file;
    if (path === '/') file = join(here, 'page.html');
    else if (path === '/rudderstack/index.js') file = rudderstack;
    else if (path.startsWith('/analytics-next/bundles/')) {
      file = normalize(join(bundles, path.slice('/analytics-next/bundles/'.length)));
      if (!file.startsWith(bundles + sep)) file = undefined;
    }
    const found = file && (await stat(file).catch(() => null))?.isFile();
    if (!found) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': MIME[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  const url = await listen(server);
  return { url, requests, stop: () => close(server) };
}

/**
 * A proxy for a browser context that refuses everything: any request that is not for 127.0.0.1
 * (which the context bypasses) ends here, is recorded and fails. Routing in Playwright would do the
 * blocking too, but with routing on Playwright answers every CORS preflight itself, allowing all,
 * which would hide the very CORS answers these tests are about.
 */
export async function startOutsideTrap() {
  const attempts = [];
  const server = createServer((req, res) => {
    attempts.push(`${req.method} ${req.url}`);
    res.writeHead(403).end();
  });
  server.on('connect', (req, socket) => {
    attempts.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  const url = await listen(server);
  return { proxy: { server: url, bypass: '127.0.0.1' }, attempts, stop: () => close(server) };
}

/**
 * Waits until the outbox holds every message id in `ids`, then sends one more event straight to
 * the API and waits for it too: the File sink writes in order, so once that sentinel is in a
 * completed file, any duplicate the SDK caused (a retry, a second flush) is in the outbox as well.
 * Returns all outbox events (the sentinel excluded).
 */
export async function settledOutbox(api, ids, what) {
  const wanted = new Set(ids);
  let events = [];
  try {
    await waitFor(
      what,
      async () => {
        events = await readOutbox(api.outbox);
        const present = new Set(events.map((e) => e.messageId));
        return [...wanted].every((id) => present.has(id));
      },
      { timeout: 20000 },
    );
    const sentinel = `sentinel-${crypto.randomUUID()}`;
    const response = await fetch(`${api.baseUrl}/v1/track`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${btoa(`${WRITE_KEY}:`)}` },
      body: JSON.stringify({ userId: 'sentinel', event: 'Sentinel', messageId: sentinel }),
    });
    assert.equal(response.status, 200, `the sentinel event is accepted: ${await response.text()}`);
    await waitFor('the sentinel event', async () => {
      events = await readOutbox(api.outbox);
      return events.some((e) => e.messageId === sentinel);
    });
  } catch (error) {
    const present = new Set(events.map((e) => e.messageId));
    error.message += `\nMissing from the outbox: ${[...wanted].filter((id) => !present.has(id)).join(', ') || 'none'}`;
    error.message += `\n--- API output ---\n${api.log().slice(-3000)}`;
    throw error;
  }
  return events.filter((e) => e.userId !== 'sentinel');
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/**
 * Every message the SDK put on the wire is in the outbox exactly once, with its messageId,
 * type and identities kept and the server's enrichment added.
 */
export function assertLandedOnceEnriched(sent, outbox, { startedAt }) {
  for (const message of sent) {
    const copies = outbox.filter((e) => e.messageId === message.messageId);
    assert.equal(copies.length, 1, `${message.type} ${message.messageId} is in the outbox once, found ${copies.length}`);
    const [event] = copies;
    assert.equal(event.type, message.type);
    for (const field of ['userId', 'anonymousId', 'event', 'groupId', 'previousId']) {
      if (message[field] != null) assert.equal(event[field], String(message[field]), `${message.type}.${field} is kept`);
    }
    assert.equal(event.source, SOURCE_NAME, `${message.type} carries the write key's source`);
    assert.equal(event.context?.ip, '127.0.0.1', `${message.type} carries the connection's address`);
    assert.match(event.receivedAt, ISO, `${message.type} has receivedAt`);
    const received = Date.parse(event.receivedAt);
    assert.ok(received >= startedAt - 1000 && received <= Date.now() + 1000, `${message.type} receivedAt ${event.receivedAt} is the server's time now`);
  }
}
