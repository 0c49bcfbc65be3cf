/**
 * Service mode backing stores for one benchmark run: a scratch PostgreSQL database
 * (`quiz_bench_<random>`, dropped at the end) and a Redis database number of its own
 * (flushed at the start, between phases and at the end).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';

export interface Scratch {
  databaseUrl: string;
  redisUrl: string;
  dbName: string;
  redisDb: number;
  flushRedis(): Promise<void>;
  /** Redis server CPU seconds (user + sys, from INFO), for the share Redis takes. */
  redisCpuSeconds(): Promise<number | null>;
  drop(): Promise<void>;
}

export async function createScratch(adminUrl: string, redisBase: string, redisDb: number): Promise<Scratch> {
  const dbName = `quiz_bench_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const redisUrl = `${redisBase.replace(/\/\d*$/, '')}/${redisDb}`;
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 5000, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  let dropped = false;
  const scratch: Scratch = {
    databaseUrl: u.toString(),
    redisUrl,
    dbName,
    redisDb,
    async flushRedis() {
      if (redis.status === 'wait') await redis.connect();
      await redis.flushdb();
    },
    async redisCpuSeconds() {
      try {
        if (redis.status === 'wait') await redis.connect();
        const info = await redis.info('cpu');
        const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? NaN);
        const v = get('used_cpu_user') + get('used_cpu_sys');
        return Number.isFinite(v) ? v : null;
      } catch {
        return null;
      }
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      const problems: string[] = [];
      try {
        if (redis.status === 'wait') await redis.connect();
        await redis.flushdb();
      } catch (err) {
        problems.push(`flush Redis db ${redisDb}: ${(err as Error).message}`);
      }
      redis.disconnect();
      const a = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
      try {
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      } catch (err) {
        problems.push(`drop database ${dbName}: ${(err as Error).message}`);
      } finally {
        await a.end().catch(() => undefined);
      }
      if (problems.length) throw new Error(problems.join('; '));
    },
  };
  try {
    await scratch.flushRedis();
  } catch (err) {
    await scratch.drop().catch(() => undefined);
    throw new Error(`cannot reach Redis at ${redisUrl}: ${(err as Error).message}`);
  }
  return scratch;
}
