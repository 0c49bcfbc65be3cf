// Builds the bundled web client: src/web/main.ts -> dist/web/app.js, src/web/styles.css ->
// dist/web/app.css, src/web/index.html -> dist/web/index.html (with content hashes in the
// asset URLs, so the server can let browsers cache them for good), plus favicon.svg.
// Everything the page needs is in these files: no CDN, nothing loaded from elsewhere.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const src = path.join(root, 'src', 'web');
const out = path.join(root, 'dist', 'web');
const started = Date.now();

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });

const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' };

await build({
  ...common,
  entryPoints: [path.join(src, 'main.ts')],
  outfile: path.join(out, 'app.js'),
  format: 'esm',
  target: 'es2020',
  platform: 'browser',
  define: { 'process.env.NODE_ENV': '"production"' },
});
await build({
  ...common,
  entryPoints: [path.join(src, 'styles.css')],
  outfile: path.join(out, 'app.css'),
  target: ['chrome90', 'safari14', 'firefox90'],
});
await copyFile(path.join(src, 'favicon.svg'), path.join(out, 'favicon.svg'));

const hash = async (file) => createHash('sha256').update(await readFile(path.join(out, file))).digest('hex').slice(0, 12);
const html = (await readFile(path.join(src, 'index.html'), 'utf8'))
  .replaceAll('__APP_JS__', `/app.js?v=${await hash('app.js')}`)
  .replaceAll('__APP_CSS__', `/app.css?v=${await hash('app.css')}`)
  .replaceAll('__FAVICON__', `/favicon.svg?v=${await hash('favicon.svg')}`);
await writeFile(path.join(out, 'index.html'), html);

const size = async (f) => ((await readFile(path.join(out, f))).length / 1024).toFixed(1);
console.log(`web client built in ${Date.now() - started} ms: dist/web/app.js ${await size('app.js')} KiB, app.css ${await size('app.css')} KiB`);
