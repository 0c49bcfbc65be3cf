/**
 * PartyStore contract (src/ports.ts): one suite, run against the in-process store and the
 * Redis one. Every party uses a fresh UUID and a non-numeric join code, so the Redis variant
 * can share the run's Redis database with the other test files.
 *
 * Expiry tests use real time for both stores (the memory store's injectable clock defaults
 * to Date.now), with short TTLs.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/adapters/index.js';
import { MemoryPartyStore } from '../../src/adapters/memory/party-store.js';
import { RedisPartyStore } from '../../src/adapters/redis/party-store.js';
import { joinCodeKey, partyKeys } from '../../src/adapters/redis/keys.js';
import type { PartyMeta, Phase } from '../../src/game/types.js';
import type { PartyStore } from '../../src/ports.js';
import {
  type Implementation,
  joinCode,
  makeAnswer,
  makeMeta,
  services,
  skipReason,
  sleep,
  uniq,
} from '../helpers/contract.js';

export interface PartyStoreHarness {
  store: PartyStore;
  /** The same data seen from another process (Redis: another connection and store); memory: `store`. */
  peer: PartyStore;
  /** Backing keys of the party (and its join code) that still exist, or null when not applicable. */
  leftovers: ((partyId: string, code: string) => Promise<string[]>) | null;
  cleanup(): Promise<void>;
}

const LONG_TTL = 60_000;
const SHORT_TTL = 300;
/** Comfortably past SHORT_TTL, Redis expiry included. */
const PAST_SHORT_TTL = 700;

const lobby = { status: 'lobby', round: 1 } as const;

function questionPhase(round: number, deadline: number, openedAt = deadline - 15_000): Phase {
  return { status: 'question', round, openedAt, deadline, revealEndsAt: null };
}

function revealPhase(round: number, now: number): Phase {
  return { status: 'reveal', round, openedAt: now - 15_000, deadline: now, revealEndsAt: now + 3000 };
}

export function partyStoreContract(name: string, make: () => Promise<PartyStoreHarness>): void {
  let h: PartyStoreHarness;
  let store: PartyStore;
  const created: string[] = [];

  beforeAll(async () => {
    h = await make();
    store = h.store;
  });

  afterAll(async () => {
    if (!h) return;
    for (const id of created) await store.delete(id).catch(() => undefined);
    await h.cleanup();
  });

  /** Claims the code and creates the party, as the party service does. */
  async function newParty(o: { maxPlayers?: number; ttlMs?: number; host?: string } = {}): Promise<PartyMeta> {
    const ttl = o.ttlMs ?? LONG_TTL;
    const meta = makeMeta({ maxPlayers: o.maxPlayers, host: o.host });
    created.push(meta.partyId);
    expect(await store.claimJoinCode(meta.joinCode, meta.partyId, ttl)).toBe(true);
    await store.create(meta, `hash-of-${meta.host}`, ttl);
    return meta;
  }

  /** Lobby → question of round 1, open until `deadline`. */
  async function openRound1(partyId: string, deadline = Date.now() + 60_000): Promise<Phase> {
    const to = questionPhase(1, deadline);
    expect(await store.transition(partyId, lobby, to)).toBe(true);
    return to;
  }

  async function joinAll(partyId: string, users: string[]): Promise<void> {
    for (const u of users) expect(await store.join(partyId, u, `hash-of-${u}`)).toBe('ok');
  }

  describe(`${name}: join codes`, () => {
    it('a held code cannot be claimed again; resolve returns its party', async () => {
      const meta = await newParty();
      expect(await store.claimJoinCode(meta.joinCode, randomUUID(), LONG_TTL)).toBe(false);
      expect(await store.claimJoinCode(meta.joinCode, meta.partyId, LONG_TTL)).toBe(false);
      expect(await store.resolveJoinCode(meta.joinCode)).toBe(meta.partyId);
      expect(await h.peer.resolveJoinCode(meta.joinCode)).toBe(meta.partyId);
    });

    it('concurrent claims of one code: exactly one wins', async () => {
      const code = joinCode();
      const ids = Array.from({ length: 20 }, () => randomUUID());
      const won = await Promise.all(ids.map((id) => store.claimJoinCode(code, id, LONG_TTL)));
      expect(won.filter(Boolean)).toHaveLength(1);
      const winner = ids[won.indexOf(true)]!;
      created.push(winner);
      await store.create(makeMeta({ partyId: winner, joinCode: code }), 'h', LONG_TTL);
      expect(await store.resolveJoinCode(code)).toBe(winner);
    });

    it('an unknown code, or a claimed code without a party, resolves to null', async () => {
      expect(await store.resolveJoinCode(joinCode())).toBeNull();
      const code = joinCode();
      expect(await store.claimJoinCode(code, randomUUID(), LONG_TTL)).toBe(true);
      expect(await store.resolveJoinCode(code)).toBeNull();
    });

    it('releaseJoinCode frees a code only for the party holding it', async () => {
      const code = joinCode();
      const holder = randomUUID();
      expect(await store.claimJoinCode(code, holder, LONG_TTL)).toBe(true);
      await store.releaseJoinCode(code, randomUUID()); // someone else: no effect
      expect(await store.claimJoinCode(code, randomUUID(), LONG_TTL)).toBe(false);
      await store.releaseJoinCode(code, holder);
      expect(await store.claimJoinCode(code, randomUUID(), LONG_TTL)).toBe(true);
    });

    it('after delete the code is free again, and a later delete of the old party does not release the new holder', async () => {
      const meta = await newParty();
      await store.delete(meta.partyId);
      expect(await store.resolveJoinCode(meta.joinCode)).toBeNull();
      const next = makeMeta({ joinCode: meta.joinCode });
      created.push(next.partyId);
      expect(await store.claimJoinCode(meta.joinCode, next.partyId, LONG_TTL)).toBe(true);
      await store.create(next, 'h', LONG_TTL);
      await store.delete(meta.partyId); // again: must not touch the code now held by `next`
      expect(await store.resolveJoinCode(meta.joinCode)).toBe(next.partyId);
      expect(await store.claimJoinCode(meta.joinCode, randomUUID(), LONG_TTL)).toBe(false);
    });

    it('an unconnected party’s code expires with it and can be claimed again', async () => {
      const meta = await newParty({ ttlMs: SHORT_TTL });
      await sleep(PAST_SHORT_TTL);
      expect(await store.resolveJoinCode(meta.joinCode)).toBeNull();
      const other = randomUUID();
      expect(await store.claimJoinCode(meta.joinCode, other, LONG_TTL)).toBe(true);
    });
  });

  describe(`${name}: create and load`, () => {
    it('creates a lobby with the host as the only player, score 0; meta round-trips', async () => {
      const meta = await newParty();
      const now = Date.now();
      for (const s of [store, h.peer]) {
        const snap = await s.load(meta.partyId, now);
        expect(snap).not.toBeNull();
        expect(snap!.meta).toEqual(meta);
        expect(snap!.phase).toEqual({ status: 'lobby', round: 1, openedAt: null, deadline: null, revealEndsAt: null });
        expect(snap!.players).toEqual([{ userId: meta.host, score: 0 }]);
        expect([...snap!.answered]).toEqual([]);
        expect([...snap!.connected]).toEqual([]);
        expect(snap!.connections).toBe(0);
        expect(snap!.vacantUntil).toBeNull();
        expect(snap!.shown).toBeNull();
      }
      expect(await store.tokenHash(meta.partyId, meta.host)).toBe(`hash-of-${meta.host}`);
    });

    it('load of an unknown party is null', async () => {
      expect(await store.load(randomUUID(), Date.now())).toBeNull();
      expect(await store.phase(randomUUID())).toBeNull();
      expect(await store.answers(randomUUID())).toEqual([]);
      expect(await store.tokenHash(randomUUID(), 'nobody')).toBeNull();
    });

    it('an unconnected party expires after its TTL', async () => {
      const meta = await newParty({ ttlMs: SHORT_TTL });
      const player = uniq('p');
      await joinAll(meta.partyId, [player]);
      expect(await store.load(meta.partyId, Date.now())).not.toBeNull();
      await sleep(PAST_SHORT_TTL);
      expect(await store.load(meta.partyId, Date.now())).toBeNull();
      expect(await h.peer.load(meta.partyId, Date.now())).toBeNull();
      expect(await store.phase(meta.partyId)).toBeNull();
      expect(await store.tokenHash(meta.partyId, meta.host)).toBeNull();
      expect(await store.tokenHash(meta.partyId, player)).toBeNull();
      expect(await store.summaries([meta.partyId])).toEqual([]);
      expect(await store.join(meta.partyId, uniq('late'), 'h')).toBe('party_not_found');
      if (h.leftovers) expect(await h.leftovers(meta.partyId, meta.joinCode)).toEqual([]);
    });

    it('every key expires, including answers recorded while nobody was connected', async () => {
      const meta = await newParty({ ttlMs: SHORT_TTL });
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      expect((await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), deadline! - 1)).ok).toBe(true);
      await sleep(PAST_SHORT_TTL);
      expect(await store.load(meta.partyId, Date.now())).toBeNull();
      expect(await store.answers(meta.partyId)).toEqual([]);
      if (h.leftovers) expect(await h.leftovers(meta.partyId, meta.joinCode)).toEqual([]);
    });

    it('markConnected lifts the expiry of the party, its players and its code', async () => {
      const meta = await newParty({ ttlMs: SHORT_TTL });
      const player = uniq('p');
      await joinAll(meta.partyId, [player]);
      await store.markConnected(meta.partyId, 'conn-1', meta.host, Date.now() + 60_000);
      await sleep(PAST_SHORT_TTL);
      const snap = await store.load(meta.partyId, Date.now());
      expect(snap).not.toBeNull();
      expect(snap!.players.map((p) => p.userId).sort()).toEqual([meta.host, player].sort());
      expect(await store.tokenHash(meta.partyId, player)).toBe(`hash-of-${player}`);
      expect(await store.resolveJoinCode(meta.joinCode)).toBe(meta.partyId);
      expect(await store.claimJoinCode(meta.joinCode, randomUUID(), LONG_TTL)).toBe(false);
      // A player joining after the expiry was lifted does not bring it back.
      const late = uniq('late');
      expect(await store.join(meta.partyId, late, 'h')).toBe('ok');
      await sleep(PAST_SHORT_TTL);
      expect((await store.load(meta.partyId, Date.now()))?.players).toHaveLength(3);
    });
  });

  describe(`${name}: players`, () => {
    it('join: ok, already_joined (host and player), party_full at maxPlayers', async () => {
      const meta = await newParty({ maxPlayers: 3 });
      expect(await store.join(meta.partyId, meta.host, 'x')).toBe('already_joined');
      expect(await store.join(meta.partyId, 'alice', 'ha')).toBe('ok');
      expect(await store.join(meta.partyId, 'alice', 'other')).toBe('already_joined');
      expect(await store.tokenHash(meta.partyId, 'alice')).toBe('ha'); // not overwritten
      expect(await store.join(meta.partyId, 'bob', 'hb')).toBe('ok');
      expect(await store.join(meta.partyId, 'carol', 'hc')).toBe('party_full');
      const snap = await store.load(meta.partyId, Date.now());
      expect(snap!.players.map((p) => p.userId).sort()).toEqual([meta.host, 'alice', 'bob'].sort());
      expect(snap!.players.every((p) => p.score === 0)).toBe(true);
      expect(await store.tokenHash(meta.partyId, 'carol')).toBeNull();
    });

    it('concurrent joins never exceed maxPlayers', async () => {
      const meta = await newParty({ maxPlayers: 5 });
      const users = Array.from({ length: 20 }, (_, i) => `u${i}`);
      const outcomes = await Promise.all(users.map((u) => store.join(meta.partyId, u, `h${u}`)));
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4);
      expect(outcomes.filter((o) => o === 'party_full')).toHaveLength(16);
      expect((await store.load(meta.partyId, Date.now()))!.players).toHaveLength(5);
    });

    it('concurrent joins of one user: exactly one ok', async () => {
      const meta = await newParty({ maxPlayers: 50 });
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.join(meta.partyId, 'dup', 'h')));
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'already_joined')).toHaveLength(19);
    });

    it('join: party_not_found for an unknown party and a finished one', async () => {
      expect(await store.join(randomUUID(), 'alice', 'h')).toBe('party_not_found');
      const meta = await newParty();
      const now = Date.now();
      expect(
        await store.transition(meta.partyId, lobby, { status: 'finished', round: 1, openedAt: null, deadline: null, revealEndsAt: null, endedHow: 'expired' }),
      ).toBe(true);
      expect(await store.join(meta.partyId, 'alice', 'h')).toBe('party_not_found');
      expect((await store.load(meta.partyId, now))!.players).toHaveLength(1);
    });

    it('removePlayer frees the slot and forgets the token', async () => {
      const meta = await newParty({ maxPlayers: 2 });
      expect(await store.join(meta.partyId, 'alice', 'ha')).toBe('ok');
      expect(await store.join(meta.partyId, 'bob', 'hb')).toBe('party_full');
      await store.removePlayer(meta.partyId, 'alice');
      expect(await store.tokenHash(meta.partyId, 'alice')).toBeNull();
      expect((await store.load(meta.partyId, Date.now()))!.players).toEqual([{ userId: meta.host, score: 0 }]);
      expect(await store.join(meta.partyId, 'bob', 'hb')).toBe('ok');
      await store.removePlayer(meta.partyId, 'nobody'); // no-op
      expect((await store.load(meta.partyId, Date.now()))!.players).toHaveLength(2);
    });

    it('tokenHash: stored hash per player, null for strangers', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      expect(await store.tokenHash(meta.partyId, meta.host)).toBe(`hash-of-${meta.host}`);
      expect(await store.tokenHash(meta.partyId, 'alice')).toBe('hash-of-alice');
      expect(await h.peer.tokenHash(meta.partyId, 'alice')).toBe('hash-of-alice');
      expect(await store.tokenHash(meta.partyId, 'mallory')).toBeNull();
    });
  });

  describe(`${name}: phase`, () => {
    it('transition is a compare-and-set on (status, round)', async () => {
      const meta = await newParty();
      const now = Date.now();
      const q1 = questionPhase(1, now + 15_000, now);
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, q1)).toBe(false);
      expect(await store.transition(meta.partyId, { status: 'lobby', round: 2 }, q1)).toBe(false);
      expect(await store.phase(meta.partyId)).toEqual({ status: 'lobby', round: 1, openedAt: null, deadline: null, revealEndsAt: null });
      expect(await store.transition(meta.partyId, lobby, q1)).toBe(true);
      expect(await store.phase(meta.partyId)).toEqual(q1);
      expect(await h.peer.phase(meta.partyId)).toEqual(q1);
      expect(await store.transition(meta.partyId, lobby, q1)).toBe(false);
      const r1 = revealPhase(1, now + 15_000);
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, r1)).toBe(true);
      expect((await store.load(meta.partyId, now))!.phase).toEqual(r1);
      const end: Phase = { status: 'finished', round: 1, openedAt: null, deadline: null, revealEndsAt: null, endedHow: 'abandoned' };
      expect(await store.transition(meta.partyId, { status: 'reveal', round: 1 }, end)).toBe(true);
      expect(await store.phase(meta.partyId)).toEqual(end);
      expect((await store.phase(meta.partyId))!.endedHow).toBe('abandoned');
    });

    it('transition of an unknown party is false and creates nothing', async () => {
      const id = randomUUID();
      expect(await store.transition(id, lobby, questionPhase(1, Date.now() + 1000))).toBe(false);
      expect(await store.phase(id)).toBeNull();
      expect(await store.load(id, Date.now())).toBeNull();
    });

    it('20 concurrent identical transitions: exactly one wins', async () => {
      const meta = await newParty();
      const to = questionPhase(1, Date.now() + 60_000);
      const results = await Promise.all(Array.from({ length: 20 }, () => store.transition(meta.partyId, lobby, to)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.phase(meta.partyId)).toEqual(to);
    });

    it('concurrent transitions from one phase to different phases: exactly one wins and its phase is stored', async () => {
      const meta = await newParty();
      const base = Date.now() + 60_000;
      const targets = Array.from({ length: 10 }, (_, i) => questionPhase(1, base + i));
      const results = await Promise.all(targets.map((to) => h.peer.transition(meta.partyId, lobby, to)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.phase(meta.partyId)).toEqual(targets[results.indexOf(true)]);
    });

    it('markShown records the published phase; only a successful transition clears it', async () => {
      const meta = await newParty();
      const t = Date.now();
      await store.markShown(meta.partyId, 'lobby:1');
      expect((await store.load(meta.partyId, t))!.shown).toBe('lobby:1');
      await h.peer.markShown(meta.partyId, 'lobby:1:again');
      expect((await store.load(meta.partyId, t))!.shown).toBe('lobby:1:again');
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, questionPhase(1, t + 10_000))).toBe(false);
      expect((await store.load(meta.partyId, t))!.shown).toBe('lobby:1:again');
      await openRound1(meta.partyId, t + 10_000);
      expect((await h.peer.load(meta.partyId, t))!.shown).toBeNull();
      await store.markShown(meta.partyId, 'question:1');
      expect((await store.load(meta.partyId, t))!.shown).toBe('question:1');
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, revealPhase(1, t + 10_000))).toBe(true);
      expect((await store.load(meta.partyId, t))!.shown).toBeNull();
    });

    it('markShown of an unknown party creates nothing', async () => {
      const id = randomUUID();
      await store.markShown(id, 'question:1');
      expect(await store.load(id, Date.now())).toBeNull();
      expect(await store.phase(id)).toBeNull();
      if (h.leftovers) expect(await h.leftovers(id, '')).toEqual([]);
    });

    it('summaries: status and player count, missing parties left out, input order kept', async () => {
      const a = await newParty();
      const b = await newParty();
      await joinAll(b.partyId, ['x', 'y']);
      await openRound1(b.partyId);
      const gone = await newParty();
      await store.delete(gone.partyId);
      expect(await store.summaries([])).toEqual([]);
      expect(await store.summaries([b.partyId, randomUUID(), a.partyId, gone.partyId])).toEqual([
        { partyId: b.partyId, status: 'question', players: 3 },
        { partyId: a.partyId, status: 'lobby', players: 1 },
      ]);
    });
  });

  describe(`${name}: answers`, () => {
    it('ok adds the points and returns the new score and the count of answers in the round', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice', 'bob']);
      const { deadline } = await openRound1(meta.partyId);
      const now = deadline! - 5000;
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1, 700), now)).toEqual({ ok: true, score: 700, answeredCount: 1 });
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('bob', 1, 0), now)).toEqual({ ok: true, score: 0, answeredCount: 2 });
      const snap = await store.load(meta.partyId, now);
      expect(new Map(snap!.players.map((p) => [p.userId, p.score]))).toEqual(
        new Map([
          [meta.host, 0],
          ['alice', 700],
          ['bob', 0],
        ]),
      );
      expect([...snap!.answered].sort()).toEqual(['alice', 'bob']);
    });

    it('already_answered: the second answer of a round changes nothing', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      expect((await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1, 500), deadline! - 1)).ok).toBe(true);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1, 900, { choice: 'other' }), deadline! - 1)).toEqual({
        ok: false,
        code: 'already_answered',
      });
      const answers = await store.answers(meta.partyId);
      expect(answers).toEqual([makeAnswer('alice', 1, 500)]);
      expect((await store.load(meta.partyId, Date.now()))!.players.find((p) => p.userId === 'alice')!.score).toBe(500);
    });

    it('round_closed: in the lobby, in the reveal, for another round, after the deadline', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const t = Date.now();
      const closed = { ok: false, code: 'round_closed' };
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), t)).toEqual(closed);
      const q1 = await openRound1(meta.partyId, t + 10_000);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 2), t)).toEqual(closed);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), q1.deadline! + 1)).toEqual(closed);
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, revealPhase(1, t + 10_000))).toBe(true);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), t)).toEqual(closed);
      expect(await store.answers(meta.partyId)).toEqual([]);
      expect((await store.load(meta.partyId, t))!.players.find((p) => p.userId === 'alice')!.score).toBe(0);
    });

    it('an answer exactly at the deadline is still in time', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1, 10), deadline!)).toEqual({ ok: true, score: 10, answeredCount: 1 });
    });

    it('a question phase without a deadline accepts no answer', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const to: Phase = { status: 'question', round: 1, openedAt: Date.now(), deadline: null, revealEndsAt: null };
      expect(await store.transition(meta.partyId, lobby, to)).toBe(true);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), Date.now())).toEqual({ ok: false, code: 'round_closed' });
    });

    it('not_a_player: strangers and removed players', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('mallory', 1), deadline! - 1)).toEqual({ ok: false, code: 'not_a_player' });
      await store.removePlayer(meta.partyId, 'alice');
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), deadline! - 1)).toEqual({ ok: false, code: 'not_a_player' });
      expect(await store.answers(meta.partyId)).toEqual([]);
      const snap = await store.load(meta.partyId, Date.now());
      expect(snap!.players.map((p) => p.userId)).toEqual([meta.host]);
    });

    it('50 concurrent answers of 50 players: all ok once, answeredCount 1..50', async () => {
      const meta = await newParty({ maxPlayers: 60 });
      const users = Array.from({ length: 50 }, (_, i) => `player-${i}`);
      await Promise.all(users.map((u) => store.join(meta.partyId, u, 'h')));
      const { deadline } = await openRound1(meta.partyId);
      const results = await Promise.all(
        users.map((u, i) => (i % 2 ? h.peer : store).recordAnswerOnce(meta.partyId, makeAnswer(u, 1, 100 + i), deadline! - 1)),
      );
      const counts: number[] = [];
      results.forEach((r, i) => {
        expect(r).toMatchObject({ ok: true, score: 100 + i });
        if (r.ok) counts.push(r.answeredCount);
      });
      expect(counts.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const snap = await store.load(meta.partyId, Date.now());
      expect(snap!.answered.size).toBe(50);
      expect(await store.answers(meta.partyId)).toHaveLength(50);
    });

    it('20 concurrent answers of one player: exactly one ok, points added once', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1, 300, { ms: i }), deadline! - 1)),
      );
      expect(results.filter((r) => r.ok)).toEqual([{ ok: true, score: 300, answeredCount: 1 }]);
      expect(results.filter((r) => !r.ok && r.code === 'already_answered')).toHaveLength(19);
      expect(await store.answers(meta.partyId)).toHaveLength(1);
      expect((await store.load(meta.partyId, Date.now()))!.players.find((p) => p.userId === 'alice')!.score).toBe(300);
    });

    it('the answered set lasts through the reveal and resets when the next round opens; answers() keeps all', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice', 'bob']);
      const t = Date.now();
      await openRound1(meta.partyId, t + 10_000);
      const a1 = makeAnswer('alice', 1, 400, { ms: 2000 });
      const b1 = makeAnswer('bob', 1, 0, { ms: 9000 });
      expect((await store.recordAnswerOnce(meta.partyId, a1, t)).ok).toBe(true);
      expect((await store.recordAnswerOnce(meta.partyId, b1, t)).ok).toBe(true);
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, revealPhase(1, t + 10_000))).toBe(true);
      expect([...(await store.load(meta.partyId, t))!.answered].sort()).toEqual(['alice', 'bob']);
      const q2 = questionPhase(2, t + 40_000, t + 25_000);
      expect(await store.transition(meta.partyId, { status: 'reveal', round: 1 }, q2)).toBe(true);
      expect([...(await store.load(meta.partyId, t))!.answered]).toEqual([]);
      // Round 1 is over: a late answer for it is refused even though alice never answered twice there.
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('bob', 1), t)).toEqual({ ok: false, code: 'round_closed' });
      const a2 = makeAnswer('alice', 2, 250, { ms: 1500 });
      expect(await store.recordAnswerOnce(meta.partyId, a2, t)).toEqual({ ok: true, score: 650, answeredCount: 1 });
      const snap = await store.load(meta.partyId, t);
      expect([...snap!.answered]).toEqual(['alice']);
      const key = (a: { round: number; userId: string }) => `${a.round}:${a.userId}`;
      const all = (await h.peer.answers(meta.partyId)).sort((x, y) => key(x).localeCompare(key(y)));
      expect(all).toEqual([a1, b1, a2]);
    });

    it('answer text round-trips exactly', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      const a = makeAnswer('alice', 1, 123, { choice: 'Ça “marche” 🚀\nligne 2\t"quoted"' });
      expect((await store.recordAnswerOnce(meta.partyId, a, deadline! - 1)).ok).toBe(true);
      expect(await store.answers(meta.partyId)).toEqual([a]);
    });
  });

  describe(`${name}: presence`, () => {
    it('connected players and the count of connections, spectators and second tabs included', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice', 'bob']);
      const now = Date.now();
      const until = now + 30_000;
      await store.markConnected(meta.partyId, 'c1', 'alice', until);
      await store.markConnected(meta.partyId, 'c2', null, until);
      await h.peer.markConnected(meta.partyId, 'c3', 'alice', until);
      await store.markConnected(meta.partyId, 'c4', 'bob', until);
      await store.markConnected(meta.partyId, 'c4', 'bob', until + 1000); // refresh: still one connection
      let snap = await store.load(meta.partyId, now);
      expect([...snap!.connected].sort()).toEqual(['alice', 'bob']);
      expect(snap!.connections).toBe(4);

      await store.markDisconnected(meta.partyId, 'c1', 'alice');
      snap = await store.load(meta.partyId, now);
      expect([...snap!.connected].sort()).toEqual(['alice', 'bob']); // still there through c3
      expect(snap!.connections).toBe(3);

      await store.markDisconnected(meta.partyId, 'c3', 'alice');
      await store.markDisconnected(meta.partyId, 'c2', null);
      snap = await store.load(meta.partyId, now);
      expect([...snap!.connected]).toEqual(['bob']);
      expect(snap!.connections).toBe(1);
    });

    it('expired presence is ignored', async () => {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice', 'bob']);
      const now = Date.now();
      await store.markConnected(meta.partyId, 'c1', 'alice', now + 5_000);
      await store.markConnected(meta.partyId, 'c2', 'bob', now + 20_000);
      await store.markConnected(meta.partyId, 'c3', null, now + 5_000);
      let snap = await store.load(meta.partyId, now + 10_000);
      expect([...snap!.connected]).toEqual(['bob']);
      expect(snap!.connections).toBe(1);
      snap = await store.load(meta.partyId, now + 20_000); // expiring at `now` means gone
      expect([...snap!.connected]).toEqual([]);
      expect(snap!.connections).toBe(0);
    });

    it('markVacant records the first time only; markConnected clears it', async () => {
      const meta = await newParty();
      const t = Date.now();
      expect(await store.markVacant(meta.partyId, t)).toBe(t);
      expect(await h.peer.markVacant(meta.partyId, t + 5000)).toBe(t);
      expect((await store.load(meta.partyId, t))!.vacantUntil).toBe(t);
      await store.markConnected(meta.partyId, 'c1', meta.host, t + 30_000);
      expect((await store.load(meta.partyId, t))!.vacantUntil).toBeNull();
      expect(await store.markVacant(meta.partyId, t + 9000)).toBe(t + 9000);
      expect((await store.load(meta.partyId, t))!.vacantUntil).toBe(t + 9000);
    });
  });

  describe(`${name}: delete`, () => {
    async function playedParty(): Promise<PartyMeta> {
      const meta = await newParty();
      await joinAll(meta.partyId, ['alice']);
      const { deadline } = await openRound1(meta.partyId);
      await store.markConnected(meta.partyId, 'c1', 'alice', Date.now() + 30_000);
      expect((await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), deadline! - 1)).ok).toBe(true);
      await store.markVacant(meta.partyId, Date.now());
      return meta;
    }

    it('removes everything: state, answers, tokens and the join code', async () => {
      const meta = await playedParty();
      if (h.leftovers) expect((await h.leftovers(meta.partyId, meta.joinCode)).length).toBeGreaterThan(0);
      await h.peer.delete(meta.partyId);
      expect(await store.load(meta.partyId, Date.now())).toBeNull();
      expect(await store.phase(meta.partyId)).toBeNull();
      expect(await store.answers(meta.partyId)).toEqual([]);
      expect(await store.tokenHash(meta.partyId, 'alice')).toBeNull();
      expect(await store.summaries([meta.partyId])).toEqual([]);
      expect(await store.resolveJoinCode(meta.joinCode)).toBeNull();
      expect(await store.claimJoinCode(meta.joinCode, randomUUID(), LONG_TTL)).toBe(true);
      if (h.leftovers) expect(await h.leftovers(meta.partyId, '')).toEqual([]);
    });

    it('operations on a deleted party never recreate it', async () => {
      const meta = await playedParty();
      await store.delete(meta.partyId);
      const t = Date.now();
      expect(await store.markVacant(meta.partyId, t)).toBe(t);
      await store.markShown(meta.partyId, 'reveal:1');
      await store.markConnected(meta.partyId, 'c9', 'alice', t + 30_000);
      await store.markConnected(meta.partyId, 'c10', null, t + 30_000);
      await store.markDisconnected(meta.partyId, 'c9', 'alice');
      expect(await store.join(meta.partyId, 'bob', 'hb')).toBe('party_not_found');
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('alice', 1), t)).toMatchObject({ ok: false });
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer('bob', 1), t)).toMatchObject({ ok: false });
      expect(await store.transition(meta.partyId, { status: 'question', round: 1 }, revealPhase(1, t))).toBe(false);
      await store.removePlayer(meta.partyId, 'alice');
      expect(await store.load(meta.partyId, t)).toBeNull();
      expect(await h.peer.load(meta.partyId, t)).toBeNull();
      expect(await store.phase(meta.partyId)).toBeNull();
      expect(await store.answers(meta.partyId)).toEqual([]);
      expect(await store.tokenHash(meta.partyId, 'bob')).toBeNull();
      expect(await store.summaries([meta.partyId])).toEqual([]);
      if (h.leftovers) expect(await h.leftovers(meta.partyId, meta.joinCode)).toEqual([]);
    });

    it('operations on an expired party never recreate it', async () => {
      const meta = await newParty({ ttlMs: SHORT_TTL });
      await sleep(PAST_SHORT_TTL);
      const t = Date.now();
      await store.markVacant(meta.partyId, t);
      await store.markShown(meta.partyId, 'lobby:1');
      await store.markConnected(meta.partyId, 'c1', meta.host, t + 30_000);
      expect(await store.join(meta.partyId, 'bob', 'hb')).toBe('party_not_found');
      expect(await store.recordAnswerOnce(meta.partyId, makeAnswer(meta.host, 1), t)).toMatchObject({ ok: false });
      expect(await store.load(meta.partyId, t)).toBeNull();
      expect(await store.resolveJoinCode(meta.joinCode)).toBeNull();
      if (h.leftovers) expect(await h.leftovers(meta.partyId, meta.joinCode)).toEqual([]);
    });

    it('delete of an unknown party is a no-op', async () => {
      await expect(store.delete(randomUUID())).resolves.toBeUndefined();
    });
  });
}

async function redisHarness(url: string): Promise<PartyStoreHarness> {
  const a: Redis = await connectRedis(url);
  const b: Redis = await connectRedis(url);
  return {
    store: new RedisPartyStore(a),
    peer: new RedisPartyStore(b),
    async leftovers(partyId, code) {
      const keys = [...Object.values(partyKeys(partyId)), ...(code ? [joinCodeKey(code)] : [])];
      const present: string[] = [];
      for (const k of keys) if (await a.exists(k)) present.push(k);
      return present;
    },
    async cleanup() {
      await a.quit();
      await b.quit();
    },
  };
}

const s = services();
const IMPLEMENTATIONS: Implementation<PartyStoreHarness>[] = [
  {
    name: 'MemoryPartyStore',
    make: async () => {
      const store = new MemoryPartyStore();
      return { store, peer: store, leftovers: null, cleanup: async () => undefined };
    },
  },
  { name: 'RedisPartyStore', make: s ? () => redisHarness(s.redisUrl) : null },
];

describe.each(IMPLEMENTATIONS)('PartyStore contract: $name', ({ name, make }) => {
  if (!make) {
    it.skip(`skipped: ${skipReason()}`, () => undefined);
    return;
  }
  partyStoreContract(name, make);
});
