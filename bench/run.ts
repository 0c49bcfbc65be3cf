/**
 * Load, latency and memory benchmark of the quiz server, with baselines measured in the
 * same run on the same machine. See docs/benchmarks.md ("Load, latency and memory").
 *
 *   npm run bench                      full: 1,000 parties x 10 players, service mode
 *   npm run bench -- --quick --json    ~2,000 players, JSON object as the last stdout line
 *   npm run bench -- --embedded        embedded mode (PGlite + in-process live state)
 *   npm run bench -- --size tiny       2 parties x 3 players (the smoke test)
 *   npm run bench -- --profile         also CPU-profile every server process
 *
 * Processes: the quiz server (`node --import tsx src/server.ts`, a fresh one per phase),
 * the baselines (bench/baselines/raw-ws.ts, bench/baselines/hello.ts) and 1+ load
 * generators (bench/loadgen/worker.ts, driven over IPC). Everything listens on and
 * connects to 127.0.0.1 only. Every child is killed by pid, the scratch database dropped,
 * the Redis database flushed and temp dirs removed at the end, on error, on SIGINT/SIGTERM
 * and when the time budget runs out (the children also stop by themselves, see
 * bench/lib/guard.ts).
 *
 * Phases (each against a fresh server process, so that RSS baselines are clean):
 *   idle+saturation  host-mode parties: all players connect and wait (idle RSS), then every
 *                    host starts and everyone answers each question at once (delivered
 *                    messages per second while every party is playing)
 *   play             auto-mode parties, 3 rounds of 3 s + 1 s reveal; answers at random
 *                    moments, random choices, 10 % of players never answer: players held,
 *                    errors, answer-to-broadcast latency, round-close lateness, play RSS
 *   join             POST /api/party/{id}/join with 50 requests in flight over keep-alive
 *                    connections, into parties with max_players 2000
 * and the same phases against the baselines: raw `ws` (idle RSS, messages/s, latency,
 * bare setTimeout lateness) and a Fastify hello-world route (requests/s).
 */
import { progressLog } from './lib/progress.js';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Rpc } from './lib/ipc.js';
import {
  collectGarbage, cpuSeconds, cpuSecondsBetween, cpuSecondsMatching, fileLimits, freePort, killAllNow, rssBytes, setDeadline, sleep, spawnNode, stop, stopAll, waitHttp,
  type Managed,
} from './lib/proc.js';
import { createScratch, type Scratch } from './lib/services.js';
import { monotonicMicros, summarizeProfile, type ProfileSummary } from './lib/profile.js';
import { fmtBytes, fmtMs, fmtNum, markdownTable, ratio, summarize, table, type Summary } from './lib/stats.js';
import type { PartySettings, PartySpec, SetupArgs } from './loadgen/worker.js';

// ---------------------------------------------------------------------------------------
// Options

interface SizePreset {
  parties: number;
  partySize: number;
  generators: number;
  play: { rounds: number; timeout: number; reveal: number };
  saturation: { rounds: number; windowMs: number };
  joins: number;
  settleMs: number;
  restartPerPhase: boolean;
  budgetSeconds: number;
}

const SIZES: Record<'tiny' | 'quick' | 'full', SizePreset> = {
  tiny: {
    parties: 2, partySize: 3, generators: 1,
    play: { rounds: 1, timeout: 2, reveal: 1 },
    saturation: { rounds: 10, windowMs: 1500 },
    joins: 60, settleMs: 300, restartPerPhase: false, budgetSeconds: 120,
  },
  quick: {
    parties: 200, partySize: 10, generators: 2,
    play: { rounds: 3, timeout: 3, reveal: 1 },
    saturation: { rounds: 30, windowMs: 6000 },
    joins: 4000, settleMs: 2000, restartPerPhase: true, budgetSeconds: 180,
  },
  full: {
    parties: 1000, partySize: 10, generators: 2,
    play: { rounds: 3, timeout: 3, reveal: 1 },
    saturation: { rounds: 30, windowMs: 10_000 },
    joins: 12_000, settleMs: 3000, restartPerPhase: true, budgetSeconds: 600,
  },
};

const HELP = `Usage: npm run bench -- [options]
  --size tiny|quick|full  preset (default full: 1,000 parties x 10 players)
  --quick                 same as --size quick (~2,000 players, under 2 minutes)
  --parties N             parties per phase (overrides the preset)
  --players N             players per phase, split evenly over the parties
  --party-size N          players per party (default 10; 3 for tiny)
  --generators N          load-generator processes (default 2; 1 for tiny)
  --joins N               requests in the join phase and the hello baseline
  --embedded              embedded mode (PGlite in a temp DATA_DIR, in-process live state)
  --redis-db N            Redis database number for service mode (default 14; flushed!)
  --skip LIST             comma-separated phases to skip: idle, play, join, baselines
  --budget SECONDS        hard time limit of the whole run (default: 120 tiny, 180 quick, 600 full)
  --profile               start the quiz server with --cpu-prof; summarise each phase's profile
  --profile-dir DIR       where to keep the .cpuprofile files (default: a new dir under the OS temp dir)
  --markdown              print the result tables as Markdown
  --json                  print one JSON object as the last line of stdout
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres),
             BENCH_REDIS_URL (default redis://127.0.0.1:6379)`;

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    size: { type: 'string' },
    quick: { type: 'boolean', default: false },
    parties: { type: 'string' },
    players: { type: 'string' },
    'party-size': { type: 'string' },
    generators: { type: 'string' },
    joins: { type: 'string' },
    embedded: { type: 'boolean', default: false },
    'redis-db': { type: 'string', default: '14' },
    skip: { type: 'string', default: '' },
    budget: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    markdown: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function usage(msg: string): never {
  process.stderr.write(`bench: ${msg}\n\n${HELP}\n`);
  process.exit(2);
}

function intOpt(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(n) || n < min || n > max) usage(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  return n;
}

const sizeName = (flags.size ?? (flags.quick ? 'quick' : 'full')) as keyof typeof SIZES;
if (!(sizeName in SIZES)) usage(`--size must be tiny, quick or full (got ${JSON.stringify(flags.size)})`);
const preset = SIZES[sizeName];
const partySizeOpt = intOpt('party-size', flags['party-size'], 2, 2000);
const partiesOpt = intOpt('parties', flags.parties, 1, 100_000);
const playersOpt = intOpt('players', flags.players, 2, 200_000);
let partySize = partySizeOpt ?? preset.partySize;
let partyCount = partiesOpt ?? preset.parties;
if (playersOpt !== undefined) {
  if (partiesOpt !== undefined && partySizeOpt === undefined) partySize = Math.max(2, Math.round(playersOpt / partiesOpt));
  else partyCount = Math.max(1, Math.round(playersOpt / partySize));
}
const skip = new Set(flags.skip.split(',').map((s) => s.trim()).filter(Boolean));
for (const s of skip) if (!['idle', 'play', 'join', 'baselines'].includes(s)) usage(`--skip: unknown phase ${JSON.stringify(s)}`);

const opts = {
  size: sizeName,
  parties: partyCount,
  partySize,
  players: partyCount * partySize,
  generators: intOpt('generators', flags.generators, 1, 16) ?? preset.generators,
  joins: intOpt('joins', flags.joins, 10, 1_000_000) ?? preset.joins,
  mode: flags.embedded ? ('embedded' as const) : ('service' as const),
  redisDb: intOpt('redis-db', flags['redis-db'], 0, 1023)!,
  budgetSeconds: intOpt('budget', flags.budget, 10, 7200) ?? preset.budgetSeconds,
  profile: flags.profile,
  json: flags.json,
  markdown: flags.markdown,
  restartPerPhase: preset.restartPerPhase,
  settleMs: preset.settleMs,
  play: preset.play,
  saturation: preset.saturation,
  /** Requests in flight in the join phase and the hello baseline (all generators together). */
  httpConcurrency: 50,
  /** Sockets being opened at once, per generator. */
  socketsInFlight: 200,
  neverFraction: 0.1,
  /** The quiz server's default WS_MAX_MESSAGES_PER_SECOND (left as is). */
  maxMessagesPerSecond: 20,
};
opts.generators = Math.min(opts.generators, opts.parties);

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_BASE = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

// ---------------------------------------------------------------------------------------
// Progress, cleanup, watchdog

const { progress, loadAtStart } = progressLog();

let scratch: Scratch | null = null;
const tempDirs: string[] = [];
let workers: { proc: Managed; rpc: Rpc }[] = [];
let cleanupPromise: Promise<void> | null = null;
let watchdog: NodeJS.Timeout | null = null;

function cleanup(graceMs = 15_000): Promise<void> {
  cleanupPromise ??= (async () => {
    if (watchdog) clearTimeout(watchdog);
    // Generators first (they stop on IPC disconnect too), then servers (SIGTERM: graceful,
    // writes CPU profiles), then the scratch stores.
    await Promise.all(workers.map((w) => stop(w.proc, 'SIGTERM', 3000)));
    await stopAll(graceMs);
    if (scratch) {
      await scratch.drop().then(
        () => progress(`dropped database ${scratch!.dbName}, flushed Redis db ${scratch!.redisDb}`),
        (err: unknown) => progress(`cleanup problem: ${(err as Error).message}`),
      );
    }
    for (const dir of tempDirs) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  })();
  return cleanupPromise;
}

function abort(why: string, code: number): void {
  progress(`stopping: ${why}`);
  // Cleanup itself is bounded: whatever is left after 30 s is SIGKILLed on exit.
  setTimeout(() => process.exit(code), 30_000).unref();
  void cleanup(5000).finally(() => process.exit(code));
}

process.on('SIGINT', () => abort('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143));
process.on('exit', () => killAllNow());

// ---------------------------------------------------------------------------------------
// Processes

interface Target {
  kind: 'quiz' | 'raw' | 'hello';
  url: string;
  proc: Managed;
  phase: string;
  profileDir: string | null;
  /** The measured part of the phase (monotonic microseconds), for the CPU profile summary. */
  profileWindows: { label: string; fromUs: number; toUs: number }[];
}

let profileRoot: string | null = null;
const profiles: Record<string, ProfileSummary> = {};
let nofile: number | undefined;
let dataDir: string | null = null;

async function startQuiz(phase: string): Promise<Target> {
  const port = await freePort();
  const env: Record<string, string> = {
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ABANDON_SECONDS: '600',
  };
  if (opts.mode === 'service') {
    env.DATABASE_URL = scratch!.databaseUrl;
    env.REDIS_URL = scratch!.redisUrl;
  } else {
    env.DATA_DIR = dataDir!;
    // Never inherit service URLs into embedded mode.
    env.DATABASE_URL = '';
    env.REDIS_URL = '';
  }
  let profileDir: string | null = null;
  const nodeFlags: string[] = [];
  if (profileRoot) {
    profileDir = path.join(profileRoot, `${opts.mode}-${phase}`);
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`);
  }
  const proc = spawnNode({ name: `quiz server (${phase})`, script: 'src/server.ts', env, nodeFlags, nofile, inspect: true });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/readyz`, proc, 120_000);
  progress(`quiz server (${phase}) pid ${proc.pid} ready at ${url}`);
  return { kind: 'quiz', url, proc, phase, profileDir, profileWindows: [] };
}

async function startBaseline(kind: 'raw' | 'hello', phase: string, env: Record<string, string> = {}): Promise<Target> {
  const port = await freePort();
  const script = kind === 'raw' ? 'bench/baselines/raw-ws.ts' : 'bench/baselines/hello.ts';
  // With --profile the baselines are profiled too, to compare where their time goes.
  const profileDir = profileRoot ? path.join(profileRoot, `baseline-${phase}`) : null;
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const proc = spawnNode({ name: `${kind} baseline (${phase})`, script, env: { PORT: String(port), HOST: '127.0.0.1', ...env }, nofile, inspect: kind === 'raw', nodeFlags });
  const url = `http://127.0.0.1:${port}`;
  await waitHttp(`${url}/healthz`, proc, 60_000);
  progress(`${kind} baseline (${phase}) pid ${proc.pid} ready at ${url}`);
  return { kind, url, proc, phase, profileDir, profileWindows: [] };
}

const serverLogErrors = { count: 0, first: [] as string[] };

async function stopTarget(t: Target): Promise<void> {
  const code = await stop(t.proc, 'SIGTERM', 15_000);
  if (t.kind === 'quiz' && t.proc.logErrors.count) {
    serverLogErrors.count += t.proc.logErrors.count;
    serverLogErrors.first.push(...t.proc.logErrors.first.slice(0, 5 - serverLogErrors.first.length));
    progress(`${t.phase}: the server logged ${t.proc.logErrors.count} error line(s), e.g. ${t.proc.logErrors.first[0]}`);
  }
  if (t.profileDir) {
    try {
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the main thread (the
      // others are tsx's module-loader worker).
      const files = (await readdir(t.profileDir)).filter((f) => f.endsWith('.cpuprofile') && f.split('.')[4] === '0');
      for (const f of files) {
        for (const w of t.profileWindows) {
          const name = t.kind === 'quiz' ? `${opts.mode}/${w.label}` : `baseline ${t.phase}/${w.label}`;
          const s = summarizeProfile(path.join(t.profileDir, f), 20, w);
          profiles[name] = s;
          progress(`profile of ${name}: ${s.file} (${s.busyMs} ms busy of ${s.totalMs} ms in the measured window)`);
        }
      }
      if (!files.length) progress(`no .cpuprofile written in ${t.profileDir} (exit code ${code})`);
    } catch (err) {
      progress(`cannot read profile of ${t.phase}: ${(err as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Generators

type WorkerCollect = {
  players: number;
  parties: number;
  held: number;
  open: number;
  peakOpen: number;
  msgs: number;
  byType: Record<string, number>;
  buckets: [number, number][];
  latencies: Float64Array;
  latencyAt: Float64Array;
  lateness: Float64Array;
  latenessAt: Float64Array;
  errors: { setup_failed: number; connect_failed: number; unexpected_close: number; answer_not_sent: number; protocol: Record<string, number> };
  errorSamples: string[];
  firstQuestionAt: (number | null)[];
  finishedAt: (number | null)[];
  loopDelayMs: { p50: number; p99: number; max: number };
};
type WorkerStatus = { open: number; peakOpen: number; parties: number; firstQuestion: number; finished: number; msgs: number };

async function startWorkers(): Promise<void> {
  const need = Math.ceil(opts.players / opts.generators) + 500;
  workers = Array.from({ length: opts.generators }, (_, i) => {
    const proc = spawnNode({ name: `generator ${i}`, script: 'bench/loadgen/worker.ts', ipc: true, nofile: nofile ? Math.max(nofile, need) : undefined, echoStderr: true });
    return { proc, rpc: new Rpc(`generator ${i}`, proc.child) };
  });
  await Promise.all(workers.map((w) => w.rpc.call('status', {}, 60_000)));
  progress(`${workers.length} load generator process(es) up: pids ${workers.map((w) => w.proc.pid).join(', ')}`);
}

const all = <T>(op: string, args: (i: number) => unknown = () => ({}), timeoutMs = 120_000): Promise<T[]> =>
  Promise.all(workers.map((w, i) => w.rpc.call<T>(op, args(i), timeoutMs)));

interface CpuMark { at: number; cpu: number[] }
async function cpuMark(): Promise<CpuMark> {
  const marks = await all<{ cpuMicros: number; at: number }>('cpu');
  return { at: Date.now(), cpu: marks.map((m) => m.cpuMicros) };
}
/** Sum over generator processes (100 = one core) and the busiest single process. */
function cpuBetween(a: CpuMark, b: CpuMark): { sum: number; maxProcess: number; cpuSeconds: number; wallSeconds: number } {
  const wall = Math.max(1, b.at - a.at) / 1000;
  const per = b.cpu.map((c, i) => (c - a.cpu[i]!) / 1e6);
  const total = per.reduce((x, y) => x + y, 0);
  return {
    sum: Math.round((total / wall) * 1000) / 10,
    maxProcess: Math.round((Math.max(...per) / wall) * 1000) / 10,
    cpuSeconds: total,
    wallSeconds: wall,
  };
}
const genCpuTotals = { cpuSeconds: 0, wallSeconds: 0, peakProcess: 0 };
function accountGenerators(c: ReturnType<typeof cpuBetween>): void {
  genCpuTotals.cpuSeconds += c.cpuSeconds;
  genCpuTotals.wallSeconds += c.wallSeconds;
  genCpuTotals.peakProcess = Math.max(genCpuTotals.peakProcess, c.maxProcess);
}

interface ProcCpu { at: number; server: number | null; redis: number | null; postgres: Map<number, number> | null }
async function procCpuMark(pid: number): Promise<ProcCpu> {
  return {
    at: Date.now(),
    server: cpuSeconds(pid),
    redis: scratch ? await scratch.redisCpuSeconds() : null,
    postgres: scratch ? cpuSecondsMatching(` ${scratch.dbName} `) : null,
  };
}
/** CPU % (100 = one core) of the server process, Redis (whole server) and the scratch database's PostgreSQL backends. */
function procCpuBetween(a: ProcCpu, b: ProcCpu): { server: number | null; redis: number | null; postgres: number | null } {
  const wall = Math.max(1, b.at - a.at) / 1000;
  const pct = (x: number | null, y: number | null) => (x === null || y === null ? null : Math.round(((y - x) / wall) * 1000) / 10);
  const pg = cpuSecondsBetween(a.postgres, b.postgres);
  return { server: pct(a.server, b.server), redis: pct(a.redis, b.redis), postgres: pg === null ? null : pct(0, pg) };
}

/** Parties 0..P-1, dealt round-robin to the generators; `never` picks players who never answer. */
function partyPlan(neverFraction: number): PartySpec[][] {
  const specs: PartySpec[] = Array.from({ length: opts.parties }, (_, index) => ({ index, size: opts.partySize, never: [] }));
  if (neverFraction > 0 && opts.partySize > 1) {
    const candidates: [number, number][] = [];
    for (const s of specs) for (let i = 1; i < s.size; i++) candidates.push([s.index, i]);
    const count = Math.min(candidates.length, Math.max(1, Math.floor(opts.players * neverFraction)));
    for (let k = 0; k < count; k++) {
      const j = k + Math.floor(Math.random() * (candidates.length - k));
      [candidates[k], candidates[j]] = [candidates[j]!, candidates[k]!];
      const [p, i] = candidates[k]!;
      specs[p]!.never.push(i);
    }
  }
  const plan: PartySpec[][] = workers.map(() => []);
  specs.forEach((s, i) => plan[i % workers.length]!.push(s));
  return plan;
}

let gcFailures = 0;
/** Median RSS over a second, after a full GC (idle measurements only: never during play). */
async function rssAfterGc(t: Target): Promise<number> {
  for (let i = 0; i < 2; i++) if (!(await collectGarbage(t.proc))) gcFailures += 1;
  await sleep(300);
  return rssSample(t.proc.pid);
}

async function rssSample(pid: number, samples = 5): Promise<number> {
  const values: number[] = [];
  for (let i = 0; i < samples; i++) {
    const v = rssBytes(pid);
    if (v !== null) values.push(v);
    if (i < samples - 1) await sleep(200);
  }
  values.sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)] ?? NaN;
}

interface Aggregate {
  players: number;
  parties: number;
  held: number;
  peakOpen: number;
  msgs: number;
  byType: Record<string, number>;
  buckets: Map<number, number>;
  latencies: number[];
  latencyAt: number[];
  lateness: number[];
  latenessAt: number[];
  errors: { setup_failed: number; connect_failed: number; unexpected_close: number; answer_not_sent: number; protocol: Record<string, number> };
  errorCount: number;
  errorSamples: string[];
  firstQuestionAt: number[];
  finishedAt: number[];
  loopDelayP99Ms: number;
}

function aggregate(parts: WorkerCollect[]): Aggregate {
  const a: Aggregate = {
    players: 0, parties: 0, held: 0, peakOpen: 0, msgs: 0, byType: {}, buckets: new Map(), latencies: [], latencyAt: [], lateness: [], latenessAt: [],
    errors: { setup_failed: 0, connect_failed: 0, unexpected_close: 0, answer_not_sent: 0, protocol: {} },
    errorCount: 0, errorSamples: [], firstQuestionAt: [], finishedAt: [], loopDelayP99Ms: 0,
  };
  for (const p of parts) {
    a.players += p.players;
    a.parties += p.parties;
    a.held += p.held;
    a.peakOpen += p.peakOpen;
    a.msgs += p.msgs;
    for (const [k, v] of Object.entries(p.byType)) a.byType[k] = (a.byType[k] ?? 0) + v;
    for (const [s, c] of p.buckets) a.buckets.set(s, (a.buckets.get(s) ?? 0) + c);
    for (const v of p.latencies) a.latencies.push(v);
    for (const v of p.latencyAt) a.latencyAt.push(v);
    for (const v of p.lateness) a.lateness.push(v);
    for (const v of p.latenessAt) a.latenessAt.push(v);
    a.errors.setup_failed += p.errors.setup_failed;
    a.errors.connect_failed += p.errors.connect_failed;
    a.errors.unexpected_close += p.errors.unexpected_close;
    a.errors.answer_not_sent += p.errors.answer_not_sent;
    for (const [k, v] of Object.entries(p.errors.protocol)) a.errors.protocol[k] = (a.errors.protocol[k] ?? 0) + v;
    a.errorSamples.push(...p.errorSamples);
    for (const t of p.firstQuestionAt) if (t !== null) a.firstQuestionAt.push(t);
    for (const t of p.finishedAt) if (t !== null) a.finishedAt.push(t);
    a.loopDelayP99Ms = Math.max(a.loopDelayP99Ms, p.loopDelayMs.p99);
  }
  a.errorCount =
    a.errors.setup_failed + a.errors.connect_failed + a.errors.unexpected_close + a.errors.answer_not_sent +
    Object.values(a.errors.protocol).reduce((x, y) => x + y, 0);
  return a;
}

// ---------------------------------------------------------------------------------------
// Phases

let category = 'Science';
let categorySize = 32;

async function pickCategory(url: string): Promise<void> {
  const res = await fetch(`${url}/api/categories`);
  const cats = (await res.json()) as { category: string; questions: number }[];
  cats.sort((a, b) => b.questions - a.questions);
  if (!cats[0]) throw new Error('the server has no questions');
  category = cats[0].category;
  categorySize = cats[0].questions;
}

interface IdleSaturationResult {
  players: number;
  connected: number;
  heldIdle: number;
  rssBefore: number;
  rssIdle: number;
  rssPerPlayerIdle: number | null;
  rssSaturation: number | null;
  msgsPerSecond: number | null;
  windowSeconds: number;
  windowParties: number;
  totalMsgs: number;
  byType: Record<string, number>;
  errors: Aggregate['errors'];
  errorCount: number;
  errorSamples: string[];
  generatorCpu: ReturnType<typeof cpuBetween>;
  generatorLoopDelayP99Ms: number;
  processCpu: ReturnType<typeof procCpuBetween>;
  connectSeconds: number;
  setupSeconds: number;
  runtime: RuntimeWindow | null;
}

/**
 * All players connect to host-mode parties and wait (idle RSS); then every host starts and
 * everyone answers each question as soon as it arrives; messages received by all clients
 * are counted over the window in which every party is playing.
 */
async function idleAndSaturation(t: Target, tag: string): Promise<IdleSaturationResult> {
  const isRaw = t.kind === 'raw';
  const settings: PartySettings = {
    category, rounds: isRaw ? 1000 : Math.min(opts.saturation.rounds, categorySize), timeout: 10, reveal_seconds: 0, start_mode: 'host', max_players: opts.partySize,
  };
  const plan = partyPlan(0);
  const phaseStart = await cpuMark();
  const s0 = performance.now();
  const setups = await all<{ players: number; failed: number }>('setup', (i) => ({
    target: isRaw ? 'raw' : 'quiz', baseUrl: t.url, tag, parties: plan[i]!, settings, behavior: 'immediate',
    httpConcurrency: Math.ceil(opts.httpConcurrency / workers.length), maxMessagesPerSecond: opts.maxMessagesPerSecond,
  } satisfies SetupArgs), 300_000);
  const setupSeconds = (performance.now() - s0) / 1000;
  const players = setups.reduce((n, s) => n + s.players, 0);
  progress(`${t.phase}: ${players} players set up in ${setupSeconds.toFixed(1)} s; measuring RSS before connections`);
  await sleep(opts.settleMs);
  const rssBefore = await rssAfterGc(t);
  const c0 = performance.now();
  const conns = await all<{ connected: number; failed: number }>('connect', () => ({ socketsInFlight: opts.socketsInFlight }), 300_000);
  const connectSeconds = (performance.now() - c0) / 1000;
  const connected = conns.reduce((n, c) => n + c.connected, 0);
  progress(`${t.phase}: ${connected} sockets open in ${connectSeconds.toFixed(1)} s; idle`);
  await sleep(opts.settleMs);
  const rssIdle = await rssAfterGc(t);
  const heldIdle = (await all<WorkerStatus>('status')).reduce((n, s) => n + s.open, 0);

  // Saturation.
  await all('resetLoopDelay');
  const cpuA = await cpuMark();
  const pA = await procCpuMark(t.proc.pid);
  const profFrom = monotonicMicros();
  const rtA = isRaw ? null : await scrapeRuntime(t.url);
  await all('start');
  const waitUntil = Date.now() + 20_000;
  let st: WorkerStatus[] = [];
  for (;;) {
    st = await all<WorkerStatus>('status');
    const started = st.reduce((n, s) => n + s.firstQuestion, 0);
    const parties = st.reduce((n, s) => n + s.parties, 0);
    if (started >= parties || Date.now() > waitUntil) break;
    await sleep(100);
  }
  const windowFrom = Date.now();
  let rssSaturation: number | null = null;
  while (Date.now() - windowFrom < opts.saturation.windowMs) {
    await sleep(250);
    rssSaturation = Math.max(rssSaturation ?? 0, rssBytes(t.proc.pid) ?? 0);
    st = await all<WorkerStatus>('status');
    if (st.some((s) => s.finished > 0)) break;
  }
  const cpuB = await cpuMark();
  const pB = await procCpuMark(t.proc.pid);
  const rtB = isRaw ? null : await scrapeRuntime(t.url);
  t.profileWindows.push({ label: 'saturation', fromUs: profFrom, toUs: monotonicMicros() });
  await all('closeAll', () => ({}), 30_000);
  const agg = aggregate(await all<WorkerCollect>('collect'));
  const phaseEnd = await cpuMark();
  accountGenerators(cpuBetween(phaseStart, phaseEnd));

  // The window: from the moment every party had its first question to the first finish
  // (or the configured length), in whole 100 ms slots.
  const firstAll = agg.firstQuestionAt.length ? Math.max(...agg.firstQuestionAt) : windowFrom;
  const firstFinish = agg.finishedAt.length ? Math.min(...agg.finishedAt) : Infinity;
  let from = firstAll;
  let to = Math.min(firstFinish, from + opts.saturation.windowMs, cpuB.at);
  if (to - from < 500) {
    // Tiny runs: parties may finish before all started; use the whole playing period.
    from = agg.firstQuestionAt.length ? Math.min(...agg.firstQuestionAt) : windowFrom;
    to = Math.max(from + 100, agg.finishedAt.length ? Math.max(...agg.finishedAt) : cpuB.at);
  }
  let fromSlot = Math.ceil(from / 100);
  let toSlot = Math.floor(to / 100);
  if (toSlot <= fromSlot) {
    fromSlot = Math.floor(from / 100);
    toSlot = Math.ceil(to / 100);
  }
  let inWindow = 0;
  for (const [slot, count] of agg.buckets) if (slot >= fromSlot && slot < toSlot) inWindow += count;
  const windowSeconds = Math.max(0.1, (toSlot - fromSlot) / 10);
  const msgsPerSecond = toSlot > fromSlot ? Math.round(inWindow / windowSeconds) : null;
  progress(`${t.phase}: ${fmtNum(msgsPerSecond)} messages/s delivered over ${windowSeconds.toFixed(1)} s (${agg.errorCount} errors)`);
  if (agg.errorCount) progress(`${t.phase}: errors ${JSON.stringify(agg.errors)}; first: ${agg.errorSamples.slice(0, 5).join(' | ')}`);
  return {
    players,
    connected,
    heldIdle,
    rssBefore,
    rssIdle,
    rssPerPlayerIdle: connected ? Math.round((rssIdle - rssBefore) / connected) : null,
    rssSaturation,
    msgsPerSecond,
    windowSeconds,
    windowParties: agg.firstQuestionAt.length,
    totalMsgs: agg.msgs,
    byType: agg.byType,
    errors: agg.errors,
    errorCount: agg.errorCount,
    errorSamples: agg.errorSamples,
    generatorCpu: cpuBetween(cpuA, cpuB),
    generatorLoopDelayP99Ms: agg.loopDelayP99Ms,
    processCpu: procCpuBetween(pA, pB),
    connectSeconds,
    setupSeconds,
    runtime: runtimeBetween(rtA, rtB, (pB.at - pA.at) / 1000),
  };
}

interface PlayResult {
  players: number;
  held: number;
  peakOpen: number;
  rssBefore: number;
  rssPerPlayerPlay: number | null;
  rssPeak: number | null;
  latency: Summary;
  lateness: Summary;
  /** Only samples after the last socket had connected (no connection storm). */
  latencyAfterConnect: Summary;
  latenessAfterConnect: Summary;
  machineTimerLateness: Summary | null;
  totalMsgs: number;
  byType: Record<string, number>;
  errors: Aggregate['errors'];
  errorCount: number;
  errorSamples: string[];
  generatorCpu: ReturnType<typeof cpuBetween>;
  generatorLoopDelayP99Ms: number;
  processCpu: ReturnType<typeof procCpuBetween>;
  connectSeconds: number;
  setupSeconds: number;
  playSeconds: number;
  serverTimerLateness: Record<string, number> | null;
  runtime: RuntimeWindow | null;
}

/** A timer loop in this (otherwise idle) process: OS scheduling lateness while the load runs. */
function timerProbe(): () => number[] {
  const samples: number[] = [];
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const loop = () => {
    if (stopped) return;
    const due = performance.now() + 10 + Math.random() * 20;
    timer = setTimeout(() => {
      samples.push(Math.max(0, performance.now() - due));
      loop();
    }, due - performance.now());
  };
  loop();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    return samples;
  };
}

/** Auto-mode parties with short rounds; answers at random moments; 10 % never answer. */
async function play(t: Target, tag: string): Promise<PlayResult> {
  const isRaw = t.kind === 'raw';
  const settings: PartySettings = {
    category,
    rounds: Math.min(opts.play.rounds, categorySize),
    timeout: opts.play.timeout,
    reveal_seconds: opts.play.reveal,
    start_mode: 'auto',
    max_players: opts.partySize,
  };
  const plan = partyPlan(opts.neverFraction);
  const phaseStart = await cpuMark();
  const s0 = performance.now();
  const setups = await all<{ players: number }>('setup', (i) => ({
    target: isRaw ? 'raw' : 'quiz', baseUrl: t.url, tag, parties: plan[i]!, settings, behavior: 'random',
    httpConcurrency: Math.ceil(opts.httpConcurrency / workers.length), maxMessagesPerSecond: opts.maxMessagesPerSecond,
  } satisfies SetupArgs), 300_000);
  const setupSeconds = (performance.now() - s0) / 1000;
  const players = setups.reduce((n, s) => n + s.players, 0);
  progress(`${t.phase}: ${players} players set up in ${setupSeconds.toFixed(1)} s; measuring RSS before connections`);
  await sleep(opts.settleMs);
  const rssBefore = await rssAfterGc(t);
  await all('resetLoopDelay');
  const cpuA = await cpuMark();
  const pA = await procCpuMark(t.proc.pid);
  const stopProbe = isRaw ? null : timerProbe();
  const profFrom = monotonicMicros();
  const rtA = isRaw ? null : await scrapeRuntime(t.url);

  // RSS and open sockets while the games run.
  const polls: { rss: number; open: number }[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const rss = rssBytes(t.proc.pid);
      const st = await all<WorkerStatus>('status').catch(() => []);
      if (rss !== null) polls.push({ rss, open: st.reduce((n, s) => n + s.open, 0) });
      await sleep(250);
    }
  })();
  const c0 = performance.now();
  await all('connect', () => ({ socketsInFlight: opts.socketsInFlight }), 300_000);
  const connectSeconds = (performance.now() - c0) / 1000;
  const connectedAt = Date.now();
  progress(`${t.phase}: sockets opened in ${connectSeconds.toFixed(1)} s; games running`);
  const gameMs = settings.rounds * (settings.timeout + settings.reveal_seconds) * 1000;
  const until = Date.now() + gameMs + 20_000;
  for (;;) {
    const st = await all<WorkerStatus>('status');
    const finished = st.reduce((n, s) => n + s.finished, 0);
    const parties = st.reduce((n, s) => n + s.parties, 0);
    if (finished >= parties || Date.now() > until) break;
    await sleep(250);
  }
  const playSeconds = (performance.now() - c0) / 1000;
  polling = false;
  await poller;
  const probe = stopProbe ? stopProbe() : null;
  t.profileWindows.push({ label: 'play', fromUs: profFrom, toUs: monotonicMicros() });
  const cpuB = await cpuMark();
  const pB = await procCpuMark(t.proc.pid);
  const rtB = isRaw ? null : await scrapeRuntime(t.url);
  let serverTimerLateness: Record<string, number> | null = null;
  if (!isRaw) serverTimerLateness = await timerHistogram(t.url).catch(() => null);
  await all('closeAll', () => ({}), 30_000);
  const agg = aggregate(await all<WorkerCollect>('collect'));
  accountGenerators(cpuBetween(phaseStart, await cpuMark()));

  const peakOpen = Math.max(0, ...polls.map((p) => p.open));
  let rssPerPlayerPlay: number | null = null;
  for (const p of polls) {
    if (p.open > 0 && p.open >= 0.9 * peakOpen) rssPerPlayerPlay = Math.max(rssPerPlayerPlay ?? -Infinity, (p.rss - rssBefore) / p.open);
  }
  const lat = summarize(agg.latencies);
  const late = summarize(agg.lateness);
  const latAfter = summarize(agg.latencies.filter((_, i) => agg.latencyAt[i]! >= connectedAt));
  const lateAfter = summarize(agg.lateness.filter((_, i) => agg.latenessAt[i]! >= connectedAt));
  progress(
    `${t.phase}: held ${agg.held}/${players}, answer->broadcast p99 ${lat.p99} ms, round-close lateness p99 ${late.p99} ms, ${agg.errorCount} errors`,
  );
  if (agg.errorCount) progress(`${t.phase}: errors ${JSON.stringify(agg.errors)}; first: ${agg.errorSamples.slice(0, 5).join(' | ')}`);
  return {
    players,
    held: agg.held,
    peakOpen: Math.max(peakOpen, agg.peakOpen),
    rssBefore,
    rssPerPlayerPlay: rssPerPlayerPlay === null ? null : Math.round(rssPerPlayerPlay),
    rssPeak: polls.length ? Math.max(...polls.map((p) => p.rss)) : null,
    latency: lat,
    lateness: late,
    latencyAfterConnect: latAfter,
    latenessAfterConnect: lateAfter,
    machineTimerLateness: probe ? summarize(probe) : null,
    totalMsgs: agg.msgs,
    byType: agg.byType,
    errors: agg.errors,
    errorCount: agg.errorCount,
    errorSamples: agg.errorSamples,
    generatorCpu: cpuBetween(cpuA, cpuB),
    generatorLoopDelayP99Ms: agg.loopDelayP99Ms,
    processCpu: procCpuBetween(pA, pB),
    connectSeconds,
    setupSeconds,
    playSeconds,
    serverTimerLateness,
    runtime: runtimeBetween(rtA, rtB, (pB.at - pA.at) / 1000),
  };
}

interface RuntimeScrape { lagP99: number | null; lagMax: number | null; gc: Record<string, { count: number; sum: number; over100ms: number }> }

/**
 * The quiz server's own runtime metrics (prom-client defaults on /metrics): event-loop lag
 * (its histogram restarts at every scrape, so a scrape at the start of a window and one at
 * its end cover the window) and GC pauses (cumulative; diffed between the two scrapes).
 */
async function scrapeRuntime(url: string): Promise<RuntimeScrape | null> {
  try {
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    const num = (name: string) => {
      const m = new RegExp(`^${name} ([\\d.eE+-]+)$`, 'm').exec(text);
      return m ? Number(m[1]) : null;
    };
    const gc: RuntimeScrape['gc'] = {};
    for (const m of text.matchAll(/^nodejs_gc_duration_seconds_(count|sum)\{kind="(\w+)"\} ([\d.eE+-]+)$/gm)) {
      const e = (gc[m[2]!] ??= { count: 0, sum: 0, over100ms: 0 });
      if (m[1] === 'count') e.count = Number(m[3]);
      else e.sum = Number(m[3]);
    }
    for (const m of text.matchAll(/^nodejs_gc_duration_seconds_bucket\{le="0.1",kind="(\w+)"\} (\d+)$/gm)) {
      const e = (gc[m[1]!] ??= { count: 0, sum: 0, over100ms: 0 });
      e.over100ms = -Number(m[2]); // completed below: count - le_0.1
    }
    for (const e of Object.values(gc)) e.over100ms += e.count;
    return { lagP99: num('nodejs_eventloop_lag_p99_seconds'), lagMax: num('nodejs_eventloop_lag_max_seconds'), gc };
  } catch {
    return null;
  }
}

interface RuntimeWindow {
  /** Event-loop delay over the window (prom-client samples every 10 ms; that 10 ms is taken off). */
  loopLagP99Ms: number | null;
  loopLagMaxMs: number | null;
  /** Share of the window spent in GC pauses, and pauses over 100 ms. */
  gcPercent: number | null;
  gcPausesOver100ms: number | null;
  gcMajorCount: number | null;
}

function runtimeBetween(a: RuntimeScrape | null, b: RuntimeScrape | null, seconds: number): RuntimeWindow | null {
  if (!a || !b) return null;
  const lag = (v: number | null) => (v === null ? null : Math.max(0, Math.round((v - 0.01) * 10000) / 10));
  let sum = 0;
  let over = 0;
  for (const [kind, e] of Object.entries(b.gc)) {
    sum += e.sum - (a.gc[kind]?.sum ?? 0);
    over += e.over100ms - (a.gc[kind]?.over100ms ?? 0);
  }
  return {
    loopLagP99Ms: lag(b.lagP99),
    loopLagMaxMs: lag(b.lagMax),
    gcPercent: Math.round((sum / Math.max(0.001, seconds)) * 1000) / 10,
    gcPausesOver100ms: over,
    gcMajorCount: (b.gc.major?.count ?? 0) - (a.gc.major?.count ?? 0),
  };
}

/** The server's own quiz_timer_lateness_seconds histogram (cumulative bucket counts). */
async function timerHistogram(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^quiz_timer_lateness_seconds_bucket\{le="([^"]+)"\} (\d+)/.exec(line);
    if (m) out[`le_${m[1]}s`] = Number(m[2]);
  }
  return out;
}

interface HttpResult {
  requests: number;
  ok: number;
  failed: number;
  reqPerSecond: number;
  latency: Summary;
  statuses: Record<string, number>;
  samples: string[];
  generatorCpu: ReturnType<typeof cpuBetween>;
  processCpu: ReturnType<typeof procCpuBetween>;
  parties: number;
}

type HttpLoadOut = { ok: number; failed: number; statuses: Record<string, number>; samples: string[]; latencies: Float64Array; startedAt: number; endedAt: number };

/** `opts.joins` POSTs with 50 in flight (split over the generators), after a small warm-up. */
async function httpPhase(t: Target, kind: 'join' | 'hello', tag: string): Promise<HttpResult> {
  let partyIds: string[] = ['00000000-0000-4000-8000-000000000000'];
  let failedInit = 0;
  const warmup = Math.min(200, Math.ceil(opts.joins / 10));
  if (kind === 'join') {
    const count = Math.ceil((opts.joins + warmup) / 1990);
    const made = await workers[0]!.rpc.call<{ ids: string[]; failed: number }>('createParties', {
      baseUrl: t.url, count, tag: `${tag}w`,
      settings: { category, rounds: 1, timeout: 30, reveal_seconds: 0, start_mode: 'host', max_players: 2000 } satisfies PartySettings,
    });
    partyIds = made.ids;
    failedInit = made.failed;
    if (!partyIds.length) throw new Error('join phase: no party could be created');
  }
  const concurrency = Math.max(1, Math.ceil(opts.httpConcurrency / workers.length));
  // Warm-up (not counted): the same requests, so that JIT and pools are warm for both servers.
  await all('httpLoad', (i) => ({
    baseUrl: t.url, kind, partyIds, count: Math.ceil(warmup / workers.length), concurrency, maxMs: 30_000, tag: `${tag}u${i}`,
  }), 120_000);
  const cpuA = await cpuMark();
  const pA = await procCpuMark(t.proc.pid);
  const profFrom = monotonicMicros();
  const perWorker = Math.ceil(opts.joins / workers.length);
  const outs = await all<HttpLoadOut>('httpLoad', (i) => ({
    baseUrl: t.url, kind, partyIds, count: perWorker, concurrency, maxMs: 120_000, tag: `${tag}m${i}`,
  }), 180_000);
  t.profileWindows.push({ label: 'join', fromUs: profFrom, toUs: monotonicMicros() });
  const cpuB = await cpuMark();
  const pB = await procCpuMark(t.proc.pid);
  const genCpu = cpuBetween(cpuA, cpuB);
  accountGenerators(genCpu);
  const ok = outs.reduce((n, o) => n + o.ok, 0);
  const failed = outs.reduce((n, o) => n + o.failed, 0) + failedInit;
  const wall = Math.max(...outs.map((o) => o.endedAt)) - Math.min(...outs.map((o) => o.startedAt));
  const statuses: Record<string, number> = {};
  for (const o of outs) for (const [k, v] of Object.entries(o.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const lat: number[] = [];
  for (const o of outs) for (const v of o.latencies) lat.push(v);
  const res: HttpResult = {
    requests: ok + failed,
    ok,
    failed,
    reqPerSecond: Math.round((ok / Math.max(1, wall)) * 1000),
    latency: summarize(lat),
    statuses,
    samples: outs.flatMap((o) => o.samples).slice(0, 5),
    generatorCpu: genCpu,
    processCpu: procCpuBetween(pA, pB),
    parties: partyIds.length,
  };
  progress(`${t.phase}: ${fmtNum(res.reqPerSecond)} ${kind} requests/s (${ok} ok, ${failed} failed, p99 ${res.latency.p99} ms)`);
  return res;
}

// ---------------------------------------------------------------------------------------
// Main

interface Results {
  idle?: IdleSaturationResult;
  rawIdle?: IdleSaturationResult;
  play?: PlayResult;
  rawPlay?: PlayResult & { bareTimerLateness: Summary };
  join?: HttpResult;
  hello?: HttpResult;
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const deadline = startedAt + opts.budgetSeconds * 1000;
  // Children give up a little after the watchdog, which cleans up first.
  setDeadline(deadline + 20_000);
  watchdog = setTimeout(() => abort(`time budget of ${opts.budgetSeconds} s exceeded`, 124), opts.budgetSeconds * 1000);

  const cores = os.availableParallelism();
  const limits = fileLimits();
  const needFds = opts.players + 1000;
  let ulimitNote: string | null = null;
  if (!(limits.soft >= needFds)) {
    if (limits.hard >= needFds) {
      nofile = needFds;
      ulimitNote = `ulimit -n is ${limits.soft}, below the ~${needFds} descriptors a process may need: raised to ${needFds} for the benchmark's processes (hard limit ${limits.hard})`;
    } else {
      ulimitNote = `ulimit -n is ${limits.soft} (hard ${limits.hard}), below the ~${needFds} descriptors the server needs for ${opts.players} sockets: raise it (ulimit -n ${needFds}) or expect failed connections`;
    }
    progress(`WARNING: ${ulimitNote}`);
  }
  progress(
    `load benchmark: ${opts.mode} mode, size ${opts.size}: ${opts.parties} parties x ${opts.partySize} players = ${opts.players} players, ` +
      `${opts.generators} generator process(es), ${cores} cores, node ${process.version}, ulimit -n ${limits.soft}, budget ${opts.budgetSeconds} s`,
  );

  if (opts.profile) {
    profileRoot = flags['profile-dir'] ? path.resolve(flags['profile-dir']) : await mkdtemp(path.join(os.tmpdir(), 'quiz-bench-profile-'));
    progress(`CPU profiles go to ${profileRoot} (kept after the run)`);
  }
  if (opts.mode === 'service') {
    scratch = await createScratch(ADMIN_URL, REDIS_BASE, opts.redisDb);
    progress(`scratch database ${scratch.dbName}, Redis db ${scratch.redisDb} (flushed)`);
  } else {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'quiz-bench-data-'));
    tempDirs.push(dataDir);
    progress(`embedded DATA_DIR ${dataDir}`);
  }

  // Cleans up after this process if it is killed without a chance to (SIGKILL, crash).
  spawnNode({
    name: 'janitor',
    script: 'bench/lib/janitor.ts',
    guard: false,
    env: {
      JANITOR_PARENT_PID: String(process.pid),
      JANITOR_ADMIN_URL: scratch ? ADMIN_URL : '',
      JANITOR_DB: scratch?.dbName ?? '',
      JANITOR_REDIS_URL: scratch?.redisUrl ?? '',
      JANITOR_DIRS: tempDirs.join('\n'),
    },
  });

  await startWorkers();
  const r: Results = {};
  const runTag = Math.random().toString(36).slice(2, 6);
  let shared: Target | null = null;
  const quizFor = async (phase: string): Promise<Target> => {
    if (!opts.restartPerPhase) {
      shared ??= await startQuiz('all');
      return shared;
    }
    if (scratch) await scratch.flushRedis();
    return startQuiz(phase);
  };
  const done = async (t: Target) => {
    if (t !== shared) await stopTarget(t);
  };

  if (!skip.has('idle')) {
    const t = await quizFor('idle');
    await pickCategory(t.url);
    r.idle = await idleAndSaturation(t, `i${runTag}`);
    await done(t);
  }
  if (!skip.has('idle') && !skip.has('baselines')) {
    const t = await startBaseline('raw', 'raw-idle', { RAW_START_MODE: 'host', RAW_ROUNDS: '1000', RAW_TIMEOUT_MS: '10000', RAW_REVEAL_MS: '0' });
    r.rawIdle = await idleAndSaturation(t, `ri${runTag}`);
    await stopTarget(t);
  }
  if (!skip.has('play')) {
    const t = await quizFor('play');
    await pickCategory(t.url);
    r.play = await play(t, `p${runTag}`);
    await done(t);
  }
  if (!skip.has('play') && !skip.has('baselines')) {
    const t = await startBaseline('raw', 'raw-play', {
      RAW_START_MODE: 'auto', RAW_ROUNDS: String(opts.play.rounds), RAW_TIMEOUT_MS: String(opts.play.timeout * 1000), RAW_REVEAL_MS: String(opts.play.reveal * 1000),
    });
    const res = await play(t, `rp${runTag}`);
    const stats = (await (await fetch(`${t.url}/stats`)).json()) as { lateness: number[] };
    r.rawPlay = { ...res, bareTimerLateness: summarize(stats.lateness) };
    await stopTarget(t);
  }
  if (!skip.has('join')) {
    const t = await quizFor('join');
    await pickCategory(t.url);
    r.join = await httpPhase(t, 'join', `j${runTag}`);
    await done(t);
  }
  if (!skip.has('join') && !skip.has('baselines')) {
    const t = await startBaseline('hello', 'hello');
    r.hello = await httpPhase(t, 'hello', `h${runTag}`);
    await stopTarget(t);
  }
  if (shared) await stopTarget(shared);

  report(r, { startedAt, cores, limits, ulimitNote });
}

// ---------------------------------------------------------------------------------------
// Report

function report(r: Results, env: { startedAt: number; cores: number; limits: { soft: number; hard: number }; ulimitNote: string | null }): void {
  const errors =
    (r.idle?.errorCount ?? 0) + (r.play?.errorCount ?? 0) + (r.join?.failed ?? 0);
  const baselineErrors = (r.rawIdle?.errorCount ?? 0) + (r.rawPlay?.errorCount ?? 0) + (r.hello?.failed ?? 0);
  const genCpu = genCpuTotals.wallSeconds ? Math.round((genCpuTotals.cpuSeconds / genCpuTotals.wallSeconds) * 1000) / 10 : null;
  const rssIdle = r.idle?.rssPerPlayerIdle ?? null;
  const rssPlay = r.play?.rssPerPlayerPlay ?? null;
  const rawRss = r.rawIdle?.rssPerPlayerIdle ?? null;

  type Goal = { goal: string; met: boolean | null; value: string };
  const goals: Record<string, Goal> = {
    held: {
      goal: `${opts.players} players in ${opts.parties} parties held with 0 errors`,
      met: r.play && r.idle ? r.play.held === opts.players && r.idle.heldIdle === opts.players && errors === 0 : null,
      value: `play ${r.play?.held ?? 'n/a'}, idle ${r.idle?.heldIdle ?? 'n/a'} of ${opts.players}; ${errors} errors`,
    },
    answer_broadcast_p99: {
      goal: 'answer-to-broadcast p99 <= 50 ms',
      met: r.play?.latency.p99 == null ? null : r.play.latency.p99 <= 50,
      value: `${r.play?.latency.p99 ?? 'n/a'} ms`,
    },
    round_close_p99: {
      goal: 'round-close lateness p99 <= 20 ms and <= 1.5x bare setTimeout p99',
      met:
        r.play?.lateness.p99 == null
          ? null
          : r.play.lateness.p99 <= 20 && (r.rawPlay?.bareTimerLateness.p99 == null || r.play.lateness.p99 <= 1.5 * Math.max(1, r.rawPlay.bareTimerLateness.p99)),
      value: `${r.play?.lateness.p99 ?? 'n/a'} ms vs ${r.rawPlay?.bareTimerLateness.p99 ?? 'n/a'} ms`,
    },
    msgs_per_s: {
      goal: 'delivered messages/s >= 0.6x raw ws',
      met: r.idle?.msgsPerSecond == null || r.rawIdle?.msgsPerSecond == null ? null : r.idle.msgsPerSecond >= 0.6 * r.rawIdle.msgsPerSecond,
      value: `${ratio(r.idle?.msgsPerSecond, r.rawIdle?.msgsPerSecond) ?? 'n/a'}x`,
    },
    rss_per_player: {
      goal: 'RSS per connected player (idle, after GC) <= 2x raw ws idle connection',
      met: rssIdle === null || rawRss === null ? null : rssIdle <= 2 * rawRss,
      value: `${ratio(rssIdle, rawRss) ?? 'n/a'}x`,
    },
    rss_per_player_play: {
      goal: 'RSS per connected player during play (no forced GC) <= 2x raw ws idle connection',
      met: rssPlay === null || rawRss === null ? null : rssPlay <= 2 * rawRss,
      value: `${ratio(rssPlay, rawRss) ?? 'n/a'}x`,
    },
    join_req_per_s: {
      goal: 'join requests/s >= 0.5x Fastify hello-world',
      met: r.join && r.hello ? r.join.reqPerSecond >= 0.5 * r.hello.reqPerSecond : null,
      value: `${ratio(r.join?.reqPerSecond, r.hello?.reqPerSecond) ?? 'n/a'}x`,
    },
  };
  const mark = (g: Goal) => (g.met === null ? 'n/a' : g.met ? 'met' : 'MISSED');

  const rows: string[][] = [
    ['figure', 'quiz server', 'baseline', 'baseline value', 'ratio', 'goal', 'status'],
    [
      'players held (play / idle)', `${r.play?.held ?? 'n/a'} / ${r.idle?.heldIdle ?? 'n/a'} of ${opts.players}`, '-', '-', '-', 'all, 0 errors', mark(goals.held!),
    ],
    ['errors', String(errors), 'baseline errors', String(baselineErrors), '-', '0', errors === 0 ? 'met' : 'MISSED'],
    [
      'answer->broadcast ms p50/p99/max', fmtMs(r.play?.latency), 'raw ws', fmtMs(r.rawPlay?.latency),
      `${ratio(r.play?.latency.p99, r.rawPlay?.latency.p99) ?? 'n/a'}x`, 'p99 <= 50 ms', mark(goals.answer_broadcast_p99!),
    ],
    [
      'round-close lateness ms p50/p99/max', fmtMs(r.play?.lateness), 'bare setTimeout', fmtMs(r.rawPlay?.bareTimerLateness),
      `${ratio(r.play?.lateness.p99, r.rawPlay?.bareTimerLateness.p99) ?? 'n/a'}x`, 'p99 <= 20 ms, <= 1.5x', mark(goals.round_close_p99!),
    ],
    [
      'delivered messages/s (saturation)', fmtNum(r.idle?.msgsPerSecond), 'raw ws', fmtNum(r.rawIdle?.msgsPerSecond),
      `${ratio(r.idle?.msgsPerSecond, r.rawIdle?.msgsPerSecond) ?? 'n/a'}x`, '>= 0.6x', mark(goals.msgs_per_s!),
    ],
    [
      'RSS per player, idle', fmtBytes(rssIdle), 'raw ws idle conn', fmtBytes(rawRss), `${ratio(rssIdle, rawRss) ?? 'n/a'}x`, '<= 2x', mark(goals.rss_per_player!),
    ],
    ['RSS per player, play', fmtBytes(rssPlay), 'raw ws idle conn', fmtBytes(rawRss), `${ratio(rssPlay, rawRss) ?? 'n/a'}x`, '<= 2x', mark(goals.rss_per_player_play!)],
    [
      'join requests/s', fmtNum(r.join?.reqPerSecond), 'Fastify hello', fmtNum(r.hello?.reqPerSecond),
      `${ratio(r.join?.reqPerSecond, r.hello?.reqPerSecond) ?? 'n/a'}x`, '>= 0.5x', mark(goals.join_req_per_s!),
    ],
    ['generator CPU % (sum of processes)', fmtNum(genCpu, 1), '-', '-', '-', 'not the bottleneck', ''],
  ];
  const render = opts.markdown ? markdownTable : table;
  type CpuOf = { processCpu: { server: number | null; redis: number | null; postgres: number | null }; generatorCpu: { sum: number; maxProcess: number } };
  const cpuRow = (name: string, x: (CpuOf & { generatorLoopDelayP99Ms?: number }) | undefined) =>
    x
      ? [
          name, fmtNum(x.processCpu.server, 1), fmtNum(x.processCpu.redis, 1), fmtNum(x.processCpu.postgres, 1), fmtNum(x.generatorCpu.sum, 1),
          fmtNum(x.generatorCpu.maxProcess, 1), x.generatorLoopDelayP99Ms === undefined ? '-' : fmtNum(x.generatorLoopDelayP99Ms, 1),
        ]
      : [name, 'n/a', 'n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  const httpCpuRow = (name: string, h: HttpResult | undefined) => cpuRow(name, h);
  const cpuRows: string[][] = [
    ['measured window (CPU %, 100 = one core)', 'server', 'Redis', 'PostgreSQL', 'generators', 'busiest generator', 'generator loop lag p99 ms'],
    cpuRow('saturation (quiz)', r.idle),
    cpuRow('saturation (raw ws)', r.rawIdle),
    cpuRow('play (quiz)', r.play),
    cpuRow('play (raw ws)', r.rawPlay),
    httpCpuRow('join (quiz)', r.join),
    httpCpuRow('hello (Fastify)', r.hello),
  ];

  const rt = (w: RuntimeWindow | null | undefined) =>
    w ? [fmtNum(w.loopLagP99Ms, 1), fmtNum(w.loopLagMaxMs, 1), fmtNum(w.gcPercent, 1), fmtNum(w.gcMajorCount), fmtNum(w.gcPausesOver100ms)] : ['n/a', 'n/a', 'n/a', 'n/a', 'n/a'];
  const runtimeRows: string[][] = [
    ['quiz server runtime (its /metrics)', 'event-loop lag p99 ms', 'lag max ms', 'GC % of wall', 'major GCs', 'GC pauses > 100 ms'],
    ['saturation window', ...rt(r.idle?.runtime)],
    ['play phase', ...rt(r.play?.runtime)],
  ];
  const out: string[] = [];
  out.push('');
  out.push(
    `Load benchmark: ${opts.mode} mode, ${opts.parties} parties x ${opts.partySize} players = ${opts.players} players; ` +
      `${env.cores} cores, node ${process.version}, ${opts.generators} generator process(es); ` +
      `${((Date.now() - env.startedAt) / 1000).toFixed(0)} s; load average ${loadAtStart[0]} at start, ${os.loadavg()[0]!.toFixed(2)} at end`,
  );
  if (env.ulimitNote) out.push(`WARNING: ${env.ulimitNote}`);
  out.push('');
  out.push(render(rows));
  out.push('');
  out.push(render(cpuRows));
  out.push('');
  out.push(render(runtimeRows));
  out.push('');
  const extra: string[] = [];
  if (r.play) {
    extra.push(`play: peak ${r.play.peakOpen} sockets open; connect ${r.play.connectSeconds.toFixed(1)} s, play ${r.play.playSeconds.toFixed(1)} s; ${fmtNum(r.play.totalMsgs)} messages`);
    extra.push(
      `play, after the last socket connected: answer->broadcast ms ${fmtMs(r.play.latencyAfterConnect)} (${r.play.latencyAfterConnect.count} samples; raw ws ${fmtMs(r.rawPlay?.latencyAfterConnect)}), ` +
        `round-close lateness ms ${fmtMs(r.play.latenessAfterConnect)} (${r.play.latenessAfterConnect.count} samples; raw ws ${fmtMs(r.rawPlay?.latenessAfterConnect)})`,
    );
    if (r.play.machineTimerLateness) extra.push(`play: setTimeout lateness in an idle process on the same machine (ms p50/p99/max): ${fmtMs(r.play.machineTimerLateness)}`);
    if (r.rawPlay) extra.push(`raw ws play: round-close lateness seen by clients (ms p50/p99/max): ${fmtMs(r.rawPlay.lateness)}`);
  }
  if (r.idle) {
    extra.push(
      `saturation: window ${r.idle.windowSeconds.toFixed(1)} s over ${r.idle.windowParties} parties; RSS before ${fmtBytes(r.idle.rssBefore)}, idle ${fmtBytes(r.idle.rssIdle)}; setup ${r.idle.setupSeconds.toFixed(1)} s, connect ${r.idle.connectSeconds.toFixed(1)} s`,
    );
  }
  if (r.rawIdle) extra.push(`raw ws saturation: window ${r.rawIdle.windowSeconds.toFixed(1)} s; RSS before ${fmtBytes(r.rawIdle.rssBefore)}, idle ${fmtBytes(r.rawIdle.rssIdle)}`);
  if (r.join) extra.push(`join: ${r.join.ok} ok / ${r.join.failed} failed into ${r.join.parties} parties, latency ms p50/p99/max ${fmtMs(r.join.latency)}`);
  if (r.hello) extra.push(`hello: ${r.hello.ok} ok / ${r.hello.failed} failed, latency ms p50/p99/max ${fmtMs(r.hello.latency)}`);
  const samples = [...(r.idle?.errorSamples ?? []), ...(r.play?.errorSamples ?? []), ...(r.join?.samples ?? [])].slice(0, 10);
  if (samples.length) extra.push(`first errors:\n  ${samples.join('\n  ')}`);
  const bsamples = [...(r.rawIdle?.errorSamples ?? []), ...(r.rawPlay?.errorSamples ?? []), ...(r.hello?.samples ?? [])].slice(0, 5);
  if (bsamples.length) extra.push(`first baseline errors:\n  ${bsamples.join('\n  ')}`);
  if (serverLogErrors.count) extra.push(`the quiz server logged ${serverLogErrors.count} error line(s); first:\n  ${serverLogErrors.first.join('\n  ')}`);
  if (genCpuTotals.peakProcess >= 90) extra.push(`WARNING: a generator process reached ${genCpuTotals.peakProcess}% CPU in a phase: it may have limited the load`);
  out.push(...extra);
  for (const [phase, p] of Object.entries(profiles)) {
    out.push('');
    out.push(`CPU profile ${phase}: ${p.file}`);
    out.push(`  busy ${p.busyMs} ms of ${p.totalMs} ms sampled in the measured window (% below are of busy time)`);
    out.push(render([['top self time', 'where', 'ms', '%'], ...p.top.slice(0, 15).map((e) => [e.name, e.where, String(e.selfMs), String(e.percent)])]));
    out.push(render([['by module', 'ms', '%'], ...p.modules.slice(0, 12).map((e) => [e.name, String(e.selfMs), String(e.percent)])]));
    for (const n of p.nativeCallers) {
      out.push(`  ${n.name} (${n.selfMs} ms) is called from: ${n.callers.map((c) => `${c.chain} ${c.percent}%`).join('; ')}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);

  if (opts.json) {
    const json = {
      mode: opts.mode,
      size: opts.size,
      players: opts.players,
      parties: opts.parties,
      party_size: opts.partySize,
      players_held: r.play?.held ?? null,
      players_held_idle: r.idle?.heldIdle ?? null,
      peak_connected_play: r.play?.peakOpen ?? null,
      errors,
      error_breakdown: {
        idle_saturation: r.idle?.errors ?? null,
        play: r.play?.errors ?? null,
        join_failed: r.join?.failed ?? null,
      },
      answer_broadcast_ms: pick(r.play?.latency),
      answer_broadcast_samples: r.play?.latency.count ?? 0,
      timer_lateness_ms: pick(r.play?.lateness),
      timer_lateness_samples: r.play?.lateness.count ?? 0,
      answer_broadcast_ms_after_connect: pick(r.play?.latencyAfterConnect),
      timer_lateness_ms_after_connect: pick(r.play?.latenessAfterConnect),
      baseline_raw_ws_answer_broadcast_ms_after_connect: pick(r.rawPlay?.latencyAfterConnect),
      baseline_settimeout_lateness_ms: pick(r.rawPlay?.bareTimerLateness),
      baseline_raw_ws_answer_broadcast_ms: pick(r.rawPlay?.latency),
      baseline_raw_ws_round_close_lateness_ms: pick(r.rawPlay?.lateness),
      machine_settimeout_lateness_ms: pick(r.play?.machineTimerLateness ?? undefined),
      server_timer_lateness_histogram: r.play?.serverTimerLateness ?? null,
      server_runtime: { saturation: r.idle?.runtime ?? null, play: r.play?.runtime ?? null },
      broadcast_msgs_per_s: r.idle?.msgsPerSecond ?? null,
      baseline_raw_ws_msgs_per_s: r.rawIdle?.msgsPerSecond ?? null,
      saturation_window_s: r.idle?.windowSeconds ?? null,
      total_msgs_delivered: (r.idle?.totalMsgs ?? 0) + (r.play?.totalMsgs ?? 0),
      rss_bytes_per_player: rssIdle,
      rss_bytes_per_player_idle: rssIdle,
      rss_bytes_per_player_play: rssPlay,
      baseline_raw_ws_rss_bytes_per_conn: rawRss,
      server_rss_before_bytes: r.idle?.rssBefore ?? null,
      server_rss_idle_bytes: r.idle?.rssIdle ?? null,
      server_rss_play_peak_bytes: r.play?.rssPeak ?? null,
      join_req_per_s: r.join?.reqPerSecond ?? null,
      join_latency_ms: pick(r.join?.latency),
      baseline_hello_req_per_s: r.hello?.reqPerSecond ?? null,
      generator_cpu_percent: genCpu,
      generator_cpu_percent_peak_process: genCpuTotals.peakProcess,
      generators: opts.generators,
      server_cpu_percent: {
        saturation: r.idle?.processCpu.server ?? null,
        play: r.play?.processCpu.server ?? null,
        join: r.join?.processCpu.server ?? null,
      },
      postgres_cpu_percent: {
        saturation: r.idle?.processCpu.postgres ?? null,
        play: r.play?.processCpu.postgres ?? null,
        join: r.join?.processCpu.postgres ?? null,
      },
      redis_cpu_percent: {
        saturation: r.idle?.processCpu.redis ?? null,
        play: r.play?.processCpu.redis ?? null,
        join: r.join?.processCpu.redis ?? null,
      },
      baseline_cpu_percent: {
        raw_ws_saturation: r.rawIdle?.processCpu.server ?? null,
        raw_ws_play: r.rawPlay?.processCpu.server ?? null,
        hello: r.hello?.processCpu.server ?? null,
      },
      baseline_errors: baselineErrors,
      server_log_errors: serverLogErrors.count,
      rss_gc_failures: gcFailures,
      server_log_error_samples: serverLogErrors.first,
      ratios: {
        answer_broadcast_p99_vs_raw_ws: ratio(r.play?.latency.p99, r.rawPlay?.latency.p99),
        timer_lateness_p99_vs_settimeout: ratio(r.play?.lateness.p99, r.rawPlay?.bareTimerLateness.p99),
        msgs_per_s_vs_raw_ws: ratio(r.idle?.msgsPerSecond, r.rawIdle?.msgsPerSecond),
        rss_idle_vs_raw_ws: ratio(rssIdle, rawRss),
        rss_play_vs_raw_ws: ratio(rssPlay, rawRss),
        join_vs_hello: ratio(r.join?.reqPerSecond, r.hello?.reqPerSecond),
      },
      goals: Object.fromEntries(Object.entries(goals).map(([k, g]) => [k, { goal: g.goal, met: g.met, value: g.value }])),
      profiles: Object.fromEntries(
        Object.entries(profiles).map(([k, p]) => [
          k,
          { file: p.file, window_us: p.window, busy_ms: p.busyMs, total_ms: p.totalMs, top: p.top.slice(0, 15), modules: p.modules.slice(0, 12), native_callers: p.nativeCallers },
        ]),
      ),
      cores: env.cores,
      node: process.version,
      ulimit_n: env.limits.soft,
      ulimit_warning: env.ulimitNote,
      load_average_at_start: loadAtStart,
      load_average_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100),
      duration_s: Math.round((Date.now() - env.startedAt) / 100) / 10,
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  }
}

function pick(s: Summary | undefined | null): { p50: number | null; p99: number | null; max: number | null } | null {
  return s ? { p50: s.p50, p99: s.p99, max: s.max } : null;
}

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (err: unknown) => {
    progress(`benchmark failed: ${(err as Error).stack ?? String(err)}`);
    await cleanup(5000);
    process.exit(1);
  },
);
