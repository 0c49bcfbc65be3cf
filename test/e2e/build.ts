/** Builds dist/web for the browser suite when it is missing or older than src/web. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..', '..');

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function ensureWebBuilt(): void {
  const index = path.join(root, 'dist', 'web', 'index.html');
  const sources = [path.join(root, 'src', 'web'), path.join(root, 'src', 'client'), path.join(root, 'scripts', 'build-web.mjs')];
  const srcTime = Math.max(...sources.map((s) => (statSync(s).isDirectory() ? newest(s) : statSync(s).mtimeMs)));
  if (existsSync(index) && statSync(index).mtimeMs >= srcTime) return;
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'build-web.mjs')], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`scripts/build-web.mjs failed (${r.status})`);
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const projectRoot = root;
