/**
 * In-process PartyStore for embedded mode. JavaScript runs one callback at a time, so each
 * method body below is as atomic as the Redis scripts it mirrors: no `await` inside.
 */
import type { PartyMeta, Phase, RecordedAnswer } from '../../game/types.js';
import type { AnswerOutcome, JoinOutcome, PartySnapshot, PartyStore, PartySummary } from '../../ports.js';

interface Entry {
  meta: PartyMeta;
  phase: Phase;
  scores: Map<string, number>;
  tokens: Map<string, string>;
  answers: Map<string, RecordedAnswer>; // `${round}:${userId}`
  presence: Map<string, { userId: string | null; expiresAt: number }>; // connId ->
  /** Epoch ms after which the whole party is gone; null once someone connected. */
  expiresAt: number | null;
  vacantUntil: number | null;
  shown: string | null;
}

export class MemoryPartyStore implements PartyStore {
  private parties = new Map<string, Entry>();
  private codes = new Map<string, { partyId: string; expiresAt: number | null }>();
  private lastPrune = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  private get(partyId: string): Entry | undefined {
    const e = this.parties.get(partyId);
    if (e && e.expiresAt !== null && e.expiresAt <= this.clock()) {
      this.drop(partyId, e);
      return undefined;
    }
    return e;
  }

  private drop(partyId: string, e: Entry): void {
    this.parties.delete(partyId);
    const c = this.codes.get(e.meta.joinCode);
    if (c?.partyId === partyId) this.codes.delete(e.meta.joinCode);
  }

  async claimJoinCode(code: string, partyId: string, ttlMs: number): Promise<boolean> {
    const held = this.codes.get(code);
    if (held && (held.expiresAt === null || held.expiresAt > this.clock())) return false;
    this.codes.set(code, { partyId, expiresAt: this.clock() + ttlMs });
    return true;
  }

  async releaseJoinCode(code: string, partyId: string): Promise<void> {
    if (this.codes.get(code)?.partyId === partyId) this.codes.delete(code);
  }

  async resolveJoinCode(code: string): Promise<string | null> {
    const held = this.codes.get(code);
    if (!held || (held.expiresAt !== null && held.expiresAt <= this.clock())) return null;
    return this.get(held.partyId) ? held.partyId : null;
  }

  /** Drops expired lobbies nobody looked at again; amortised over creations. */
  private prune(): void {
    const now = this.clock();
    if (now - this.lastPrune < 10_000) return;
    this.lastPrune = now;
    for (const [id, e] of this.parties) if (e.expiresAt !== null && e.expiresAt <= now) this.drop(id, e);
    for (const [code, c] of this.codes) if (c.expiresAt !== null && c.expiresAt <= now) this.codes.delete(code);
  }

  async create(meta: PartyMeta, hostTokenHash: string, ttlMs: number): Promise<void> {
    this.prune();
    this.parties.set(meta.partyId, {
      meta,
      phase: { status: 'lobby', round: 1, openedAt: null, deadline: null, revealEndsAt: null },
      scores: new Map([[meta.host, 0]]),
      tokens: new Map([[meta.host, hostTokenHash]]),
      answers: new Map(),
      presence: new Map(),
      expiresAt: this.clock() + ttlMs,
      vacantUntil: null,
      shown: null,
    });
  }

  async load(partyId: string, now: number): Promise<PartySnapshot | null> {
    const e = this.get(partyId);
    if (!e) return null;
    const connected = new Set<string>();
    let connections = 0;
    for (const p of e.presence.values()) {
      if (p.expiresAt <= now) continue;
      connections += 1;
      if (p.userId !== null) connected.add(p.userId);
    }
    const answered = new Set<string>();
    const prefix = `${e.phase.round}:`;
    for (const [key, a] of e.answers) if (key.startsWith(prefix)) answered.add(a.userId);
    return {
      meta: e.meta,
      phase: { ...e.phase },
      players: [...e.scores].map(([userId, score]) => ({ userId, score })),
      answered,
      connected,
      connections,
      vacantUntil: e.vacantUntil,
      shown: e.shown,
    };
  }

  async meta(partyId: string): Promise<PartyMeta | null> {
    return this.get(partyId)?.meta ?? null;
  }

  async summaries(partyIds: string[]): Promise<PartySummary[]> {
    const out: PartySummary[] = [];
    for (const partyId of partyIds) {
      const e = this.get(partyId);
      if (e) out.push({ partyId, status: e.phase.status, players: e.scores.size });
    }
    return out;
  }

  async join(partyId: string, userId: string, tokenHash: string): Promise<JoinOutcome> {
    const e = this.get(partyId);
    if (!e || e.phase.status === 'finished') return 'party_not_found';
    if (e.scores.has(userId)) return 'already_joined';
    if (e.scores.size >= e.meta.settings.maxPlayers) return 'party_full';
    e.scores.set(userId, 0);
    e.tokens.set(userId, tokenHash);
    return 'ok';
  }

  async removePlayer(partyId: string, userId: string): Promise<void> {
    const e = this.get(partyId);
    e?.scores.delete(userId);
    e?.tokens.delete(userId);
  }

  async tokenHash(partyId: string, userId: string): Promise<string | null> {
    return this.get(partyId)?.tokens.get(userId) ?? null;
  }

  async transition(partyId: string, from: Pick<Phase, 'status' | 'round'>, to: Phase): Promise<boolean> {
    const e = this.get(partyId);
    if (!e || e.phase.status !== from.status || e.phase.round !== from.round) return false;
    e.phase = { ...to };
    e.shown = null;
    return true;
  }

  async recordAnswerOnce(partyId: string, answer: RecordedAnswer, now: number): Promise<AnswerOutcome> {
    const e = this.get(partyId);
    if (!e) return { ok: false, code: 'round_closed' };
    if (!e.scores.has(answer.userId)) return { ok: false, code: 'not_a_player' };
    const p = e.phase;
    if (p.status !== 'question' || p.round !== answer.round || p.deadline === null || now > p.deadline) {
      return { ok: false, code: 'round_closed' };
    }
    const key = `${answer.round}:${answer.userId}`;
    if (e.answers.has(key)) return { ok: false, code: 'already_answered' };
    e.answers.set(key, { ...answer });
    const score = (e.scores.get(answer.userId) ?? 0) + answer.points;
    e.scores.set(answer.userId, score);
    let answeredCount = 0;
    const prefix = `${answer.round}:`;
    for (const k of e.answers.keys()) if (k.startsWith(prefix)) answeredCount += 1;
    return { ok: true, score, answeredCount };
  }

  async phase(partyId: string): Promise<Phase | null> {
    const e = this.get(partyId);
    return e ? { ...e.phase } : null;
  }

  async answers(partyId: string): Promise<RecordedAnswer[]> {
    return [...(this.get(partyId)?.answers.values() ?? [])].map((a) => ({ ...a }));
  }

  async markConnected(partyId: string, connId: string, userId: string | null, expiresAt: number): Promise<void> {
    const e = this.get(partyId);
    if (!e) return;
    e.presence.set(connId, { userId, expiresAt });
    e.expiresAt = null;
    e.vacantUntil = null;
    const c = this.codes.get(e.meta.joinCode);
    if (c?.partyId === partyId) c.expiresAt = null;
  }

  async markDisconnected(partyId: string, connId: string): Promise<void> {
    this.get(partyId)?.presence.delete(connId);
  }

  async markShown(partyId: string, tag: string): Promise<void> {
    const e = this.get(partyId);
    if (e) e.shown = tag;
  }

  async markVacant(partyId: string, until: number): Promise<number> {
    const e = this.get(partyId);
    if (!e) return until;
    e.vacantUntil ??= until;
    return e.vacantUntil;
  }

  async delete(partyId: string): Promise<void> {
    const e = this.parties.get(partyId);
    if (e) this.drop(partyId, e);
  }
}
