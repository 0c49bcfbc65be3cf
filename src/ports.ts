/**
 * The seams between the live engine and the outside world. Each port has an in-process
 * implementation (embedded mode) and a Redis one (service mode), and one contract test
 * suite that both must pass.
 */
import type { PartyMeta, Phase, PlayerScore, RecordedAnswer } from './game/types.js';

export interface PartySnapshot {
  meta: PartyMeta;
  phase: Phase;
  players: PlayerScore[];
  /** Players with an accepted answer in the current round. */
  answered: Set<string>;
  /** Players with at least one live connection (any process). */
  connected: Set<string>;
  /** Live connections of any kind, spectators included. */
  connections: number;
  /** When a party left with no connection is concluded (set by `markVacant`), or null. */
  vacantUntil: number | null;
  /** The phase whose state was last published (`markShown`), cleared by every transition. */
  shown: string | null;
}

export interface PartySummary {
  partyId: string;
  status: Phase['status'];
  players: number;
}

export type JoinOutcome = 'ok' | 'party_not_found' | 'already_joined' | 'party_full';

export type AnswerOutcome =
  | { ok: true; score: number; answeredCount: number }
  | { ok: false; code: 'round_closed' | 'already_answered' | 'not_a_player' };

export interface PartyStore {
  /** Claims `code` for `partyId` among live parties; false when another live party holds it. */
  claimJoinCode(code: string, partyId: string, ttlMs: number): Promise<boolean>;
  /** Gives a join code back if `partyId` still holds it (a party whose creation failed). */
  releaseJoinCode(code: string, partyId: string): Promise<void>;
  /** The live party holding a join code, or null. */
  resolveJoinCode(code: string): Promise<string | null>;
  /**
   * Stores a new party in the lobby with its host as the first player. Every key of the
   * party expires after `ttlMs` unless a connection arrives (see `markConnected`).
   */
  create(meta: PartyMeta, hostTokenHash: string, ttlMs: number): Promise<void>;
  /** Everything needed to render the party state, read consistently, or null when gone. */
  load(partyId: string, now: number): Promise<PartySnapshot | null>;
  /** What never changes about a party (ids, settings, questions), or null when gone. Cheap: cached. */
  meta(partyId: string): Promise<PartyMeta | null>;
  /** Status and player count of several parties at once (missing ones are left out). */
  summaries(partyIds: string[]): Promise<PartySummary[]>;
  /** Adds a player with score 0 atomically with the capacity and duplicate checks. */
  join(partyId: string, userId: string, tokenHash: string): Promise<JoinOutcome>;
  /** Undoes a join whose durable write failed. */
  removePlayer(partyId: string, userId: string): Promise<void>;
  /** The stored hash of a player's token, or null when no such player. */
  tokenHash(partyId: string, userId: string): Promise<string | null>;
  /**
   * Moves the party from `from` to `to` only if its phase is still exactly `from`
   * (same status and round). Exactly one of several concurrent callers gets true.
   * Clears the `shown` mark.
   */
  transition(partyId: string, from: Pick<Phase, 'status' | 'round'>, to: Phase): Promise<boolean>;
  /**
   * Records a player's answer for `answer.round` once, only while that round is open
   * (status question, same round, `now` not past the deadline), and adds its points.
   */
  recordAnswerOnce(partyId: string, answer: RecordedAnswer, now: number): Promise<AnswerOutcome>;
  /** The phase alone: a cheap read for judging an answer. */
  phase(partyId: string): Promise<Phase | null>;
  /** Every accepted answer of the game, for the final write to PostgreSQL. */
  answers(partyId: string): Promise<RecordedAnswer[]>;
  /**
   * Marks one connection (`connId`, unique per process) of `userId` (or null for a spectator)
   * as present until `expiresAt`; the first one also lifts the lobby expiry. Clears `vacantUntil`.
   */
  markConnected(partyId: string, connId: string, userId: string | null, expiresAt: number): Promise<void>;
  /** Forgets a connection at once (clean disconnect). */
  markDisconnected(partyId: string, connId: string, userId: string | null): Promise<void>;
  /** Records that the state of phase `tag` is being published (see LiveEngine: a reveal is never skipped). */
  markShown(partyId: string, tag: string): Promise<void>;
  /**
   * Records when a party that has no connection will be concluded, unless already recorded;
   * returns the recorded time. The first process to notice sets it, so every process agrees.
   */
  markVacant(partyId: string, until: number): Promise<number>;
  /** Deletes every key of the party and its join code. */
  delete(partyId: string): Promise<void>;
}

export interface Bus {
  /** Delivers `payload` (already serialised) to every subscriber of the party, on every process. */
  publish(partyId: string, payload: string): Promise<void>;
  /**
   * Starts receiving a party's messages (as the UTF-8 bytes that were published, so they
   * can be written to sockets without decoding); resolves once the subscription is active.
   */
  subscribe(partyId: string, onMessage: (payload: Buffer) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface Deadlines {
  /** Records when the party next needs an automatic transition (replaces any earlier one). */
  schedule(partyId: string, at: number): Promise<void>;
  /** Forgets the party's deadline. */
  cancel(partyId: string, at?: number): Promise<void>;
  /** Parties whose deadline is at or before `now`, oldest first. */
  due(now: number, limit: number): Promise<{ partyId: string; at: number }[]>;
  close(): Promise<void>;
}
