/** Chooses and opens the adapters for the configured mode. */
import { Redis } from 'ioredis';
import type { Config } from '../config.js';
import type { Bus, Deadlines, PartyStore } from '../ports.js';
import { redactUrl } from '../redact.js';
import { openPglite, openPostgres, type Database } from './postgres/db.js';
import { migrate, STARTUP_LOCK } from './postgres/migrate.js';
import { seedBankIfEmpty } from '../questions/importer.js';
import { MemoryPartyStore } from './memory/party-store.js';
import { RedisPartyStore } from './redis/party-store.js';
import { MemoryBus } from './memory/bus.js';
import { MemoryDeadlines } from './memory/deadlines.js';
import { RedisBus } from './redis/bus.js';
import { RedisDeadlines } from './redis/deadlines.js';

export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

export interface Adapters {
  db: Database;
  store: PartyStore;
  bus: Bus;
  deadlines: Deadlines;
  /** The Redis command connection, or null in embedded mode. */
  redis: Redis | null;
  /** Checks every backing service; throws when one is unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function connectRedis(url: string, log?: Logger): Promise<Redis> {
  // Auto-pipelining batches the many small commands issued in one tick into one round trip.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000, enableAutoPipelining: true });
  redis.on('error', (err: Error) => log?.warn({ err: err.message }, 'redis connection error'));
  try {
    await redis.connect();
  } catch (err) {
    redis.disconnect();
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`);
  }
  return redis;
}


export async function openDatabase(config: Config, log?: Logger): Promise<Database> {
  if (config.databaseUrl) {
    try {
      return await openPostgres(config.databaseUrl, {
        max: config.pgPoolMax,
        onError: (err) => log?.warn({ err: err.message }, 'idle PostgreSQL client error'),
      });
    } catch (err) {
      throw new Error(`cannot reach PostgreSQL at ${redactUrl(config.databaseUrl)}: ${(err as Error).message}`);
    }
  }
  const { mkdir } = await import('node:fs/promises');
  await mkdir(config.dataDir, { recursive: true });
  return openPglite(config.dataDir);
}

/** Migrates and seeds the bank once, whichever of several starting processes gets there first. */
export async function prepareDatabase(db: Database): Promise<{ migrations: number; seeded: number }> {
  return db.exclusive(STARTUP_LOCK, async (session) => {
    const migrations = await migrate(session);
    const seeded = await seedBankIfEmpty(db);
    return { migrations, seeded };
  });
}

export async function openAdapters(config: Config, log?: Logger): Promise<Adapters> {
  const db = await openDatabase(config, log);
  let redis: Redis | null = null;
  try {
    await prepareDatabase(db);
    if (config.redisUrl) redis = await connectRedis(config.redisUrl, log);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const store: PartyStore = redis ? new RedisPartyStore(redis) : new MemoryPartyStore();
  const bus: Bus = redis ? new RedisBus(redis) : new MemoryBus();
  const deadlines: Deadlines = redis ? new RedisDeadlines(redis) : new MemoryDeadlines();
  return {
    db,
    store,
    bus,
    deadlines,
    redis,
    async ping() {
      await db.query('SELECT 1');
      if (redis) await redis.ping();
    },
    async close() {
      await bus.close();
      await deadlines.close();
      if (redis) await redis.quit().catch(() => redis?.disconnect());
      await db.close();
    },
  };
}
