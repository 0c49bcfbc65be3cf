/**
 * One load-generator process, driven by bench/run.ts over IPC. It owns whole parties (so
 * that a sender and the receivers of its `score` broadcast share one clock), sets them up
 * over HTTP, opens every player's socket with the project's QuizClient over the `ws`
 * package, plays, and counts: messages received (per 100 ms slot), answer-to-broadcast
 * latency, round-close lateness, errors of every kind, and its own CPU and event-loop lag.
 *
 * The same code drives the quiz server (`target: 'quiz'`) and the raw `ws` baseline
 * (`target: 'raw'`, which speaks the same frames; there is no HTTP setup there).
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { QuizClient, type ServerMessage, type SocketLike, type StateMessage } from '../../src/client/quiz-client.js';
import { serve } from '../lib/ipc.js';
import { HttpClient, httpLoad, type HttpLoadResult } from '../lib/http-load.js';

export interface PartySpec {
  index: number;
  size: number;
  /** Indices (0 = host) of the players who never answer. */
  never: number[];
}

export interface PartySettings {
  category: string;
  rounds: number;
  timeout: number;
  reveal_seconds: number;
  start_mode: 'auto' | 'host';
  max_players?: number;
}

/** immediate: answer as soon as a question arrives (within the rate limit); random: at a random moment of the window; none: never. */
export type Behavior = 'immediate' | 'random' | 'none';

export interface SetupArgs {
  target: 'quiz' | 'raw';
  baseUrl: string;
  tag: string;
  parties: PartySpec[];
  settings: PartySettings;
  behavior: Behavior;
  httpConcurrency: number;
  /** Messages per second a connection may send (the server's limit); the generator keeps under 75 % of it. */
  maxMessagesPerSecond: number;
}

interface Player {
  userId: string;
  token: string;
  index: number;
  never: boolean;
  client: QuizClient | null;
  wasOpen: boolean;
  open: boolean;
  finished: boolean;
  unexpected: boolean;
  closingByUs: boolean;
  scheduled: Set<number>;
  sends: number[];
}

interface Party {
  id: string;
  index: number;
  players: Player[];
  /** `${user_id}\u0000${round}` -> performance.now() when the answer was sent. */
  sentAt: Map<string, number>;
  deadlines: Map<number, number>;
  questioned: Set<number>;
  revealed: Set<number>;
  firstQuestionAt: number | null;
  finishedAt: number | null;
}

function freshMetrics() {
  return {
    msgs: 0,
    byType: {} as Record<string, number>,
    buckets: new Map<number, number>(),
    latencies: [] as number[],
    /** Epoch ms each latency sample was taken (its score's receipt). */
    latencyAt: [] as number[],
    lateness: [] as number[],
    /** The deadline (epoch ms) of each lateness sample. */
    latenessAt: [] as number[],
    errors: {
      setup_failed: 0,
      connect_failed: 0,
      unexpected_close: 0,
      answer_not_sent: 0,
      protocol: {} as Record<string, number>,
    },
    errorSamples: [] as string[],
    peakOpen: 0,
  };
}

let m = freshMetrics();
let parties: Party[] = [];
let setup: SetupArgs | null = null;
let openCount = 0;
/** Answers waiting for their moment; cancelled when the phase ends. */
const pending = new Set<NodeJS.Timeout>();
let loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

const socketFactory = (url: string) => new WebSocket(url) as unknown as SocketLike;

function sample(text: string): void {
  if (m.errorSamples.length < 10) m.errorSamples.push(text);
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, run));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e as Error);
      },
    );
  });
}

// ---- setup ------------------------------------------------------------------------------

const userIdOf = (tag: string, party: number, i: number) => `${tag}-${party}-${i}`;

async function doSetup(args: SetupArgs): Promise<{ parties: number; players: number; failed: number; ms: number }> {
  await closeAll();
  m = freshMetrics();
  parties = [];
  setup = args;
  const t0 = performance.now();
  const mkPlayer = (spec: PartySpec, i: number, token: string): Player => ({
    userId: userIdOf(args.tag, spec.index, i),
    token,
    index: i,
    never: spec.never.includes(i),
    client: null,
    wasOpen: false,
    open: false,
    finished: false,
    unexpected: false,
    closingByUs: false,
    scheduled: new Set(),
    sends: [],
  });
  const mkParty = (id: string, spec: PartySpec): Party => ({
    id,
    index: spec.index,
    players: [],
    sentAt: new Map(),
    deadlines: new Map(),
    questioned: new Set(),
    revealed: new Set(),
    firstQuestionAt: null,
    finishedAt: null,
  });

  if (args.target === 'raw') {
    // The raw baseline has no HTTP API: a group id and the user id as token are enough.
    for (const spec of args.parties) {
      const party = mkParty(randomUUID(), spec);
      for (let i = 0; i < spec.size; i++) {
        const uid = userIdOf(args.tag, spec.index, i);
        party.players.push(mkPlayer(spec, i, uid));
      }
      parties.push(party);
    }
    return { parties: parties.length, players: parties.length ? parties.reduce((n, p) => n + p.players.length, 0) : 0, failed: 0, ms: performance.now() - t0 };
  }

  const http = new HttpClient(args.baseUrl, args.httpConcurrency);
  try {
    // 1. Each party's host creates it.
    const created = new Map<PartySpec, Party>();
    await pool(args.parties, args.httpConcurrency, async (spec) => {
      const host = userIdOf(args.tag, spec.index, 0);
      try {
        const res = await http.request({
          method: 'POST',
          path: '/api/party/init',
          body: { player_id: host, ...args.settings, max_players: args.settings.max_players ?? Math.max(2, spec.size) },
        });
        if (res.status !== 201) throw new Error(`init ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        const party = mkParty(res.body.party_id as string, spec);
        party.players.push(mkPlayer(spec, 0, res.body.token as string));
        created.set(spec, party);
      } catch (err) {
        m.errors.setup_failed += spec.size;
        sample(`party init failed: ${(err as Error).message}`);
      }
    });
    // 2. The others join.
    const joins: { party: Party; spec: PartySpec; i: number }[] = [];
    for (const spec of args.parties) {
      const party = created.get(spec);
      if (!party) continue;
      for (let i = 1; i < spec.size; i++) joins.push({ party, spec, i });
    }
    const tokens = new Map<string, string>();
    await pool(joins, args.httpConcurrency, async ({ party, spec, i }) => {
      const uid = userIdOf(args.tag, spec.index, i);
      try {
        const res = await http.request({ method: 'POST', path: `/api/party/${party.id}/join`, body: { user_id: uid } });
        if (res.status !== 200) throw new Error(`join ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        tokens.set(uid, res.body.token as string);
      } catch (err) {
        m.errors.setup_failed += 1;
        sample(`join failed: ${(err as Error).message}`);
      }
    });
    for (const spec of args.parties) {
      const party = created.get(spec);
      if (!party) continue;
      for (let i = 1; i < spec.size; i++) {
        const token = tokens.get(userIdOf(args.tag, spec.index, i));
        if (token) party.players.push(mkPlayer(spec, i, token));
      }
      parties.push(party);
    }
  } finally {
    http.close();
  }
  const players = parties.reduce((n, p) => n + p.players.length, 0);
  return { parties: parties.length, players, failed: m.errors.setup_failed, ms: performance.now() - t0 };
}

// ---- playing ----------------------------------------------------------------------------

function rateDelay(p: Player, now: number): number {
  const perSecond = Math.max(1, Math.floor((setup?.maxMessagesPerSecond ?? 20) * 0.75));
  if (p.sends.length > perSecond) p.sends.splice(0, p.sends.length - perSecond);
  if (p.sends.length < perSecond) return 0;
  const oldest = p.sends[0]!;
  return Math.max(0, oldest + 1000 + 2 - now);
}

function maybeAnswer(p: Player, party: Party, msg: StateMessage): void {
  const behavior = setup?.behavior ?? 'none';
  if (behavior === 'none' || p.never) return;
  const round = msg.current_round;
  if (p.scheduled.has(round)) return;
  p.scheduled.add(round);
  const me = msg.players.find((x) => x.user_id === p.userId);
  if (me?.answered) return;
  const choices = msg.choices;
  const fire = () => {
    if (p.closingByUs) return;
    const choice = choices[Math.floor(Math.random() * choices.length)]!;
    const t = performance.now();
    if (p.client?.answer(round, choice)) {
      party.sentAt.set(`${p.userId}\u0000${round}`, t);
      p.sends.push(Date.now());
    } else {
      m.errors.answer_not_sent += 1;
      sample(`answer not sent (socket ${p.client?.status}) ${p.userId} round ${round}`);
    }
  };
  const delay =
    behavior === 'immediate'
      ? rateDelay(p, Date.now())
      : (msg.time_left_ms ?? (setup?.settings.timeout ?? 3) * 1000) * (0.05 + Math.random() * 0.85);
  if (delay <= 0) fire();
  else {
    const timer = setTimeout(() => {
      pending.delete(timer);
      fire();
    }, delay);
    pending.add(timer);
  }
}

function onState(p: Player, party: Party, msg: StateMessage): void {
  const round = msg.current_round;
  if (msg.status === 'question') {
    if (!party.questioned.has(round)) {
      party.questioned.add(round);
      if (msg.deadline !== null) party.deadlines.set(round, msg.deadline);
      if (party.firstQuestionAt === null) party.firstQuestionAt = Date.now();
    }
    maybeAnswer(p, party, msg);
  } else if (msg.status === 'reveal') {
    if (!party.revealed.has(round)) {
      party.revealed.add(round);
      const deadline = party.deadlines.get(round);
      // Only rounds closed by their deadline (someone connected did not answer); early closes come before it.
      if (deadline !== undefined && msg.players.some((x) => x.connected && !x.answered)) {
        m.lateness.push(Math.max(0, Date.now() - deadline));
        m.latenessAt.push(deadline);
      }
    }
  } else if (msg.status === 'finished') {
    p.finished = true;
    if (party.finishedAt === null) party.finishedAt = Date.now();
  }
}

function onMessage(p: Player, party: Party, msg: ServerMessage): void {
  const now = Date.now();
  m.msgs += 1;
  m.byType[msg.type] = (m.byType[msg.type] ?? 0) + 1;
  const slot = Math.floor(now / 100);
  m.buckets.set(slot, (m.buckets.get(slot) ?? 0) + 1);
  switch (msg.type) {
    case 'state':
      onState(p, party, msg);
      break;
    case 'score':
      if (msg.user_id !== p.userId) {
        const sent = party.sentAt.get(`${msg.user_id}\u0000${msg.round}`);
        if (sent !== undefined) {
          m.latencies.push(performance.now() - sent);
          m.latencyAt.push(now);
        }
      }
      break;
    case 'error':
      m.errors.protocol[msg.code] = (m.errors.protocol[msg.code] ?? 0) + 1;
      sample(`protocol error to ${p.userId}: ${msg.code} ${msg.detail}`);
      break;
  }
}

function onStatus(p: Player, status: string, code?: number): void {
  if (status === 'open') {
    p.open = true;
    p.wasOpen = true;
    openCount += 1;
    if (openCount > m.peakOpen) m.peakOpen = openCount;
  } else if (status === 'closed' || status === 'reconnecting') {
    if (p.open) {
      p.open = false;
      openCount -= 1;
    }
    if (p.wasOpen && !p.closingByUs && !(code === 1000 && p.finished) && !p.unexpected) {
      p.unexpected = true;
      m.errors.unexpected_close += 1;
      sample(`unexpected close ${code} of ${p.userId}`);
    }
  }
}

async function connectPlayer(p: Player, party: Party): Promise<void> {
  if (!setup) throw new Error('setup first');
  const client = new QuizClient({ baseUrl: setup.baseUrl, partyId: party.id, token: p.token, reconnect: false, socketFactory });
  p.client = client;
  client.on((msg) => onMessage(p, party, msg));
  client.onStatus((s, code) => onStatus(p, s, code));
  try {
    await withTimeout(client.connect(), 30_000, 'connect');
  } catch (err) {
    m.errors.connect_failed += 1;
    sample(`connect failed for ${p.userId}: ${(err as Error).message}`);
    p.closingByUs = true;
    client.close();
  }
}

async function doConnect(args: { socketsInFlight: number }): Promise<{ connected: number; failed: number; ms: number }> {
  const t0 = performance.now();
  const before = m.errors.connect_failed;
  const size = Math.max(1, ...parties.map((p) => p.players.length));
  // A party's players connect together; several parties at a time.
  await pool(parties, Math.max(1, Math.floor(args.socketsInFlight / size)), async (party) => {
    await Promise.all(party.players.map((p) => connectPlayer(p, party)));
  });
  return { connected: openCount, failed: m.errors.connect_failed - before, ms: performance.now() - t0 };
}

function doStart(): { sent: number } {
  let sent = 0;
  for (const party of parties) if (party.players[0]?.index === 0 && party.players[0].client?.start()) sent += 1;
  return { sent };
}

function doStatus() {
  let firstQuestion = 0;
  let finished = 0;
  for (const party of parties) {
    if (party.firstQuestionAt !== null) firstQuestion += 1;
    if (party.finishedAt !== null) finished += 1;
  }
  return { open: openCount, peakOpen: m.peakOpen, parties: parties.length, firstQuestion, finished, msgs: m.msgs };
}

async function closeAll(): Promise<void> {
  for (const timer of pending) clearTimeout(timer);
  pending.clear();
  for (const party of parties) {
    for (const p of party.players) {
      if (!p.client) continue;
      p.closingByUs = true;
      p.client.close();
    }
  }
  const until = Date.now() + 10_000;
  while (openCount > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}

function doCollect() {
  let held = 0;
  let players = 0;
  for (const party of parties) {
    for (const p of party.players) {
      players += 1;
      if (p.wasOpen && p.finished && !p.unexpected) held += 1;
    }
  }
  const result = {
    players,
    parties: parties.length,
    held,
    open: openCount,
    peakOpen: m.peakOpen,
    msgs: m.msgs,
    byType: m.byType,
    buckets: [...m.buckets.entries()],
    latencies: Float64Array.from(m.latencies),
    latencyAt: Float64Array.from(m.latencyAt),
    lateness: Float64Array.from(m.lateness),
    latenessAt: Float64Array.from(m.latenessAt),
    errors: m.errors,
    errorSamples: m.errorSamples,
    firstQuestionAt: parties.map((p) => p.firstQuestionAt),
    finishedAt: parties.map((p) => p.finishedAt),
    loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
  };
  return result;
}

function doResetLoopDelay(): void {
  loopDelay.disable();
  loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
}

// ---- HTTP phases ------------------------------------------------------------------------

async function doCreateParties(args: { baseUrl: string; count: number; settings: PartySettings; tag: string }): Promise<{ ids: string[]; failed: number }> {
  const http = new HttpClient(args.baseUrl, 8);
  const ids: string[] = [];
  let failed = 0;
  try {
    for (let i = 0; i < args.count; i++) {
      const res = await http.request({ method: 'POST', path: '/api/party/init', body: { player_id: `${args.tag}-host-${i}`, ...args.settings } });
      if (res.status === 201) ids.push(res.body.party_id as string);
      else {
        failed += 1;
        sample(`join-phase party init ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
      }
    }
  } finally {
    http.close();
  }
  return { ids, failed };
}

async function doHttpLoad(args: {
  baseUrl: string;
  kind: 'join' | 'hello';
  partyIds: string[];
  count: number;
  concurrency: number;
  maxMs: number;
  tag: string;
}): Promise<Omit<HttpLoadResult, 'latencies'> & { latencies: Float64Array }> {
  const n = Math.max(1, args.partyIds.length);
  const res = await httpLoad({
    baseUrl: args.baseUrl,
    concurrency: args.concurrency,
    count: args.count,
    maxMs: args.maxMs,
    build: (i) => {
      const partyId = args.partyIds[i % n] ?? '00000000-0000-4000-8000-000000000000';
      const body = { user_id: `${args.tag}-${i}` };
      return args.kind === 'join'
        ? { method: 'POST', path: `/api/party/${partyId}/join`, body }
        : { method: 'POST', path: `/hello/${partyId}`, body };
    },
    accept: (status) => status === 200,
  });
  return { ...res, latencies: Float64Array.from(res.latencies) };
}

serve({
  setup: doSetup,
  connect: doConnect,
  start: doStart,
  status: doStatus,
  collect: doCollect,
  closeAll: async () => {
    await closeAll();
    return { open: openCount };
  },
  resetLoopDelay: doResetLoopDelay,
  cpu: () => {
    const u = process.cpuUsage();
    return { cpuMicros: u.user + u.system, at: Date.now() };
  },
  createParties: doCreateParties,
  httpLoad: doHttpLoad,
});
