/**
 * How a party moves on by itself: due transitions, early close, abandonment and lobby
 * expiry, and the end-of-game write. Any process may run any of it at any time, as often
 * as it likes: the store's compare-and-set lets exactly one caller win each transition,
 * and only the winner publishes, schedules and concludes.
 */
import type { Config } from '../config.js';
import type { Database } from '../adapters/postgres/db.js';
import { recordGame } from '../adapters/postgres/results-repo.js';
import { markEnded, staleLiveParties } from '../adapters/postgres/parties-repo.js';
import type { Metrics } from '../metrics.js';
import type { Bus, Deadlines, PartySnapshot, PartyStore } from '../ports.js';
import { closeRound, dueTransition, endGame, everyoneAnswered, nextTransition } from '../game/rules.js';
import type { StateEvent } from '../game/protocol.js';
import type { EndedHow, Phase } from '../game/types.js';
import { statePayload } from './envelope.js';

export interface ProgressionDeps {
  config: Config;
  store: PartyStore;
  bus: Bus;
  deadlines: Deadlines;
  db: Database;
  metrics: Metrics;
  clock: () => number;
}

const RETRY_CONCLUDE_MS = 2_000;
const SHOW_GRACE_MS = 2_000;
export const JANITOR_MS = 60_000;
const JANITOR_PAGE = 200;
/** How long a connection counts as present without a refresh (see LiveEngine). */
export const PRESENCE_LEASE_MS = 30_000;

const shownTag = (phase: Phase) => `${phase.status}:${phase.round}`;

export class Progression {
  private readonly ticking = new Map<string, { again: boolean; done: Promise<void> }>();
  private readonly clock: () => number;
  stopped = false;
  private janitorCursor: { createdAt: Date; partyId: string } | null = null;

  constructor(private readonly deps: ProgressionDeps) {
    this.clock = deps.clock;
  }

  /** Moves the party from `from` to `to` if nobody else did; on success publishes and schedules. */
  async applyTransition(partyId: string, from: Phase, to: Phase, event: StateEvent, before?: PartySnapshot): Promise<boolean> {
    const { store, deadlines } = this.deps;
    // A lobby has no deadline entry: leave one before starting, so that if this process dies
    // right after the start, a sweep still finds the party and times its first round.
    if (from.status === 'lobby') await deadlines.schedule(partyId, this.clock() + SHOW_GRACE_MS);
    if (!(await store.transition(partyId, from, to))) return false;
    if (to.status === 'finished') {
      await this.conclude(partyId);
      return true;
    }
    // Out of a lobby or a reveal no answer can have changed the scores since `before` was
    // read, so it is reused; closing a question reads the party again for the last answers.
    const snap =
      before && from.status !== 'question'
        ? { ...before, answered: to.status === 'question' ? new Set<string>() : before.answered }
        : await store.load(partyId, this.clock());
    if (!snap) return true;
    // Three writes issued in this order without waiting in between: on one Redis connection
    // (or in one process) they take effect in this order, in a single round trip.
    // - The reveal is marked shown before it is published, so whoever sees it sees the mark
    //   (nobody advances past an unshown reveal, see tickOnce).
    // - The next deadline comes after the publish, so no sweep moves the party on before
    //   this state is out.
    const next = nextTransition(to);
    await Promise.all([
      to.status === 'reveal' ? store.markShown(partyId, shownTag(to)) : undefined,
      this.deps.bus.publish(partyId, statePayload(event, { ...snap, phase: to }, this.clock())),
      next ? deadlines.schedule(partyId, next.at) : undefined,
    ]);
    return true;
  }

  /**
   * Brings one party up to date: runs a due transition, closes a round everyone connected
   * has answered, concludes an abandoned or expired party, and records when it next needs a
   * look. Safe to run anywhere, any number of times: the store's compare-and-set decides.
   */
  async tick(partyId: string): Promise<void> {
    // One tick per party at a time here; a request arriving meanwhile runs once more after
    // it, since the running one may have read the party before what prompted the request.
    const running = this.ticking.get(partyId);
    if (running) {
      running.again = true;
      return running.done;
    }
    const entry = { again: false, done: Promise.resolve() };
    entry.done = (async () => {
      try {
        do {
          entry.again = false;
          await this.tickOnce(partyId);
        } while (entry.again && !this.stopped);
      } finally {
        this.ticking.delete(partyId);
      }
    })();
    this.ticking.set(partyId, entry);
    return entry.done;
  }

  private async tickOnce(partyId: string): Promise<void> {
    const { store, deadlines, config, metrics } = this.deps;
    const now = this.clock();
    const snap = await store.load(partyId, now);
    if (!snap) {
      await deadlines.cancel(partyId);
      return;
    }
    const { phase, meta } = snap;
    if (phase.status === 'finished') return this.conclude(partyId);

    let vacancyAt: number | null = null;
    if (snap.connections === 0) {
      const limit = (phase.status === 'lobby' ? config.lobbyTtlSeconds : config.abandonSeconds) * 1000;
      vacancyAt = snap.vacantUntil ?? (await store.markVacant(partyId, now + limit));
      if (now >= vacancyAt) {
        const how: EndedHow = phase.status === 'lobby' ? 'expired' : 'abandoned';
        if (await store.transition(partyId, phase, endGame(phase, how))) {
          metrics.gamesFinished.labels(how).inc();
          await this.conclude(partyId);
        }
        return;
      }
    }

    let due = nextTransition(phase);
    // A reveal whose state is not out yet waits for it (bounded, in case its publisher died).
    if (due && phase.status === 'reveal' && snap.shown !== shownTag(phase) && now < due.at + SHOW_GRACE_MS) {
      due = { ...due, at: Math.max(due.at, Math.min(now + 50, due.at + SHOW_GRACE_MS)) };
    }
    let to = due && due.at <= now ? dueTransition(phase, meta.settings, now) : null;
    let reason = 'deadline';
    if (!to && phase.status === 'question' && everyoneAnswered(snap.connected, snap.answered)) {
      to = closeRound(phase, meta.settings, now);
      reason = 'all_answered';
    }
    if (to) {
      const event: StateEvent = to.status === 'reveal' ? 'reveal' : to.status === 'question' ? 'question' : 'finished';
      if (await this.applyTransition(partyId, phase, to, event, snap)) {
        if (to.status === 'reveal') metrics.roundsClosed.labels(reason).inc();
        if (to.status === 'finished') metrics.gamesFinished.labels('finished').inc();
        if (due && reason === 'deadline') metrics.timerLateness.observe(Math.max(0, now - due.at) / 1000);
        // Nobody connected: the abandonment check may come before the next transition.
        const next = nextTransition(to);
        if (vacancyAt !== null && to.status !== 'finished' && (!next || vacancyAt < next.at)) await deadlines.schedule(partyId, vacancyAt);
      }
      return;
    }
    // A connected lobby has no deadline; look again after a presence lease, so a lobby whose
    // sockets vanished with their process still expires.
    const recheck = phase.status === 'lobby' ? now + PRESENCE_LEASE_MS : Infinity;
    const at = Math.min(due?.at ?? Infinity, vacancyAt ?? Infinity, recheck);
    if (Number.isFinite(at)) await deadlines.schedule(partyId, at);
    else await deadlines.cancel(partyId);
  }

  /**
   * Ends a finished party: results to PostgreSQL, then the final state to everyone (so a
   * client reading /api/games on `finished` finds the game), then the live keys deleted.
   */
  private async conclude(partyId: string): Promise<void> {
    const { store, deadlines, db } = this.deps;
    // If this process dies half-way, the sweep of another one picks the party up again.
    await deadlines.schedule(partyId, this.clock() + RETRY_CONCLUDE_MS);
    const snap = await store.load(partyId, this.clock());
    if (!snap) {
      await deadlines.cancel(partyId);
      return;
    }
    const answers = await store.answers(partyId);
    await recordGame(db, {
      partyId,
      category: snap.meta.settings.category,
      how: snap.phase.endedHow ?? 'finished',
      roundsPlayed: snap.phase.openedAt === null ? 0 : snap.phase.round,
      players: snap.players,
      answers,
    });
    await this.deps.bus.publish(partyId, statePayload('finished', snap, this.clock()));
    await store.delete(partyId);
    await deadlines.cancel(partyId);
  }


  /** The backstop: parties whose deadline passed, wherever their sockets are (or are not). */
  /**
   * The backstop: ticks parties whose deadline passed. `timedHere` tells which ones a local
   * timer of this process is about to handle, so they are not ticked twice at once.
   */
  async sweep(timedHere: (partyId: string, at: number) => boolean = () => false): Promise<void> {
    if (this.stopped) return;
    const due = await this.deps.deadlines.due(this.clock(), 100);
    await Promise.all(due.filter((d) => !timedHere(d.partyId, d.at)).map(({ partyId }) => this.tick(partyId)));
  }


  /**
   * A lobby nobody ever connected to simply expires from the store; its PostgreSQL row is
   * marked `expired` here (any process may do it; the update is idempotent).
   */
  async expireForgottenLobbies(): Promise<void> {
    const cutoff = new Date(this.clock() - this.deps.config.lobbyTtlSeconds * 1000 - JANITOR_MS);
    // Page by page from where the last run stopped, so long-running parties at the front of
    // the list cannot hide the forgotten ones behind them.
    const page = await staleLiveParties(this.deps.db, cutoff, JANITOR_PAGE, this.janitorCursor);
    this.janitorCursor = page.length === JANITOR_PAGE ? page[page.length - 1]! : null;
    if (!page.length) return;
    const present = new Set((await this.deps.store.summaries(page.map((p) => p.partyId))).map((s) => s.partyId));
    for (const { partyId } of page) if (!present.has(partyId)) await markEnded(this.deps.db, partyId, 'expired');
  }
}
