/**
 * One SQL code path for two engines: `pg` (a shared, bounded pool against a PostgreSQL
 * server) and PGlite (PostgreSQL compiled to WASM, files under DATA_DIR). Repositories
 * only see `Database` and write plain PostgreSQL.
 */
import pg from 'pg';
import { redactUrl } from '../../redact.js';

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<R>>;
}

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` on one session holding a cluster-wide advisory lock (migrations, seeding). */
  exclusive<T>(key: number, fn: (session: Queryable & { exec(sql: string): Promise<void> }) => Promise<T>): Promise<T>;
  /** Where the data lives, for the start-up log (no credentials). */
  readonly location: string;
  close(): Promise<void>;
}


async function ensureDatabaseExists(url: string): Promise<void> {
  const probe = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await probe.connect();
    return;
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
  } finally {
    await probe.end().catch(() => undefined);
  }
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  target.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } catch (err) {
    if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by another process
  } finally {
    await admin.end();
  }
}

export async function openPostgres(url: string, opts: { max: number; onError?: (err: Error) => void }): Promise<Database> {
  await ensureDatabaseExists(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  // An idle client losing its connection must not crash the process.
  pool.on('error', (err) => opts.onError?.(err));
  const map = <R>(r: pg.QueryResult): QueryResult<R> => ({ rows: r.rows as R[], rowCount: r.rowCount ?? 0 });
  return {
    kind: 'postgres',
    location: redactUrl(url),
    async query<R>(sql: string, params?: unknown[]) {
      return map<R>(await pool.query(sql, params as unknown[]));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn({ query: async <R>(s: string, p?: unknown[]) => map<R>(await client.query(s, p)) });
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async exclusive(key, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
        return await fn({
          query: async <R>(s: string, p?: unknown[]) => map<R>(await client.query(s, p)),
          exec: async (s: string) => {
            await client.query(s);
          },
        });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => undefined);
        client.release();
      }
    },
    async close() {
      await pool.end();
    },
  };
}

export async function openPglite(dataDir: string | null): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = dataDir ? new PGlite(dataDir) : new PGlite();
  await db.waitReady;
  type Result = { rows: unknown[]; affectedRows?: number };
  const map = <R>(r: Result): QueryResult<R> => ({ rows: r.rows as R[], rowCount: r.affectedRows ?? r.rows.length });
  const self: Database = {
    kind: 'pglite',
    location: dataDir ?? '(in memory)',
    async query<R>(sql: string, params?: unknown[]) {
      return map<R>(await db.query(sql, params));
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn({ query: async <R>(s: string, p?: unknown[]) => map<R>(await tx.query(s, p)) }));
    },
    // One process owns a PGlite directory, so there is nobody to exclude.
    async exclusive(_key, fn) {
      return fn({
        query: self.query,
        exec: async (s: string) => {
          await db.exec(s);
        },
      });
    },
    async close() {
      await db.close();
    },
  };
  return self;
}
