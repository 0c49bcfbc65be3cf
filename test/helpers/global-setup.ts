/**
 * Finds PostgreSQL and Redis for the service-mode suites and creates one fresh database
 * for this run (dropped at the end). Without them the service suites are skipped with one
 * loud line, unless REQUIRE_SERVICES=1, where a missing service fails the run.
 */
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    services: { databaseUrl: string; redisUrl: string } | null;
    skipReason: string;
  }
}

const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachRedis(): Promise<string | null> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return null;
  } catch (err) {
    return `Redis at ${REDIS_URL}: ${(err as Error).message}`;
  } finally {
    r.disconnect();
  }
}

export default async function setup(project: TestProject) {
  // The app serves the web client at `/`; build it so every route answers as in production.
  const built = spawnSync(process.execPath, ['scripts/build-web.mjs'], { stdio: 'ignore' });
  if (built.status !== 0) throw new Error('building the web client (scripts/build-web.mjs) failed');
  const problems: string[] = [];
  let dbName: string | null = null;
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await admin.connect();
    dbName = `quiz_test_${randomBytes(5).toString('hex')}`;
    await admin.query(`CREATE DATABASE ${dbName}`);
  } catch (err) {
    problems.push(`PostgreSQL at ${ADMIN_URL}: ${(err as Error).message}`);
    dbName = null;
  }
  const redisProblem = await reachRedis();
  if (redisProblem) problems.push(redisProblem);

  if (problems.length) {
    const line = `SERVICE SUITES SKIPPED (PostgreSQL + Redis unreachable): ${problems.join('; ')}`;
    if (process.env.REQUIRE_SERVICES === '1') {
      await admin.end().catch(() => undefined);
      throw new Error(`REQUIRE_SERVICES=1 but ${problems.join('; ')}`);
    }
    process.stderr.write(`\n${'!'.repeat(100)}\n!! ${line}\n${'!'.repeat(100)}\n\n`);
    project.provide('services', null);
    project.provide('skipReason', line);
  } else {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${dbName}`;
    // A Redis database number of its own keeps runs on a shared Redis apart
    // (1..12; the benchmark uses 14 and 15).
    const redisDb = 1 + (randomBytes(1)[0]! % 12);
    project.provide('services', { databaseUrl: u.toString(), redisUrl: `${REDIS_URL.replace(/\/\d*$/, '')}/${redisDb}` });
    project.provide('skipReason', '');
  }

  return async () => {
    if (dbName) {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    }
    await admin.end().catch(() => undefined);
  };
}
