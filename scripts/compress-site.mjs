// Writes brotli (.br) and gzip (.gz) forms beside each compressible file of the built site, which the
// server sends to browsers that accept them. Usage: node scripts/compress-site.mjs DIR [fast]
// ("fast" trades size for speed, for the debug build the tests use).
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const [dir, speed] = process.argv.slice(2);
const fast = speed === "fast";
const compressible = /\.(js|mjs|wasm|css|svg|json|txt)$/;

function* files(root) {
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (compressible.test(name)) yield path;
  }
}

for (const path of files(dir)) {
  const content = readFileSync(path);
  if (content.length < 512) continue;
  const brotli = brotliCompressSync(content, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: fast ? 4 : constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: content.length,
    },
  });
  const gzip = gzipSync(content, { level: fast ? 4 : 9 });
  // A form no smaller than the file itself is not worth sending.
  if (brotli.length < content.length) writeFileSync(`${path}.br`, brotli);
  if (gzip.length < content.length) writeFileSync(`${path}.gz`, gzip);
}
