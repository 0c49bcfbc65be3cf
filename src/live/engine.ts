/**
 * The live party engine: applies game/ rules through the ports. It keeps, per party with
 * local sockets, a room (the sockets, a bus subscription, a cached phase and a local timer).
 * Every process serving a party times its deadlines and races to the store's atomic
 * transition; a sweep of the shared deadline index is the backstop.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../adapters/index.js';
import type { PartySnapshot } from '../ports.js';
import { judgeAnswer, nextTransition, phaseRank, startGame } from '../game/rules.js';
import type { ClientMessage, ErrorCode, ServerMessage } from '../game/protocol.js';
import type { PartyMeta, Phase } from '../game/types.js';
import { openPayload, presencePayload, scorePayload, stateFrame, statePayload } from './envelope.js';
import { JANITOR_MS, PRESENCE_LEASE_MS, Progression, type ProgressionDeps } from './progression.js';
import { digestMatches, tokenUser } from './tokens.js';

/** One client connection, as the engine sees it (the gateway owns the socket). */
export interface Conn {
  readonly id: string;
  readonly partyId: string;
  userId: string | null;
  /** Writes an already-serialised text frame (a Buffer holds its UTF-8 bytes). */
  send(frame: string | Buffer): void;
  close(code: number, reason: string): void;
}

interface Room {
  conns: Set<Conn>;
  /** Connections whose first `state` has not been sent yet: fan-out frames wait here. */
  pending: Map<Conn, { frame: Buffer; rank: number | null }[]>;
  subscribed: Promise<() => Promise<void>>;
  meta: PartyMeta | null;
  phase: Phase | null;
  timer: NodeJS.Timeout | null;
  timerAt: number | null;
  /** Connected players (any process) as last reported on the bus: gates the early-close check. */
  connectedPlayers: number;
}

/** Bus payload: a small JSON header for engines, a newline, then the client frame (maybe empty). */

/** What the engine needs: what progression needs, plus a logger; the clock is optional. */
export interface EngineDeps extends Omit<ProgressionDeps, 'clock'> {
  log: Logger;
  clock?: () => number;
}

const PRESENCE_TTL_MS = PRESENCE_LEASE_MS;
const PRESENCE_REFRESH_MS = 10_000;
const SWEEP_MS = 200;
/** How late a local timer may be before the sweep ticks its party anyway. */
const LOCAL_TIMER_GRACE_MS = 1_000;
const JOIN_COALESCE_MS = 50;

export class LiveEngine {
  private readonly rooms = new Map<string, Room>();
  /** Pending `player_joined` broadcasts, one per party. */
  private readonly joinFlushes = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly clock: () => number;
  private sweeper: NodeJS.Timeout | null = null;
  private refresher: NodeJS.Timeout | null = null;
  private janitor: NodeJS.Timeout | null = null;
  private stopped = false;
  readonly processId = randomBytes(6).toString('hex');
  private connSeq = 0;

  private readonly progression: Progression;

  constructor(private readonly deps: EngineDeps) {
    this.clock = deps.clock ?? Date.now;
    this.progression = new Progression({ ...deps, clock: this.clock });
  }

  start(): void {
    this.sweeper = setInterval(() => this.track(this.progression.sweep((partyId, at) => this.timedHere(partyId, at))), SWEEP_MS);
    this.refresher = setInterval(() => this.track(this.refreshPresence()), PRESENCE_REFRESH_MS);
    this.janitor = setInterval(() => this.track(this.progression.expireForgottenLobbies()), JANITOR_MS);
  }

  /** True while a local timer of this process is set for that deadline and not overdue. */
  private timedHere(partyId: string, at: number): boolean {
    const room = this.rooms.get(partyId);
    return !!room?.timer && room.timerAt !== null && room.timerAt <= at && this.clock() - at < LOCAL_TIMER_GRACE_MS;
  }

  newConnId(): string {
    return `${this.processId}:${(this.connSeq += 1)}`;
  }

  /** Runs background work so that errors are logged and shutdown can wait for it. */
  private track<T>(p: Promise<T>): void {
    const guarded = p.catch((err: unknown) => this.deps.log.error({ err }, 'live engine task failed'));
    this.inFlight.add(guarded);
    void guarded.finally(() => this.inFlight.delete(guarded));
  }

  // ---- connections -------------------------------------------------------------------

  /** The player a token belongs to in this live party, or null. */
  async authenticate(partyId: string, token: string): Promise<string | null> {
    const userId = tokenUser(token);
    if (!userId) return null;
    return digestMatches(token, await this.deps.store.tokenHash(partyId, userId)) ? userId : null;
  }

  /** Adds a connection: subscribes, registers presence, sends `state`, and starts an auto party. */
  async attach(conn: Conn): Promise<boolean> {
    const { store } = this.deps;
    const room = this.room(conn.partyId);
    room.pending.set(conn, []);
    room.conns.add(conn);
    await room.subscribed;
    const now = this.clock();
    await store.markConnected(conn.partyId, conn.id, conn.userId, now + PRESENCE_TTL_MS);
    const snap = await store.load(conn.partyId, now);
    if (!snap || snap.phase.status === 'finished') {
      room.pending.delete(conn);
      room.conns.delete(conn);
      this.releaseIfEmpty(conn.partyId, room);
      return false;
    }
    this.absorb(room, snap);
    conn.send(stateFrame('connected', snap, now));
    // Frames that arrived while this connection was set up, minus states older than its first.
    const first = phaseRank(snap.phase);
    for (const q of room.pending.get(conn) ?? []) if (q.rank === null || q.rank >= first) conn.send(q.frame);
    room.pending.delete(conn);
    if (room.phase?.status === 'finished') {
      conn.close(1000, 'game over');
      return true;
    }
    if (snap.phase.status === 'lobby' && snap.meta.settings.startMode === 'auto') {
      const to = startGame(snap.phase, snap.meta.settings, now);
      if (!('ok' in to)) await this.progression.applyTransition(conn.partyId, snap.phase, to, 'question', snap);
    } else if (conn.userId) await this.announcePresence(conn.partyId, snap);
    return true;
  }

  /** A spectator that authenticated later becomes that player. */
  async upgrade(conn: Conn, userId: string): Promise<void> {
    const now = this.clock();
    await this.deps.store.markDisconnected(conn.partyId, conn.id, null);
    conn.userId = userId;
    await this.deps.store.markConnected(conn.partyId, conn.id, userId, now + PRESENCE_TTL_MS);
    const snap = await this.deps.store.load(conn.partyId, now);
    if (!snap) return;
    conn.send(stateFrame('connected', snap, now));
    await this.announcePresence(conn.partyId, snap);
  }

  async detach(conn: Conn): Promise<void> {
    const room = this.rooms.get(conn.partyId);
    if (room) {
      room.conns.delete(conn);
      room.pending.delete(conn);
      this.releaseIfEmpty(conn.partyId, room);
    }
    if (this.stopped) return;
    await this.deps.store.markDisconnected(conn.partyId, conn.id, conn.userId);
    if (conn.userId) {
      const snap = await this.deps.store.load(conn.partyId, this.clock());
      if (snap && snap.phase.status !== 'finished') await this.announcePresence(conn.partyId, snap);
    }
    // The departure may leave everyone connected answered, or nobody connected at all.
    await this.progression.tick(conn.partyId);
  }

  private room(partyId: string): Room {
    let room = this.rooms.get(partyId);
    if (room) return room;
    const created: Room = {
      conns: new Set(),
      pending: new Map(),
      subscribed: this.deps.bus.subscribe(partyId, (payload) => this.onBusMessage(created, payload)),
      meta: null,
      phase: null,
      timer: null,
      timerAt: null,
      connectedPlayers: 0,
    };
    this.rooms.set(partyId, created);
    return created;
  }

  private releaseIfEmpty(partyId: string, room: Room): void {
    if (room.conns.size > 0 || this.rooms.get(partyId) !== room) return;
    this.rooms.delete(partyId);
    if (room.timer) clearTimeout(room.timer);
    this.track(room.subscribed.then((unsubscribe) => unsubscribe()));
  }

  private absorb(room: Room, snap: PartySnapshot): void {
    room.meta = snap.meta;
    if (!room.phase || phaseRank(snap.phase) >= phaseRank(room.phase)) room.phase = snap.phase;
    room.connectedPlayers = snap.connected.size;
    this.armTimer(snap.meta.partyId, room);
  }

  // ---- fan-out -----------------------------------------------------------------------

  private onBusMessage(room: Room, payload: Buffer): void {
    const { header, frame } = openPayload(payload);
    if (header?.cp !== undefined) room.connectedPlayers = header.cp;
    const rank = header?.phase ? phaseRank(header.phase) : null;
    if (header?.phase && rank !== null) {
      // A state built before a newer transition went out (a player_joined, say) arrives
      // late: it must not roll clients or this room's timer back.
      if (room.phase && rank < phaseRank(room.phase)) {
        if (header.k === 'state') return;
      } else {
        room.phase = header.phase;
        if (room.meta) this.armTimer(room.meta.partyId, room);
      }
    }
    if (!frame.length) return;
    // The same bytes go to every local socket.
    for (const conn of room.conns) {
      const queue = room.pending.get(conn);
      if (queue) queue.push({ frame, rank });
      else conn.send(frame);
    }
    if (room.phase?.status === 'finished') {
      for (const conn of room.conns) if (!room.pending.has(conn)) conn.close(1000, 'game over');
    }
  }

  private async announcePresence(partyId: string, snap: PartySnapshot): Promise<void> {
    await this.deps.bus.publish(partyId, presencePayload(snap));
  }

  /** Called by HTTP join: coalesces a burst of joins into one `player_joined` state per party. */
  playerJoined(partyId: string): void {
    // Coalesced whether or not this process has sockets of the party: other processes may.
    if (this.joinFlushes.has(partyId) || this.stopped) return;
    this.joinFlushes.set(
      partyId,
      setTimeout(() => {
        this.joinFlushes.delete(partyId);
        this.track(this.broadcastJoined(partyId));
      }, JOIN_COALESCE_MS),
    );
  }

  private async broadcastJoined(partyId: string): Promise<void> {
    const snap = await this.deps.store.load(partyId, this.clock());
    if (snap && snap.phase.status !== 'finished') await this.deps.bus.publish(partyId, statePayload('player_joined', snap, this.clock()));
  }

  // ---- client messages ---------------------------------------------------------------

  private sendError(conn: Conn, code: ErrorCode, detail: string): void {
    this.deps.metrics.wsErrors.labels(code).inc();
    const msg: ServerMessage = { type: 'error', code, detail };
    conn.send(JSON.stringify(msg));
  }

  async handle(conn: Conn, msg: Exclude<ClientMessage, { type: 'auth' }>): Promise<void> {
    switch (msg.type) {
      case 'ping':
        conn.send('{"type":"pong"}');
        return;
      case 'start':
        return this.handleStart(conn);
      case 'answer':
        return this.handleAnswer(conn, msg.round, msg.choice);
    }
  }

  private async handleStart(conn: Conn): Promise<void> {
    if (!conn.userId) return this.sendError(conn, 'not_a_player', 'spectators cannot start the game');
    const snap = await this.deps.store.load(conn.partyId, this.clock());
    if (!snap) return this.sendError(conn, 'bad_message', 'the game is over');
    if (conn.userId !== snap.meta.host) return this.sendError(conn, 'not_host', 'only the host can start the game');
    if (snap.meta.settings.startMode !== 'host') return this.sendError(conn, 'bad_message', 'this party starts automatically');
    const to = startGame(snap.phase, snap.meta.settings, this.clock());
    if ('ok' in to) return this.sendError(conn, 'bad_message', to.detail);
    const won = await this.progression.applyTransition(conn.partyId, snap.phase, to, 'question', snap);
    if (!won) this.sendError(conn, 'bad_message', 'the game has already started');
  }

  private async handleAnswer(conn: Conn, round: number, choice: string): Promise<void> {
    const { store, metrics } = this.deps;
    if (!conn.userId) return this.sendError(conn, 'not_a_player', 'spectators cannot answer; connect with a player token');
    const room = this.rooms.get(conn.partyId);
    const now = this.clock();
    let meta = room?.meta;
    let phase = room?.phase;
    let judged = meta && phase ? judgeAnswer(meta, phase, round, choice, now) : null;
    if (!judged || (!judged.ok && judged.code !== 'invalid_choice')) {
      // The cached phase may be a moment behind the store: read it before refusing.
      const snapPhase = await store.phase(conn.partyId);
      if (!snapPhase) return this.sendError(conn, 'round_closed', 'the game is over');
      meta ??= (await store.load(conn.partyId, now))?.meta;
      if (!meta) return this.sendError(conn, 'round_closed', 'the game is over');
      phase = snapPhase;
      judged = judgeAnswer(meta, phase, round, choice, now);
    }
    if (!judged.ok) return this.sendError(conn, judged.code, judged.detail);
    const outcome = await store.recordAnswerOnce(
      conn.partyId,
      { round, userId: conn.userId, questionId: judged.questionId, choice, correct: judged.correct, points: judged.points, ms: judged.ms },
      now,
    );
    if (!outcome.ok) {
      const detail = outcome.code === 'already_answered' ? `you already answered round ${round}` : outcome.code === 'not_a_player' ? 'not a player of this party' : `round ${round} is closed`;
      return this.sendError(conn, outcome.code, detail);
    }
    metrics.answers.labels(String(judged.correct)).inc();
    const result: ServerMessage = { type: 'answer_result', round, correct: judged.correct, points: judged.points, score: outcome.score };
    conn.send(JSON.stringify(result));
    const score: ServerMessage = { type: 'score', user_id: conn.userId, score: outcome.score, round };
    await this.deps.bus.publish(conn.partyId, scorePayload(score));
    if (!room || outcome.answeredCount >= room.connectedPlayers) await this.progression.tick(conn.partyId);
  }

  private armTimer(partyId: string, room: Room): void {
    const next = room.phase ? nextTransition(room.phase) : null;
    const at = next?.at ?? null;
    if (at === room.timerAt) return;
    if (room.timer) clearTimeout(room.timer);
    room.timer = null;
    room.timerAt = at;
    if (at === null || this.stopped) return;
    const fire = () => {
      // Timers may fire a millisecond early; a tick then would find nothing due.
      const early = at - this.clock();
      if (early > 0) {
        room.timer = setTimeout(fire, early);
        return;
      }
      room.timer = null;
      room.timerAt = null;
      this.track(this.progression.tick(partyId));
    };
    room.timer = setTimeout(fire, Math.max(0, at - this.clock()));
  }

  private async refreshPresence(): Promise<void> {
    const expiresAt = this.clock() + PRESENCE_TTL_MS;
    const writes: Promise<void>[] = [];
    for (const [partyId, room] of this.rooms) {
      for (const conn of room.conns) writes.push(this.deps.store.markConnected(partyId, conn.id, conn.userId, expiresAt));
    }
    await Promise.all(writes);
  }

  /** Stops timers, closes every socket with 1001, and waits for in-flight work. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.progression.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.refresher) clearInterval(this.refresher);
    if (this.janitor) clearInterval(this.janitor);
    for (const t of this.joinFlushes.values()) clearTimeout(t);
    this.joinFlushes.clear();
    const departures: Promise<void>[] = [];
    for (const [partyId, room] of this.rooms) {
      if (room.timer) clearTimeout(room.timer);
      // Due at once, so another process's sweep looks at the party (vacancy, expiry) soon.
      departures.push(this.deps.deadlines.schedule(partyId, this.clock()).catch(() => undefined));
      for (const conn of room.conns) {
        departures.push(this.deps.store.markDisconnected(partyId, conn.id, conn.userId).catch(() => undefined));
        conn.close(1001, 'server shutting down');
      }
    }
    await Promise.all(departures);
    await Promise.all([...this.inFlight]);
    for (const room of this.rooms.values()) await room.subscribed.then((unsubscribe) => unsubscribe()).catch(() => undefined);
    this.rooms.clear();
  }
}
