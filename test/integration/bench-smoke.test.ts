/**
 * Smoke test of the load benchmark (bench/run.ts): runs it at its tiny size (2 parties x 3
 * players, one short round, every phase and baseline) as a child process, in service mode
 * when PostgreSQL and Redis are available and in embedded mode, and checks the JSON object
 * on its last line: every required field, every player held, no error.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { services } from '../helpers/app.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const svc = services();

const REQUIRED = [
  'players', 'parties', 'players_held', 'errors', 'answer_broadcast_ms', 'timer_lateness_ms',
  'baseline_settimeout_lateness_ms', 'broadcast_msgs_per_s', 'baseline_raw_ws_msgs_per_s', 'rss_bytes_per_player',
  'baseline_raw_ws_rss_bytes_per_conn', 'join_req_per_s', 'baseline_hello_req_per_s', 'generator_cpu_percent',
] as const;
const DISTRIBUTIONS = ['answer_broadcast_ms', 'timer_lateness_ms', 'baseline_settimeout_lateness_ms'] as const;

/** Runs the benchmark; kills it (and so, through its guard, its children) if it overruns. */
function runBench(args: string[], env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench', 'run.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // SIGINT makes the benchmark clean up (children, scratch database, temp dirs).
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function checkResult(run: { code: number | null; stdout: string; stderr: string }, mode: string) {
  const lines = run.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  let result: Record<string, any>;
  try {
    result = JSON.parse(last) as Record<string, any>;
  } catch {
    throw new Error(`last line is not JSON (exit ${run.code}):\n${last}\n--- stderr ---\n${run.stderr.slice(-4000)}`);
  }
  const context = `\n--- stdout ---\n${run.stdout.slice(-3000)}\n--- stderr ---\n${run.stderr.slice(-3000)}`;
  expect(run.code, context).toBe(0);
  expect(result.mode).toBe(mode);
  for (const field of REQUIRED) expect(result, `field ${field}${context}`).toHaveProperty(field);
  for (const field of REQUIRED) {
    if ((DISTRIBUTIONS as readonly string[]).includes(field)) {
      for (const k of ['p50', 'p99', 'max']) expect(typeof result[field]?.[k], `${field}.${k}${context}`).toBe('number');
    } else expect(typeof result[field], `${field}${context}`).toBe('number');
  }
  expect(result.players).toBe(6);
  expect(result.parties).toBe(2);
  expect(result.players_held, context).toBe(result.players);
  expect(result.players_held_idle, context).toBe(result.players);
  expect(result.errors, context).toBe(0);
  expect(result.baseline_errors, context).toBe(0);
  expect(result.broadcast_msgs_per_s).toBeGreaterThan(0);
  expect(result.join_req_per_s).toBeGreaterThan(0);
}

const TINY = ['--size', 'tiny', '--json', '--budget', '110'];

describe.skipIf(!svc)('load benchmark, tiny (service mode)', () => {
  it('runs every phase and baseline and reports every figure', async () => {
    // The benchmark creates (and drops) its own scratch database from the admin database,
    // and flushes a Redis database of its own: never the one this test run uses.
    const admin = new URL(svc!.databaseUrl);
    admin.pathname = '/postgres';
    const runDb = Number(/\/(\d+)$/.exec(svc!.redisUrl)?.[1] ?? 0);
    const benchDb = runDb === 14 ? 15 : 14;
    const run = await runBench([...TINY, '--redis-db', String(benchDb)], {
      BENCH_DATABASE_URL: admin.toString(),
      BENCH_REDIS_URL: svc!.redisUrl.replace(/\/\d*$/, ''),
    }, 120_000);
    checkResult(run, 'service');
  }, 150_000);
});

describe('load benchmark, tiny (embedded mode)', () => {
  it('runs every phase and baseline and reports every figure', async () => {
    const run = await runBench([...TINY, '--embedded'], { DATABASE_URL: '', REDIS_URL: '' }, 120_000);
    checkResult(run, 'embedded');
  }, 150_000);
});
