/**
 * The only reader of `process.env`. Every setting is declared once here, validated at
 * start-up, and handed to the rest of the program as a typed, frozen `Config`.
 */
import path from 'node:path';
import { redactUrl } from './redact.js';

export type Mode = 'service' | 'embedded' | 'database-only';

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  redisUrl: string | null;
  dataDir: string;
  adminToken: string | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  pgPoolMax: number;
  lobbyTtlSeconds: number;
  abandonSeconds: number;
  pingIntervalSeconds: number;
  wsMaxMessageBytes: number;
  wsMaxMessagesPerSecond: number;
  wsMaxSocketsPerParty: number;
  httpBodyLimitBytes: number;
  shutdownGraceSeconds: number;
  /** Which adapters run: derived from DATABASE_URL / REDIS_URL. */
  mode: Mode;
}

interface IntSpec { kind: 'int'; def: number; min: number; max: number; doc: string }
interface StrSpec { kind: 'string'; def: string | null; doc: string; check?: (v: string) => string | null }
interface EnumSpec { kind: 'enum'; def: string; values: readonly string[]; doc: string }
type Spec = IntSpec | StrSpec | EnumSpec;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function urlCheck(protocols: string[]) {
  return (v: string): string | null => {
    try {
      const u = new URL(v);
      return protocols.includes(u.protocol) ? null : `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
    } catch {
      return 'must be a URL';
    }
  };
}

/** The environment schema: name -> type, default, bounds and a line of documentation. */
export const ENV_SCHEMA: Record<string, Spec> = {
  PORT: { kind: 'int', def: 8000, min: 0, max: 65535, doc: 'HTTP and WebSocket port (0 picks a free one)' },
  HOST: { kind: 'string', def: '0.0.0.0', doc: 'interface to listen on' },
  DATABASE_URL: { kind: 'string', def: null, check: urlCheck(['postgres:', 'postgresql:']), doc: 'PostgreSQL URL; unset = embedded PGlite under DATA_DIR' },
  REDIS_URL: { kind: 'string', def: null, check: urlCheck(['redis:', 'rediss:']), doc: 'Redis URL; unset = in-process live state (one process only)' },
  DATA_DIR: { kind: 'string', def: './data', doc: 'where embedded mode keeps its database files' },
  ADMIN_TOKEN: {
    kind: 'string', def: null, doc: 'bearer token for POST /api/questions; unset = that route always answers 401',
    check: (v) => (v.length >= 16 ? null : 'must be at least 16 characters'),
  },
  LOG_LEVEL: { kind: 'enum', def: 'info', values: LOG_LEVELS, doc: 'pino log level' },
  PG_POOL_MAX: { kind: 'int', def: 10, min: 2, max: 200, doc: 'PostgreSQL connections per process (start-up holds one for its lock)' },
  LOBBY_TTL_SECONDS: { kind: 'int', def: 600, min: 5, max: 86400, doc: 'an unstarted party nobody is connected to expires after this' },
  ABANDON_SECONDS: { kind: 'int', def: 30, min: 1, max: 86400, doc: 'a started party with no connection for this long is concluded' },
  PING_INTERVAL_SECONDS: { kind: 'int', def: 20, min: 1, max: 3600, doc: 'WebSocket protocol ping interval; two missed pongs drop the socket' },
  WS_MAX_MESSAGE_BYTES: { kind: 'int', def: 4096, min: 256, max: 1048576, doc: 'largest client WebSocket message (larger: close 1009)' },
  WS_MAX_MESSAGES_PER_SECOND: { kind: 'int', def: 20, min: 1, max: 10000, doc: 'client messages per second per socket (more: rate_limited, then close 1008)' },
  WS_MAX_SOCKETS_PER_PARTY: { kind: 'int', def: 5000, min: 2, max: 100000, doc: 'WebSocket connections per party, players and spectators together' },
  HTTP_BODY_LIMIT_BYTES: { kind: 'int', def: 65536, min: 1024, max: 16777216, doc: 'largest HTTP request body (larger: 413)' },
  SHUTDOWN_GRACE_SECONDS: { kind: 'int', def: 10, min: 0, max: 600, doc: 'how long SIGTERM waits for in-flight work' },
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

type Raw = Record<string, string | undefined>;

function readValue(name: string, spec: Spec, raw: string | undefined, problems: string[]): unknown {
  const value = raw === undefined || raw.trim() === '' ? undefined : raw.trim();
  if (value === undefined) return spec.def;
  switch (spec.kind) {
    case 'int': {
      if (!/^-?\d+$/.test(value)) {
        problems.push(`${name}=${JSON.stringify(value)}: must be a whole number (${spec.doc})`);
        return spec.def;
      }
      const n = Number(value);
      if (n < spec.min || n > spec.max) {
        problems.push(`${name}=${value}: must be between ${spec.min} and ${spec.max} (${spec.doc})`);
      }
      return n;
    }
    case 'enum':
      if (!spec.values.includes(value)) {
        problems.push(`${name}=${JSON.stringify(value)}: must be one of ${spec.values.join(', ')}`);
        return spec.def;
      }
      return value;
    case 'string': {
      const problem = spec.check?.(value);
      // Never echo a secret back into logs.
      const shown = name === 'ADMIN_TOKEN' ? '(hidden)' : name.endsWith('_URL') ? JSON.stringify(redactUrl(value)) : JSON.stringify(value);
      if (problem) problems.push(`${name}=${shown}: ${problem}`);
      return value;
    }
  }
}

/** Reads and validates the environment; throws `ConfigError` listing every bad value. */
export function loadConfig(env: Raw = process.env): Config {
  const problems: string[] = [];
  const v: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(ENV_SCHEMA)) v[name] = readValue(name, spec, env[name], problems);

  const databaseUrl = (v.DATABASE_URL as string | null) ?? null;
  const redisUrl = (v.REDIS_URL as string | null) ?? null;
  if (redisUrl && !databaseUrl) {
    problems.push(
      'REDIS_URL is set but DATABASE_URL is not: several processes sharing Redis cannot share one embedded ' +
        'database. Set DATABASE_URL to a PostgreSQL server, or unset REDIS_URL for embedded mode.',
    );
  }
  if (problems.length) throw new ConfigError(problems);

  const mode: Mode = databaseUrl && redisUrl ? 'service' : databaseUrl ? 'database-only' : 'embedded';
  return Object.freeze({
    port: v.PORT as number,
    host: v.HOST as string,
    databaseUrl,
    redisUrl,
    dataDir: path.resolve(v.DATA_DIR as string),
    adminToken: (v.ADMIN_TOKEN as string | null) ?? null,
    logLevel: v.LOG_LEVEL as Config['logLevel'],
    pgPoolMax: v.PG_POOL_MAX as number,
    lobbyTtlSeconds: v.LOBBY_TTL_SECONDS as number,
    abandonSeconds: v.ABANDON_SECONDS as number,
    pingIntervalSeconds: v.PING_INTERVAL_SECONDS as number,
    wsMaxMessageBytes: v.WS_MAX_MESSAGE_BYTES as number,
    wsMaxMessagesPerSecond: v.WS_MAX_MESSAGES_PER_SECOND as number,
    wsMaxSocketsPerParty: v.WS_MAX_SOCKETS_PER_PARTY as number,
    httpBodyLimitBytes: v.HTTP_BODY_LIMIT_BYTES as number,
    shutdownGraceSeconds: v.SHUTDOWN_GRACE_SECONDS as number,
    mode,
  });
}
