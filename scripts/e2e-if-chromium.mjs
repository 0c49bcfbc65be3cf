// Part of `npm test`: runs the browser end-to-end suite when Debian's Chromium is installed,
// and says so loudly when it is not (CI installs it, so there it always runs).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  if (process.env.CI === 'true') {
    console.error(`E2E: ${chromium} not found, and CI requires the browser suite`);
    process.exit(1);
  }
  console.error(`\n!!! E2E SUITE SKIPPED: ${chromium} not found (apt-get install -y chromium)\n`);
  process.exit(0);
}
if (!existsSync('vitest.e2e.config.ts')) process.exit(0);
const r = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.e2e.config.ts'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
