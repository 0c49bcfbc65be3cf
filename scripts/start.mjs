// `npm start`: builds the web client if it has not been built, then runs the server from
// its TypeScript sources in this same process through tsx's loader, so signals reach it
// directly and there is no compiled copy to go stale.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const webBuilder = path.join(root, 'scripts', 'build-web.mjs');
if (existsSync(webBuilder) && !existsSync(path.join(root, 'dist', 'web', 'index.html'))) {
  const r = spawnSync(process.execPath, [webBuilder], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
register();
await import(pathToFileURL(path.join(root, 'src', 'server.ts')).href);
