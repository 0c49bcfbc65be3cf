/**
 * Creating, joining and reading parties: the HTTP half of the game. Writes PostgreSQL
 * (the durable record) and the PartyStore (the live state) and keeps them consistent.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Config } from '../config.js';
import { partyView, LOBBY } from '../game/rules.js';
import { shuffle } from '../game/questions.js';
import type { PartyMeta, PartySettings, PartyStateView } from '../game/types.js';
import type { Database } from '../adapters/postgres/db.js';
import { drawQuestions } from '../adapters/postgres/questions-repo.js';
import * as parties from '../adapters/postgres/parties-repo.js';
import type { PartyStore } from '../ports.js';
import { HttpError, notFound } from '../http/errors.js';
import { issueToken } from './tokens.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string): boolean => UUID.test(s);
/** The canonical (lower-case) form of a UUID, which every store key uses; null when not a UUID. */
export const canonicalUuid = (s: string): string | null => (UUID.test(s) ? s.toLowerCase() : null);
export const isJoinCode = (s: string): boolean => /^[0-9]{6}$/.test(s);

export interface PartyServiceDeps {
  config: Config;
  db: Database;
  store: PartyStore;
  clock?: () => number;
  /** Called after a player's join is durable (the live engine broadcasts it). */
  onPlayerJoined?: (partyId: string, userId: string) => void;
}

export interface PartyListing {
  party_id: string;
  join_code: string;
  host: string;
  category: string;
  rounds: number;
  timeout: number;
  status: string;
  players: number;
  max_players: number;
}

export class PartyService {
  private readonly clock: () => number;

  private readonly players: parties.PlayerWriter;

  constructor(private readonly deps: PartyServiceDeps) {
    this.clock = deps.clock ?? Date.now;
    this.players = new parties.PlayerWriter(deps.db);
  }

  async create(hostId: string, settings: PartySettings): Promise<{ party_id: string; game_id: string; join_code: string; token: string }> {
    const { db, store, config } = this.deps;
    const drawn = await drawQuestions(db, settings.category, settings.rounds);
    if (!drawn) {
      throw new HttpError(
        422,
        'not_enough_questions',
        `category ${JSON.stringify(settings.category)} has fewer than ${settings.rounds} questions`,
      );
    }
    const partyId = randomUUID();
    const ttlMs = config.lobbyTtlSeconds * 1000;
    const joinCode = await this.claimCode(partyId, ttlMs);
    const { token, hash } = issueToken(hostId);
    const meta: PartyMeta = {
      partyId,
      gameId: randomUUID(),
      joinCode,
      host: hostId,
      settings,
      createdAt: this.clock(),
      questions: drawn.map((q) => ({
        id: q.id,
        question: q.question,
        answer: q.answer,
        choices: shuffle([q.answer, q.choice1, q.choice2, q.choice3]),
      })),
    };
    try {
      await parties.insertParty(db, meta, hash);
      try {
        await store.create(meta, hash, ttlMs);
      } catch (err) {
        await parties.deleteParty(db, partyId).catch(() => undefined);
        throw err;
      }
    } catch (err) {
      await store.releaseJoinCode(joinCode, partyId).catch(() => undefined);
      throw err;
    }
    return { party_id: partyId, game_id: meta.gameId, join_code: joinCode, token };
  }

  /** A 6-digit code no other live party holds. 900,000 codes: collisions are rare, retries cheap. */
  private async claimCode(partyId: string, ttlMs: number): Promise<string> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const code = String(randomInt(100_000, 1_000_000));
      if (await this.deps.store.claimJoinCode(code, partyId, ttlMs)) return code;
    }
    throw new HttpError(503, 'no_join_code', 'no free join code; try again');
  }

  async join(rawPartyId: string, userId: string): Promise<{ message: string; game_id: string; token: string }> {
    const partyId = canonicalUuid(rawPartyId);
    if (!partyId) throw notFound();
    const { store } = this.deps;
    // The store holds every live party (and only those), so no PostgreSQL read is needed.
    const meta = await store.meta(partyId);
    if (!meta) throw notFound();
    const { token, hash } = issueToken(userId);
    const outcome = await store.join(partyId, userId, hash);
    if (outcome === 'party_not_found') throw notFound();
    if (outcome === 'already_joined') throw new HttpError(400, 'already_joined', `${userId} is already in this party`);
    if (outcome === 'party_full') throw new HttpError(409, 'party_full', 'the party has reached max_players');
    try {
      const added = await this.players.insert(partyId, userId, hash);
      if (!added) {
        await store.removePlayer(partyId, userId);
        throw new HttpError(400, 'already_joined', `${userId} is already in this party`);
      }
    } catch (err) {
      if (!(err instanceof HttpError)) await store.removePlayer(partyId, userId).catch(() => undefined);
      throw err;
    }
    this.deps.onPlayerJoined?.(partyId, userId);
    return { message: 'Joined party successfully', game_id: meta.gameId, token };
  }

  async resolveCode(code: string): Promise<{ party_id: string }> {
    if (!isJoinCode(code)) throw notFound();
    const partyId = await this.deps.store.resolveJoinCode(code);
    if (!partyId) throw notFound();
    return { party_id: partyId };
  }

  /** The party state: live from the store, or the final record from PostgreSQL. */
  async state(rawPartyId: string): Promise<PartyStateView> {
    const partyId = canonicalUuid(rawPartyId);
    if (!partyId) throw notFound();
    const now = this.clock();
    const snap = await this.deps.store.load(partyId, now);
    // A finished party stays in the store until its results are in PostgreSQL.
    if (snap) return partyView({ ...snap, now });
    return this.recordedState(partyId);
  }

  /**
   * The state of a party the store no longer holds, from PostgreSQL. The store keeps a
   * party until its results are written, so a row still `live` here is a lobby that expired.
   */
  async recordedState(partyId: string): Promise<PartyStateView> {
    const { db } = this.deps;
    let row = await parties.getParty(db, partyId);
    if (!row) throw notFound();
    if (row.status === 'live' && !(await this.deps.store.phase(row.party_id))) {
      await parties.markEnded(db, row.party_id, 'expired');
      row = { ...row, status: 'expired', rounds_played: 0 };
    }
    const players = await parties.getPlayers(db, partyId);
    const played = row.rounds_played ?? row.rounds;
    const lastId = played > 0 ? row.question_ids[played - 1] : undefined;
    const last = lastId === undefined ? undefined : (await parties.questionTexts(db, [lastId])).get(lastId);
    const view = partyView({
      meta: {
        partyId: row.party_id,
        gameId: row.game_id,
        joinCode: row.join_code,
        host: row.player_id,
        createdAt: row.created_at.getTime(),
        settings: settingsOf(row),
        questions: [],
      },
      phase: { ...LOBBY, status: 'finished', round: Math.max(1, played) },
      players: players.map((p) => ({ userId: p.user_id, score: p.score })),
      connected: new Set(),
      answered: new Set(),
      now: this.clock(),
    });
    if (last) {
      view.question = last.question;
      view.choices = last.choices;
      view.correct_answer = last.answer;
    }
    return view;
  }

  async list(filter: { status?: string; category?: string; limit: number }): Promise<PartyListing[]> {
    const out: PartyListing[] = [];
    let before: Date | undefined;
    // Status lives in the store, so filter page by page until the list is full.
    for (let page = 0; page < 10 && out.length < filter.limit; page++) {
      const rows = await parties.listLivePublic(this.deps.db, { category: filter.category, limit: 100, before });
      if (!rows.length) break;
      before = rows[rows.length - 1]!.created_at;
      const live = new Map((await this.deps.store.summaries(rows.map((r) => r.party_id))).map((s) => [s.partyId, s]));
      for (const r of rows) {
        const s = live.get(r.party_id);
        if (!s || s.status === 'finished' || (filter.status && s.status !== filter.status)) continue;
        out.push({
          party_id: r.party_id,
          join_code: r.join_code,
          host: r.player_id,
          category: r.category,
          rounds: r.rounds,
          timeout: r.timeout_s,
          status: s.status,
          players: s.players,
          max_players: r.max_players,
        });
        if (out.length >= filter.limit) break;
      }
      if (rows.length < 100) break;
    }
    return out;
  }
}

export function settingsOf(row: parties.PartyRow): PartySettings {
  return {
    category: row.category,
    rounds: row.rounds,
    timeoutSeconds: row.timeout_s,
    startMode: row.start_mode,
    revealSeconds: row.reveal_seconds,
    maxPlayers: row.max_players,
    visibility: row.visibility,
  };
}
