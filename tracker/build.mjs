// Minifies src/tracker.js into the API's wwwroot (committed, so `dotnet run` needs no npm) and
// the loader snippet into snippet.html. `node build.mjs` writes; import build() to compare.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { minify } from 'terser';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));

export const paths = {
  source: here('./src/tracker.js'),
  snippetSource: here('./src/snippet.js'),
  output: here('../src/Tracking.Api/wwwroot/tracker.js'),
  snippet: here('./snippet.html'),
};

const terserOptions = {
  ecma: 5,
  compress: { passes: 2 },
  mangle: true,
  format: { comments: false, quote_style: 1 },
};

export async function build() {
  const pkg = JSON.parse(await readFile(here('./package.json'), 'utf8'));
  const tracker = await minify(await readFile(paths.source, 'utf8'), terserOptions);
  const snippet = await minify(await readFile(paths.snippetSource, 'utf8'), terserOptions);
  return {
    tracker: `/*! tracker.js ${pkg.version} | built from tracker/src/tracker.js by tracker/build.mjs */\n${tracker.code}\n`,
    snippet: `<script>\n${snippet.code}\n</script>\n`,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = await build();
  await writeFile(paths.output, out.tracker);
  await writeFile(paths.snippet, out.snippet);
  const { gzipSync } = await import('node:zlib');
  console.log(`${paths.output}: ${out.tracker.length} bytes, ${gzipSync(out.tracker, { level: 9 }).length} gzipped`);
}
