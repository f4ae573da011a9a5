// Writes a gzip and a brotli copy beside every text file of dist/, at the highest levels,
// so the server sends precompressed bytes without compressing per request. Node's zlib output
// depends only on the input and the level, so the copies are as repeatable as the build.
import { readdirSync, readFileSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

const root = new URL('../dist/', import.meta.url).pathname;
const packable = /\.(js|css|html|svg|json|webmanifest|txt)$/;

function* files(dir) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

// The JavaScript the first page load fetches: the entry script and the chunks it preloads
// (what index.html names); the screens fetched when first opened are not in it.
const html = readFileSync(join(root, 'index.html'), 'utf8');
const initial = new Set(
  [...html.matchAll(/<(?:script type="module"[^>]* src|link rel="modulepreload"[^>]* href)="\/([^"]+\.js)"/g)].map(
    (found) => join(root, found[1]),
  ),
);
let initialJs = 0;
for (const path of files(root)) {
  // index.html is rewritten per response (the quick-exit address), so it is never sent packed.
  if (!packable.test(path) || path.endsWith('/index.html')) continue;
  const raw = readFileSync(path);
  const gz = gzipSync(raw, { level: 9 });
  const br = brotliCompressSync(raw, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
  });
  // A compressed copy that is not smaller is not worth a negotiation.
  if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
  if (br.length < raw.length) writeFileSync(`${path}.br`, br);
  if (initial.has(path)) initialJs += gz.length;
}
console.log(`initial JavaScript of /, gzipped: ${(initialJs / 1024).toFixed(1)} KiB`);
