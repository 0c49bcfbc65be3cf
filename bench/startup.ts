/**
 * `npm run bench:startup`: how long embedded mode takes from process start to accepting
 * requests, on a first start (empty DATA_DIR: create the database, migrate, load the bank)
 * and on a restart of the same directory. Beside it, the same process start with a
 * trivial script, as the baseline of what Node and the TypeScript loader cost alone.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.split('=')[1] ?? 3);
const json = process.argv.includes('--json');

function timeUntil(args: string[], env: Record<string, string>, ready: RegExp): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`not ready after 120 s:\n${out}`));
    }, 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        clearTimeout(timer);
        child.kill('SIGTERM');
        child.on('exit', () => resolve(ms));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      if (!ready.test(out)) {
        clearTimeout(timer);
        reject(new Error(`exited ${code}:\n${out}`));
      }
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const first: number[] = [];
const restart: number[] = [];
const baseline: number[] = [];
const server = ['--import', 'tsx', path.join(root, 'src', 'server.ts')];
for (let i = 0; i < runs; i++) {
  const dir = await mkdtemp(path.join(tmpdir(), 'quiz-startup-'));
  const env = { DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', DATABASE_URL: '', REDIS_URL: '' };
  try {
    first.push(await timeUntil(server, env, /Server listening at/));
    restart.push(await timeUntil(server, env, /Server listening at/));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  baseline.push(await timeUntil(['--import', 'tsx', '-e', 'console.log("ready")'], {}, /ready/));
}

const result = {
  runs,
  first_start_ms: Math.round(median(first)),
  restart_ms: Math.round(median(restart)),
  baseline_node_tsx_ms: Math.round(median(baseline)),
  samples: { first: first.map(Math.round), restart: restart.map(Math.round), baseline: baseline.map(Math.round) },
};
if (!json) {
  console.log(`embedded mode start-up, median of ${runs} (ms)`);
  console.log(`  first start (empty DATA_DIR): ${result.first_start_ms}`);
  console.log(`  restart (same DATA_DIR):      ${result.restart_ms}`);
  console.log(`  baseline node + tsx, no app:  ${result.baseline_node_tsx_ms}`);
}
console.log(JSON.stringify(result));
