/**
 * Last-resort cleanup: started by bench/run.ts, it waits for the benchmark to end. If the
 * benchmark goes away without cleaning up (SIGKILL, crash), it drops the scratch database,
 * flushes the Redis database and removes the temp dirs itself. A SIGTERM (the benchmark
 * cleaned up already) just ends it.
 *
 * Env: JANITOR_PARENT_PID, JANITOR_ADMIN_URL, JANITOR_DB, JANITOR_REDIS_URL, JANITOR_DIRS
 * (newline-separated).
 */
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { Redis } from 'ioredis';

const parent = Number(process.env.JANITOR_PARENT_PID ?? 0);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => undefined); // a Ctrl-C reaches the whole group: the benchmark handles it

async function clean(): Promise<void> {
  // Give the other children (which stop by themselves, see guard.ts) time to go.
  await new Promise((r) => setTimeout(r, 3000));
  const db = process.env.JANITOR_DB;
  if (db && /^quiz_bench_[0-9a-f]+$/.test(db) && process.env.JANITOR_ADMIN_URL) {
    const c = new pg.Client({ connectionString: process.env.JANITOR_ADMIN_URL, connectionTimeoutMillis: 5000 });
    try {
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    } catch {
      /* best effort */
    } finally {
      await c.end().catch(() => undefined);
    }
  }
  if (process.env.JANITOR_REDIS_URL) {
    const r = new Redis(process.env.JANITOR_REDIS_URL, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1 });
    r.on('error', () => undefined);
    try {
      await r.connect();
      await r.flushdb();
    } catch {
      /* best effort */
    } finally {
      r.disconnect();
    }
  }
  for (const dir of (process.env.JANITOR_DIRS ?? '').split('\n').filter(Boolean)) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
  process.stderr.write(`[bench janitor] the benchmark (pid ${parent}) died: cleaned up after it\n`);
  process.exit(0);
}

let cleaning = false;
setInterval(() => {
  if (!cleaning && parent > 0 && process.ppid !== parent) {
    cleaning = true;
    void clean();
  }
}, 500);
