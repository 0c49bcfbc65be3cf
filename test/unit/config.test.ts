import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_SCHEMA, loadConfig } from '../../src/config.js';

/** Runs loadConfig and returns the ConfigError it throws (fails the test when it does not throw one). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig(${JSON.stringify(env)}) did not throw`);
}

const PG = 'postgres://quiz@db.example:5432/quizdb';
const REDIS = 'redis://cache.example:6379';
const TOKEN = 'S3cret-admin-token-0123456789';

describe('loadConfig defaults', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8000,
      host: '0.0.0.0',
      databaseUrl: null,
      redisUrl: null,
      adminToken: null,
      logLevel: 'info',
      pgPoolMax: 10,
      lobbyTtlSeconds: 600,
      abandonSeconds: 30,
      pingIntervalSeconds: 20,
      wsMaxMessageBytes: 4096,
      wsMaxMessagesPerSecond: 20,
      wsMaxSocketsPerParty: 5000,
      httpBodyLimitBytes: 65536,
      shutdownGraceSeconds: 10,
      mode: 'embedded',
    });
    expect(c.dataDir).toBe(path.resolve('./data'));
  });

  it('treats blank values as unset', () => {
    const c = loadConfig({ PORT: '', LOG_LEVEL: '   ', DATABASE_URL: '', REDIS_URL: ' ', ADMIN_TOKEN: '' });
    expect(c.port).toBe(8000);
    expect(c.logLevel).toBe('info');
    expect(c.databaseUrl).toBeNull();
    expect(c.redisUrl).toBeNull();
    expect(c.adminToken).toBeNull();
    expect(c.mode).toBe('embedded');
  });

  it('reads and trims given values', () => {
    const c = loadConfig({
      PORT: ' 9123 ',
      HOST: '127.0.0.1',
      DATA_DIR: '/tmp/quiz-data',
      LOG_LEVEL: 'debug',
      ADMIN_TOKEN: TOKEN,
      PG_POOL_MAX: '3',
      ABANDON_SECONDS: '5',
      WS_MAX_MESSAGE_BYTES: '8192',
    });
    expect(c).toMatchObject({
      port: 9123,
      host: '127.0.0.1',
      dataDir: '/tmp/quiz-data',
      logLevel: 'debug',
      adminToken: TOKEN,
      pgPoolMax: 3,
      abandonSeconds: 5,
      wsMaxMessageBytes: 8192,
    });
  });

  it('accepts the bounds of every integer setting', () => {
    for (const [name, spec] of Object.entries(ENV_SCHEMA)) {
      if (spec.kind !== 'int') continue;
      expect(() => loadConfig({ [name]: String(spec.min) }), `${name}=${spec.min}`).not.toThrow();
      expect(() => loadConfig({ [name]: String(spec.max) }), `${name}=${spec.max}`).not.toThrow();
    }
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});

describe('loadConfig modes', () => {
  it('embedded without DATABASE_URL and REDIS_URL', () => {
    expect(loadConfig({}).mode).toBe('embedded');
  });
  it('service with both', () => {
    const c = loadConfig({ DATABASE_URL: PG, REDIS_URL: REDIS });
    expect(c.mode).toBe('service');
    expect(c.databaseUrl).toBe(PG);
    expect(c.redisUrl).toBe(REDIS);
  });
  it('database-only with DATABASE_URL alone', () => {
    expect(loadConfig({ DATABASE_URL: PG }).mode).toBe('database-only');
  });
  it('accepts postgresql: and rediss: schemes', () => {
    const c = loadConfig({ DATABASE_URL: 'postgresql://db.example/quizdb', REDIS_URL: 'rediss://cache.example:6380' });
    expect(c.mode).toBe('service');
  });
  it('refuses REDIS_URL without DATABASE_URL, naming both variables', () => {
    const e = configError({ REDIS_URL: REDIS });
    expect(e.message).toMatch(/REDIS_URL/);
    expect(e.message).toMatch(/DATABASE_URL/);
  });
});

describe('loadConfig bad values', () => {
  const cases: [string, Record<string, string>][] = [
    ['non-integer PORT', { PORT: 'eighty' }],
    ['fractional PORT', { PORT: '80.5' }],
    ['exponent PORT', { PORT: '8e3' }],
    ['PORT above range', { PORT: '65536' }],
    ['negative PORT', { PORT: '-1' }],
    ['huge PORT', { PORT: '99999999999999999999999' }],
    ['PG_POOL_MAX zero', { PG_POOL_MAX: '0' }],
    ['PG_POOL_MAX one (start-up needs two connections)', { PG_POOL_MAX: '1' }],
    ['PG_POOL_MAX above range', { PG_POOL_MAX: '201' }],
    ['LOBBY_TTL_SECONDS below range', { LOBBY_TTL_SECONDS: '4' }],
    ['ABANDON_SECONDS not a number', { ABANDON_SECONDS: 'soon' }],
    ['PING_INTERVAL_SECONDS zero', { PING_INTERVAL_SECONDS: '0' }],
    ['WS_MAX_MESSAGE_BYTES below range', { WS_MAX_MESSAGE_BYTES: '255' }],
    ['WS_MAX_MESSAGES_PER_SECOND above range', { WS_MAX_MESSAGES_PER_SECOND: '10001' }],
    ['WS_MAX_SOCKETS_PER_PARTY below range', { WS_MAX_SOCKETS_PER_PARTY: '1' }],
    ['HTTP_BODY_LIMIT_BYTES below range', { HTTP_BODY_LIMIT_BYTES: '1023' }],
    ['SHUTDOWN_GRACE_SECONDS above range', { SHUTDOWN_GRACE_SECONDS: '601' }],
    ['unknown LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['LOG_LEVEL in capitals', { LOG_LEVEL: 'INFO' }],
    ['DATABASE_URL with a MySQL scheme', { DATABASE_URL: 'mysql://db.example/quizdb' }],
    ['DATABASE_URL with a Redis scheme', { DATABASE_URL: REDIS }],
    ['DATABASE_URL that is not a URL', { DATABASE_URL: 'not a url' }],
    ['REDIS_URL with an HTTP scheme', { DATABASE_URL: PG, REDIS_URL: 'http://cache.example' }],
    ['short ADMIN_TOKEN', { ADMIN_TOKEN: 'short' }],
    ['ADMIN_TOKEN one character short', { ADMIN_TOKEN: 'x'.repeat(15) }],
  ];

  it.each(cases)('%s gives a ConfigError naming the variable', (_label, env) => {
    const name = Object.keys(env).at(-1)!;
    const e = configError(env);
    expect(e.message).toContain(name);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toContain(name);
  });

  it('lists every bad value at once', () => {
    const e = configError({ PORT: 'x', LOG_LEVEL: 'loud', PG_POOL_MAX: '0' });
    expect(e.problems).toHaveLength(3);
    for (const name of ['PORT', 'LOG_LEVEL', 'PG_POOL_MAX']) expect(e.message).toContain(name);
  });

  it('lists the allowed log levels', () => {
    expect(configError({ LOG_LEVEL: 'loud' }).message).toMatch(/fatal.*error.*warn.*info.*debug.*trace.*silent/);
  });

  it('states the range of an out-of-range integer', () => {
    expect(configError({ PORT: '70000' }).message).toMatch(/0.*65535/);
  });

  it('never shows the ADMIN_TOKEN value', () => {
    const shortSecret = 'tiny-secret';
    const e1 = configError({ ADMIN_TOKEN: shortSecret });
    expect(e1.message).not.toContain(shortSecret);
    expect(e1.problems.join('\n')).not.toContain(shortSecret);
    expect(String(e1)).not.toContain(shortSecret);
    // A valid token alongside another bad value must not leak either.
    const e2 = configError({ ADMIN_TOKEN: TOKEN, PORT: 'nope' });
    expect(e2.message).not.toContain(TOKEN);
    expect(e2.problems.join('\n')).not.toContain(TOKEN);
  });

  it('does not echo the password of a rejected DATABASE_URL or REDIS_URL', () => {
    const e1 = configError({ DATABASE_URL: 'mysql://quiz:hunter2-db-password@db.example/quizdb' });
    expect(e1.message).toContain('DATABASE_URL');
    expect(e1.message).not.toContain('hunter2-db-password');
    const e2 = configError({ DATABASE_URL: PG, REDIS_URL: 'http://:hunter2-redis-password@cache.example' });
    expect(e2.message).toContain('REDIS_URL');
    expect(e2.message).not.toContain('hunter2-redis-password');
  });
});
