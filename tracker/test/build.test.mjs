import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { build, paths } from '../build.mjs';
import { loadTracker, settle } from './fakes.mjs';

const committed = readFileSync(paths.output, 'utf8');

test('the committed wwwroot/tracker.js is exactly a fresh build of src/tracker.js', async () => {
  const fresh = await build();
  assert.ok(committed === fresh.tracker, 'wwwroot/tracker.js is stale: run `npm run build` in tracker/');
  assert.ok(readFileSync(paths.snippet, 'utf8') === fresh.snippet, 'snippet.html is stale: run `npm run build`');
});

test('tracker.js is at most 5 KB minified and gzipped', () => {
  const gzipped = gzipSync(committed, { level: 9 }).length;
  assert.ok(gzipped <= 5 * 1024, `${gzipped} bytes gzipped`);
});

test('the minified build behaves like the source: page view, track, beacon on leave', async () => {
  const page = loadTracker({ source: committed });
  page.tracker.load('wk', { flushAt: 2 });
  page.tracker.track('Built');
  await settle();
  assert.deepEqual(page.sent().map((e) => e.type), ['page', 'track']);
  assert.equal(page.sent()[1].context.library.name, 'tracker.js');
  page.tracker.track('Leaving');
  page.pagehide();
  assert.equal(page.beacons[0].body.batch[0].event, 'Leaving');
});

test('the snippet in the docs, the README and the demo page is the built one', () => {
  const snippet = readFileSync(paths.snippet, 'utf8').trim();
  const docs = readFileSync(new URL('../../docs/tracker.md', import.meta.url), 'utf8');
  assert.ok(docs.includes(snippet), 'docs/tracker.md must show snippet.html verbatim');
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  assert.ok(readme.includes(snippet), 'README.md must show snippet.html verbatim');
  const demo = readFileSync(new URL('../../src/Tracking.Api/wwwroot/demo/index.html', import.meta.url), 'utf8');
  const loader = snippet.replace(/^<script>\n|\n<\/script>$/g, '').split("'https://YOUR_API_HOST/tracker.js'")[0];
  assert.ok(demo.includes(loader), 'the demo page must use the same snippet');
});
