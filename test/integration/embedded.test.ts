/**
 * Embedded mode as a new user meets it: a real server process with nothing configured
 * says what it runs and where, serves a playable game, and keeps results across restarts.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, get, inPhase, seen, setupParty } from '../helpers/clients.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import { services } from '../helpers/app.js';

const NO_SERVICES = { DATABASE_URL: '', REDIS_URL: '' };

describe('embedded mode (a real process, no services)', () => {
  let dataDir: string;
  let server: ServerProcess | null = null;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'quiz-embedded-'));
  });
  afterAll(async () => {
    await server?.kill('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
  });

  it('logs its mode, data directory and URLs; plays a game; keeps results across a restart', async () => {
    server = await spawnServer({ ...NO_SERVICES, DATA_DIR: dataDir });
    const log = server.output.join('\n');
    expect(log).toContain('embedded mode');
    expect(log).toContain(dataDir);
    expect(log).toMatch(/web app: http:\/\/127\.0\.0\.1:\d+\/ +API docs: http:\/\/127\.0\.0\.1:\d+\/docs/);

    const p = await setupParty(server.url, { players: ['emma'], rounds: 1, timeout: 5, reveal_seconds: 0 });
    const host = client(server.url, p.partyId, p.tokens.host);
    const emma = client(server.url, p.partyId, p.tokens.emma);
    await host.connect();
    await emma.connect();
    const q = await seen(emma, inPhase('question', 1));
    host.answer(1, q.choices[0]!);
    emma.answer(1, q.choices[1]!);
    const finished = await seen(emma, inPhase('finished'), 15_000);
    host.close();
    emma.close();

    // Graceful stop, then a new process on the same directory.
    expect(await server.kill('SIGTERM')).toBe(0);
    server = await spawnServer({ ...NO_SERVICES, DATA_DIR: dataDir });
    const state = await get(server.url, `/api/party/${p.partyId}/question_data`);
    expect(state.body.status).toBe('finished');
    expect(state.body.players).toEqual(finished.players.map((pl) => ({ ...pl, connected: false, answered: false })));
    const stats = await get(server.url, '/api/players/emma/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.categories[0]).toMatchObject({ category: 'Science', games: 1, answered: 1 });
    const game = await get(server.url, `/api/games/${p.gameId}`);
    expect(game.status).toBe(200);
    expect(game.body.rounds[0].answers).toHaveLength(2);
    // The bank was loaded once, not again on restart.
    const cats = await get(server.url, '/api/categories');
    expect(cats.body.find((c: { category: string }) => c.category === 'Science').questions).toBe(32);
  });

  it('refuses REDIS_URL without DATABASE_URL, and a bad value, with a clear message', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
          env: { ...process.env, ...NO_SERVICES, DATA_DIR: dataDir, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let err = '';
        child.stderr.on('data', (d: Buffer) => (err += d.toString()));
        child.on('exit', (code) => resolve({ code, err }));
      });
    const redisOnly = await run({ REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(redisOnly.code).toBe(2);
    expect(redisOnly.err).toContain('REDIS_URL is set but DATABASE_URL is not');
    const badPort = await run({ PORT: 'eighty' });
    expect(badPort.code).toBe(2);
    expect(badPort.err).toMatch(/PORT="eighty": must be a whole number/);
  });
});

describe.skipIf(!services())('database-only mode', () => {
  it('runs against PostgreSQL with in-process live state and one warning line', async () => {
    const server = await spawnServer({ DATABASE_URL: services()!.databaseUrl, REDIS_URL: '' });
    try {
      const warnings = server.output.filter((l) => l.includes('without REDIS_URL'));
      expect(warnings).toHaveLength(1);
      expect(server.output.join('\n')).toContain('database-only mode');
      const ready = await get(server.url, '/readyz');
      expect(ready.body).toEqual({ status: 'ready', mode: 'database-only' });
    } finally {
      await server.kill('SIGTERM');
    }
  });
});
