// Turns every kernels/**/*.wgsl into a sibling *.wgsl.ts string module, so
// Node (tsx), Deno and the browser bundle load shader source the same way.
// `--check` exits non-zero when a generated module is stale or missing.
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../kernels/', import.meta.url).pathname;
const check = process.argv.includes('--check');
const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
let stale = 0;
for (const file of walk(root).filter((f) => f.endsWith('.wgsl'))) {
  const out = `${file}.ts`;
  const text = `// Generated from ${file.slice(root.length)} by scripts/gen-wgsl.mjs. Edit the .wgsl file, not this one.\nexport default ${JSON.stringify(readFileSync(file, 'utf8'))};\n`;
  const current = existsSync(out) ? readFileSync(out, 'utf8') : null;
  if (current === text) continue;
  if (check) {
    console.error(`stale: ${out} (run npm run gen:wgsl)`);
    stale++;
  } else writeFileSync(out, text);
}
if (stale) process.exit(1);
