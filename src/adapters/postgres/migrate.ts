/** Applies the numbered SQL migrations in `migrations/` (postgrator), under an advisory lock. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Postgrator from 'postgrator';
import type { Database, Queryable } from './db.js';

/** migrations/ at the project root (the server always runs from its sources, see decisions.md). */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');

/** Key of the advisory lock that serialises start-up work across processes. */
export const STARTUP_LOCK = 0x5157_4901;

export async function migrate(session: Queryable & { exec(sql: string): Promise<void> }): Promise<number> {
  const { rows } = await session.query<{ db: string }>('SELECT current_database() AS db');
  const postgrator = new Postgrator({
    migrationPattern: path.join(MIGRATIONS_DIR, '*.sql').replaceAll('\\', '/'),
    driver: 'pg',
    database: rows[0]!.db,
    schemaTable: 'schema_migrations',
    execQuery: (sql: string) => session.query(sql),
    execSqlScript: (sql: string) => session.exec(sql),
  });
  const applied = await postgrator.migrate();
  return applied.length;
}

export async function migrateDatabase(db: Database): Promise<number> {
  return db.exclusive(STARTUP_LOCK, (session) => migrate(session));
}
