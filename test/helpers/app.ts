/**
 * Builds a real app for a test in either mode. Embedded: PGlite in a temporary directory and
 * in-process live state. Service: the run's fresh PostgreSQL database and Redis (see
 * global-setup.ts). Every app is closed by the caller (use `afterAll(() => t.close())`).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildApp, type BuildOptions, type BuiltApp } from '../../src/app.js';

export type TestMode = 'embedded' | 'service';

export const services = () => inject('services');

/** The modes this run can test: embedded always, service when PostgreSQL and Redis are up. */
export function testModes(): TestMode[] {
  return services() ? ['embedded', 'service'] : ['embedded'];
}

export function serviceEnv(): Record<string, string> {
  const s = services();
  if (!s) throw new Error('services not available');
  return { DATABASE_URL: s.databaseUrl, REDIS_URL: s.redisUrl };
}

export interface TestApp extends BuiltApp {
  mode: TestMode;
  /** Base URL once `listen()` was called. */
  url: string;
  listen(): Promise<string>;
}

export async function makeApp(mode: TestMode, env: Record<string, string> = {}, opts: BuildOptions = {}): Promise<TestApp> {
  let dataDir: string | null = null;
  const base: Record<string, string> = { LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', PORT: '0', HOST: '127.0.0.1' };
  if (mode === 'embedded') {
    dataDir = await mkdtemp(path.join(tmpdir(), 'quiz-test-'));
    base.DATA_DIR = dataDir;
  } else Object.assign(base, serviceEnv());
  const config = loadConfig({ ...base, ...env });
  const built = await buildApp(config, opts);
  const t: TestApp = {
    ...built,
    mode,
    url: '',
    async listen() {
      const address = await built.app.listen({ port: 0, host: '127.0.0.1' });
      t.url = address;
      return address;
    },
    async close() {
      await built.close();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}
