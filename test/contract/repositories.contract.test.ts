/**
 * PostgreSQL repositories contract: the same SQL against PGlite (in memory, fresh) and a real
 * PostgreSQL server (the run's database, shared with the other test files). Every test creates
 * its own data (categories, user ids and party ids unique to it) and only looks at that, so
 * nothing here depends on, or disturbs, what other files write.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDatabase } from '../../src/adapters/index.js';
import { openPglite, openPostgres, type Database } from '../../src/adapters/postgres/db.js';
import {
  deleteParty,
  getParty,
  getPartyByGame,
  getPlayers,
  insertParty,
  PlayerWriter,
  staleLiveParties,
  listLivePublic,
  markEnded,
  questionTexts,
} from '../../src/adapters/postgres/parties-repo.js';
import { countQuestions, drawQuestions, insertQuestions, listCategories } from '../../src/adapters/postgres/questions-repo.js';
import { gameRounds, leaderboard, playerStats, recordGame, type GameOutcome } from '../../src/adapters/postgres/results-repo.js';
import type { PartyMeta, RecordedAnswer } from '../../src/game/types.js';
import { type Implementation, makeMeta, questionInput, services, skipReason, uniq } from '../helpers/contract.js';

/** One writer per call: each insert is its own statement. */
const insertPlayer = (db: Database, partyId: string, userId: string, hash: string) => new PlayerWriter(db).insert(partyId, userId, hash);

export interface RepositoriesHarness {
  db: Database;
  /** True when the database was empty before this suite (PGlite in memory). */
  fresh: boolean;
  cleanup(): Promise<void>;
}

/**
 * Creation times of this suite's parties: recent ones. In service mode the apps of other test
 * files share this database, and their janitor marks `expired` every live party created more
 * than LOBBY_TTL_SECONDS + 60 s ago that their store does not know, so old dates would make
 * these tests race with it. (Their listings never show these rows: they are not in any store.)
 */
const recently = (msAgo = 10_000) => Date.now() - msAgo;

export function repositoriesContract(name: string, make: () => Promise<RepositoriesHarness>): void {
  let h: RepositoriesHarness;
  let db: Database;
  let firstPrepare: { migrations: number; seeded: number };
  const livePartyIds: string[] = [];

  beforeAll(async () => {
    h = await make();
    db = h.db;
    firstPrepare = await prepareDatabase(db);
  });

  afterAll(async () => {
    if (!h) return;
    // Leave no live public party of ours behind for listings elsewhere in the run.
    for (const id of livePartyIds) await markEnded(db, id, 'expired').catch(() => undefined);
    await h.cleanup();
  });

  const one = async <R>(sql: string, params: unknown[] = []) => (await db.query<R>(sql, params)).rows[0]!;

  async function seqs(category: string): Promise<number[]> {
    const { rows } = await db.query<{ s: number }>('SELECT category_seq AS s FROM questions WHERE category = $1 ORDER BY 1', [category]);
    return rows.map((r) => r.s);
  }

  async function questionCount(category: string): Promise<number | null> {
    const { rows } = await db.query<{ n: number }>('SELECT question_count AS n FROM categories WHERE category = $1', [category]);
    return rows[0]?.n ?? null;
  }

  /** A new category with `n` questions; returns their ids in insertion (= category_seq) order. */
  async function category(n: number, prefix = 'ct'): Promise<{ category: string; ids: number[] }> {
    const cat = uniq(prefix);
    const res = await insertQuestions(
      db,
      Array.from({ length: n }, (_, i) => questionInput(cat, i + 1)),
    );
    expect(res).toEqual({ inserted: n, duplicates: [] });
    const { rows } = await db.query<{ id: number }>('SELECT id FROM questions WHERE category = $1 ORDER BY category_seq', [cat]);
    return { category: cat, ids: rows.map((r) => r.id) };
  }

  async function party(o: { category: string; questionIds?: number[]; createdAt?: number; visibility?: 'public' | 'private' }): Promise<PartyMeta> {
    const meta = makeMeta({ category: o.category, questionIds: o.questionIds ?? [1], createdAt: o.createdAt ?? recently(0), visibility: o.visibility });
    await insertParty(db, meta, `hash-${meta.host}`);
    livePartyIds.push(meta.partyId);
    return meta;
  }

  describe(`${name}: migrations`, () => {
    it('prepareDatabase is idempotent, also when run twice at once', async () => {
      if (h.fresh) {
        expect(firstPrepare.migrations).toBeGreaterThanOrEqual(1);
        expect(firstPrepare.seeded).toBeGreaterThan(0);
      }
      const versions = await one<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
      const questions = await countQuestions(db);
      expect(await prepareDatabase(db)).toEqual({ migrations: 0, seeded: 0 });
      expect(await Promise.all([prepareDatabase(db), prepareDatabase(db)])).toEqual([
        { migrations: 0, seeded: 0 },
        { migrations: 0, seeded: 0 },
      ]);
      expect(await one<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations')).toEqual(versions);
      expect(versions.n).toBeGreaterThanOrEqual(1);
      expect(await countQuestions(db)).toBe(questions);
    });
  });

  describe(`${name}: questions`, () => {
    it('insertQuestions numbers a category densely 1..n and keeps question_count in sync', async () => {
      const { category: cat } = await category(5);
      expect(await seqs(cat)).toEqual([1, 2, 3, 4, 5]);
      expect(await questionCount(cat)).toBe(5);
      expect(await listCategories(db)).toContainEqual({ category: cat, questions: 5 });
      const more = await insertQuestions(db, [questionInput(cat, 6), questionInput(cat, 7)]);
      expect(more).toEqual({ inserted: 2, duplicates: [] });
      expect(await seqs(cat)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await questionCount(cat)).toBe(7);
    });

    it('skips duplicates by normalised text (in the bank and within the batch), reporting input indexes', async () => {
      const { category: cat } = await category(3);
      const other = uniq('ct-other');
      const q1 = questionInput(cat, 1);
      const res = await insertQuestions(db, [
        { ...q1, question: `  ${q1.question.toUpperCase().replace('?', ' !!')}  ` }, // 0: duplicate of q1
        questionInput(cat, 4), // 1: new
        questionInput(other, 1), // 2: same text, other category: not a duplicate
        { ...questionInput(cat, 4), question: 'contract   QUESTION 4 of ' + cat.toUpperCase() + '…' }, // 3: duplicate of 1
        questionInput(other, 2), // 4: new
        questionInput(cat, 3), // 5: duplicate of q3
      ]);
      expect(res.inserted).toBe(3);
      expect([...res.duplicates].sort((a, b) => a - b)).toEqual([0, 3, 5]);
      expect(await seqs(cat)).toEqual([1, 2, 3, 4]);
      expect(await seqs(other)).toEqual([1, 2]);
      expect(await questionCount(cat)).toBe(4);
      expect(await questionCount(other)).toBe(2);
    });

    it('an import of nothing but duplicates changes nothing', async () => {
      const { category: cat } = await category(2);
      const res = await insertQuestions(db, [questionInput(cat, 1), questionInput(cat, 2)]);
      expect(res).toEqual({ inserted: 0, duplicates: [0, 1] });
      expect(await seqs(cat)).toEqual([1, 2]);
      expect(await questionCount(cat)).toBe(2);
    });

    it('concurrent imports of the same categories keep category_seq dense and unique', async () => {
      const a = uniq('ct-conc-a');
      const b = uniq('ct-conc-b');
      // Eight imports of ten questions each, overlapping by half; half of them list b first.
      const batches = Array.from({ length: 8 }, (_, k) => {
        const items = Array.from({ length: 10 }, (_, i) => questionInput((i + k) % 2 ? a : b, k * 5 + i));
        return k % 2 ? items.reverse() : items;
      });
      const results = await Promise.all(batches.map((items) => insertQuestions(db, items)));
      const total = results.reduce((sum, r) => sum + r.inserted, 0);
      const unique = new Set(batches.flat().map((q) => `${q.category}|${q.question}`)).size;
      expect(total).toBe(unique);
      expect(results.reduce((sum, r) => sum + r.duplicates.length, 0)).toBe(80 - unique);
      for (const cat of [a, b]) {
        const s = await seqs(cat);
        expect(s).toEqual(Array.from({ length: s.length }, (_, i) => i + 1));
        expect(await questionCount(cat)).toBe(s.length);
      }
      expect((await seqs(a)).length + (await seqs(b)).length).toBe(unique);
    });

    it('drawQuestions: distinct questions of the right category, null when there are not enough', async () => {
      const { category: cat, ids } = await category(5);
      await category(5); // a neighbour that must never be drawn from
      for (let i = 0; i < 20; i++) {
        const drawn = await drawQuestions(db, cat, 3);
        expect(drawn).toHaveLength(3);
        expect(new Set(drawn!.map((q) => q.id)).size).toBe(3);
        for (const q of drawn!) {
          expect(q.category).toBe(cat);
          expect(ids).toContain(q.id);
          expect(Object.keys(q).sort()).toEqual(['answer', 'category', 'choice1', 'choice2', 'choice3', 'id', 'question']);
        }
      }
      const all = await drawQuestions(db, cat, 5);
      expect(all!.map((q) => q.id).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
      expect(await drawQuestions(db, cat, 6)).toBeNull();
      expect(await drawQuestions(db, uniq('ct-none'), 1)).toBeNull();
    });

    it('drawQuestions keeps the order of the drawn positions', async () => {
      const { category: cat, ids } = await category(5);
      const values = [0.5, 0]; // positions 3 then 1
      let i = 0;
      const drawn = await drawQuestions(db, cat, 2, () => values[i++ % values.length]!);
      expect(drawn!.map((q) => q.id)).toEqual([ids[2], ids[0]]);
      expect(drawn![0]).toEqual({ id: ids[2], category: cat, ...pick(questionInput(cat, 3)) });
    });

    it('drawQuestions is uniform enough: over 200 draws of one, every question of five appears', async () => {
      const { category: cat, ids } = await category(5);
      const seen = new Map<number, number>();
      for (let i = 0; i < 200; i++) {
        const [q] = (await drawQuestions(db, cat, 1))!;
        seen.set(q!.id, (seen.get(q!.id) ?? 0) + 1);
      }
      expect([...seen.keys()].sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
      // Expected 40 each; 10 is more than 5 standard deviations below.
      for (const n of seen.values()) expect(n).toBeGreaterThan(10);
    });

    it('questionTexts returns the text, the answer and the four options of known ids', async () => {
      const { category: cat, ids } = await category(2);
      const texts = await questionTexts(db, [ids[1]!, 2_000_000_000]);
      expect([...texts.keys()]).toEqual([ids[1]]);
      const q = questionInput(cat, 2);
      const got = texts.get(ids[1]!)!;
      expect({ question: got.question, answer: got.answer }).toEqual({ question: q.question, answer: q.answer });
      expect([...got.choices].sort()).toEqual([q.answer, q.choice1, q.choice2, q.choice3].sort());
    });
  });

  describe(`${name}: parties`, () => {
    it('insertParty writes the party and its host; getParty and getPartyByGame read it back', async () => {
      const { category: cat, ids } = await category(3);
      const meta = await party({ category: cat, questionIds: ids });
      const row = await getParty(db, meta.partyId);
      expect(row).toMatchObject({
        party_id: meta.partyId,
        game_id: meta.gameId,
        player_id: meta.host,
        category: cat,
        rounds: 3,
        timeout_s: meta.settings.timeoutSeconds,
        reveal_seconds: meta.settings.revealSeconds,
        max_players: meta.settings.maxPlayers,
        start_mode: meta.settings.startMode,
        visibility: 'public',
        join_code: meta.joinCode,
        question_ids: ids,
        status: 'live',
        rounds_played: null,
        finished_at: null,
      });
      expect(row!.created_at).toBeInstanceOf(Date);
      expect(row!.created_at.getTime()).toBe(meta.createdAt);
      expect(await getPartyByGame(db, meta.gameId)).toEqual(row);
      expect(await getParty(db, randomUUID())).toBeNull();
      expect(await getPartyByGame(db, randomUUID())).toBeNull();
      expect(await getPlayers(db, meta.partyId)).toEqual([{ user_id: meta.host, score: 0, token_hash: `hash-${meta.host}` }]);
    });

    it('insertParty writes nothing when the party id is taken', async () => {
      const meta = await party({ category: uniq('ct') });
      const clash = { ...makeMeta({ partyId: meta.partyId }), host: uniq('other-host') };
      await expect(insertParty(db, clash, 'h')).rejects.toThrow();
      expect((await getPlayers(db, meta.partyId)).map((p) => p.user_id)).toEqual([meta.host]);
      expect((await getParty(db, meta.partyId))!.game_id).toBe(meta.gameId);
    });

    it('insertPlayer adds a player once; getPlayers orders by score then user id', async () => {
      const meta = await party({ category: uniq('ct') });
      expect(await insertPlayer(db, meta.partyId, 'zed', 'hz')).toBe(true);
      expect(await insertPlayer(db, meta.partyId, 'amy', 'ha')).toBe(true);
      expect(await insertPlayer(db, meta.partyId, 'amy', 'other')).toBe(false);
      expect(await insertPlayer(db, meta.partyId, meta.host, 'other')).toBe(false);
      const players = await getPlayers(db, meta.partyId);
      expect(players).toEqual(
        [
          { user_id: meta.host, score: 0, token_hash: `hash-${meta.host}` },
          { user_id: 'amy', score: 0, token_hash: 'ha' },
          { user_id: 'zed', score: 0, token_hash: 'hz' },
        ].sort((x, y) => (x.user_id < y.user_id ? -1 : 1)),
      );
      const both = await Promise.all([insertPlayer(db, meta.partyId, 'raced', 'h1'), insertPlayer(db, meta.partyId, 'raced', 'h2')]);
      expect(both.filter(Boolean)).toHaveLength(1);
    });

    it('staleLiveParties pages through old live parties with a cursor', async () => {
      // Created in 2001 (a year nothing else uses), one second apart.
      const base = Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e9);
      const metas = [];
      for (let i = 0; i < 3; i++) metas.push(await party({ category: uniq('cs'), createdAt: base + i * 1000 }));
      const before = new Date(base + 3000);
      const after = { createdAt: new Date(base - 1), partyId: '00000000-0000-0000-0000-000000000000' };
      const first = await staleLiveParties(db, before, 2, after);
      expect(first.map((r) => r.partyId)).toEqual([metas[0]!.partyId, metas[1]!.partyId]);
      const second = await staleLiveParties(db, before, 2, first[1]!);
      expect(second.map((r) => r.partyId)).toEqual([metas[2]!.partyId]);
      await markEnded(db, metas[0]!.partyId, 'expired');
      expect((await staleLiveParties(db, before, 5, after)).map((r) => r.partyId)).toEqual([metas[1]!.partyId, metas[2]!.partyId]);
    });

    it('PlayerWriter batches concurrent inserts into one statement and reports each row', async () => {
      const meta = await party({ category: uniq('cb') });
      const writer = new PlayerWriter(db);
      const users = Array.from({ length: 40 }, (_, i) => `batch${i}`);
      const results = await Promise.all([
        ...users.map((u) => writer.insert(meta.partyId, u, `h-${u}`)),
        writer.insert(meta.partyId, 'batch0', 'again'), // the same player twice in one batch
        writer.insert(meta.partyId, meta.host, 'host-again'), // already there
      ]);
      expect(results.slice(0, 40).every(Boolean)).toBe(true);
      expect(results.slice(40)).toEqual([false, false]);
      const rows = await getPlayers(db, meta.partyId);
      expect(rows).toHaveLength(41);
      expect(rows.find((r) => r.user_id === 'batch0')!.token_hash).toBe('h-batch0');
      // A failing statement rejects every caller of its batch.
      await expect(new PlayerWriter(db).insert('not-a-uuid', 'x', 'h')).rejects.toThrow();
    });

    it('deleteParty removes the party and its players', async () => {
      const meta = await party({ category: uniq('ct') });
      await insertPlayer(db, meta.partyId, 'amy', 'ha');
      await deleteParty(db, meta.partyId);
      expect(await getParty(db, meta.partyId)).toBeNull();
      expect(await getPlayers(db, meta.partyId)).toEqual([]);
    });

    it('markEnded changes a live party once', async () => {
      const meta = await party({ category: uniq('ct') });
      expect(await markEnded(db, meta.partyId, 'abandoned')).toBe(true);
      expect(await markEnded(db, meta.partyId, 'finished')).toBe(false);
      const row = await getParty(db, meta.partyId);
      expect(row!.status).toBe('abandoned');
      expect(row!.finished_at).toBeInstanceOf(Date);
      expect(row!.rounds_played).toBe(0);
      expect(await markEnded(db, randomUUID(), 'expired')).toBe(false);
      const raced = await party({ category: uniq('ct') });
      const both = await Promise.all([markEnded(db, raced.partyId, 'expired'), markEnded(db, raced.partyId, 'abandoned')]);
      expect(both.filter(Boolean)).toHaveLength(1);
    });

    it('listLivePublic: live public parties only, newest first, by category, before a date, limited', async () => {
      const cat = uniq('ct-list');
      const t = recently();
      const p1 = await party({ category: cat, createdAt: t + 1000 });
      const p2 = await party({ category: cat, createdAt: t + 3000 });
      const p3 = await party({ category: cat, createdAt: t + 2000 });
      await party({ category: cat, createdAt: t + 4000, visibility: 'private' });
      const ended = await party({ category: cat, createdAt: t + 5000 });
      await markEnded(db, ended.partyId, 'finished');
      const elsewhere = await party({ category: uniq('ct-list-other'), createdAt: t + 2500 });

      const idsOf = (rows: { party_id: string }[]) => rows.map((r) => r.party_id);
      expect(idsOf(await listLivePublic(db, { category: cat, limit: 10 }))).toEqual([p2.partyId, p3.partyId, p1.partyId]);
      expect(idsOf(await listLivePublic(db, { category: cat, limit: 2 }))).toEqual([p2.partyId, p3.partyId]);
      expect(idsOf(await listLivePublic(db, { category: cat, limit: 10, before: new Date(t + 3000) }))).toEqual([p3.partyId, p1.partyId]);
      expect(await listLivePublic(db, { category: uniq('ct-none'), limit: 10 })).toEqual([]);
      // Without a category: every category, still newest first (other rows of the run are left out).
      const mine = new Set([p1, p2, p3, elsewhere].map((m) => m.partyId));
      const all = await listLivePublic(db, { limit: 100_000, before: new Date(t + 10_000) });
      expect(idsOf(all).filter((id) => mine.has(id))).toEqual([p2.partyId, elsewhere.partyId, p3.partyId, p1.partyId]);
      expect(all.every((r) => r.status === 'live' && r.visibility === 'public')).toBe(true);
      const times = all.map((r) => r.created_at.getTime());
      expect(times).toEqual([...times].sort((a, b) => b - a));
      const [first] = await listLivePublic(db, { category: cat, limit: 1 });
      expect(first).toMatchObject({ party_id: p2.partyId, status: 'live', visibility: 'public', category: cat });
    });
  });

  describe(`${name}: results`, () => {
    /** A finished three-round game of a new category: host + two players + one who never answered. */
    async function game() {
      const { category: cat, ids } = await category(3, 'ct-game');
      const meta = await party({ category: cat, questionIds: ids });
      const [u1, u2, u3, u4] = [meta.host, uniq('u2'), uniq('u3'), uniq('u4')];
      for (const u of [u2, u3, u4]) expect(await insertPlayer(db, meta.partyId, u, `hash-${u}`)).toBe(true);
      const ans = (round: number, userId: string, correct: boolean, points: number, ms: number): RecordedAnswer => ({
        round,
        userId,
        questionId: ids[round - 1]!,
        choice: correct ? `right ${round}` : `wrong a ${round}`,
        correct,
        points,
        ms,
      });
      const answers = [
        ans(1, u1, true, 800, 1000),
        ans(1, u2, false, 0, 3000),
        ans(2, u1, true, 600, 2500),
        ans(2, u3, true, 900, 500),
        ans(3, u2, true, 700, 1500.4),
      ];
      const outcome: GameOutcome = {
        partyId: meta.partyId,
        category: cat,
        how: 'finished',
        roundsPlayed: 3,
        players: [
          { userId: u1, score: 1400 },
          { userId: u2, score: 700 },
          { userId: u3, score: 900 },
          { userId: u4, score: 0 },
        ],
        answers,
      };
      return { meta, cat, ids, users: [u1, u2, u3, u4] as const, outcome };
    }

    async function snapshot(partyId: string, users: readonly string[]) {
      const answers = await one<{ n: number }>('SELECT count(*)::int AS n FROM answers WHERE party_id = $1', [partyId]);
      const stats = await db.query(
        'SELECT user_id, category, games, answered, correct, total_answer_ms::text AS ms, points::text AS points FROM player_category_stats WHERE user_id = ANY($1::text[]) ORDER BY user_id, category',
        [users],
      );
      const row = await getParty(db, partyId);
      return {
        answers: answers.n,
        stats: stats.rows,
        players: await getPlayers(db, partyId),
        status: row?.status,
        roundsPlayed: row?.rounds_played,
        finished: row?.finished_at,
      };
    }

    it('recordGame writes scores, answers and stats, and marks the party', async () => {
      const { meta, cat, users, outcome } = await game();
      const [u1, u2, u3, u4] = users;
      expect(await recordGame(db, outcome)).toBe(true);
      const row = await getParty(db, meta.partyId);
      expect(row!.status).toBe('finished');
      expect(row!.finished_at).toBeInstanceOf(Date);
      expect(row!.rounds_played).toBe(3);
      expect((await getPlayers(db, meta.partyId)).map((p) => [p.user_id, p.score])).toEqual([
        [u1, 1400],
        [u3, 900],
        [u2, 700],
        [u4, 0],
      ]);
      expect((await getPlayers(db, meta.partyId)).find((p) => p.user_id === u2)!.token_hash).toBe(`hash-${u2}`);
      expect((await one<{ n: number }>('SELECT count(*)::int AS n FROM answers WHERE party_id = $1', [meta.partyId])).n).toBe(5);
      expect(await playerStats(db, u1)).toEqual([{ category: cat, games: 1, answered: 2, correct: 2, accuracy: 1, avg_answer_ms: 1750, points: 1400 }]);
      expect(await playerStats(db, u2)).toEqual([{ category: cat, games: 1, answered: 2, correct: 1, accuracy: 0.5, avg_answer_ms: 2250, points: 700 }]);
      expect(await playerStats(db, u3)).toEqual([{ category: cat, games: 1, answered: 1, correct: 1, accuracy: 1, avg_answer_ms: 500, points: 900 }]);
      expect(await playerStats(db, u4)).toEqual([{ category: cat, games: 1, answered: 0, correct: 0, accuracy: 0, avg_answer_ms: null, points: 0 }]);
      expect(await playerStats(db, uniq('nobody'))).toEqual([]);
    });

    it('a second recordGame returns false and changes nothing', async () => {
      const { meta, users, outcome } = await game();
      expect(await recordGame(db, outcome)).toBe(true);
      const before = await snapshot(meta.partyId, users);
      const retry: GameOutcome = {
        ...outcome,
        how: 'abandoned',
        roundsPlayed: 1,
        players: outcome.players.map((p) => ({ ...p, score: p.score + 1 })),
        answers: [...outcome.answers, { ...outcome.answers[0]!, round: 3, points: 5 }],
      };
      expect(await recordGame(db, retry)).toBe(false);
      expect(await recordGame(db, outcome)).toBe(false);
      expect(await snapshot(meta.partyId, users)).toEqual(before);
    });

    it('two concurrent recordGame calls: exactly one writes', async () => {
      const { meta, users, outcome } = await game();
      const results = await Promise.all([recordGame(db, outcome), recordGame(db, outcome)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const after = await snapshot(meta.partyId, users);
      expect(after.answers).toBe(5);
      expect(after.stats.map((s) => (s as { games: number }).games)).toEqual([1, 1, 1, 1]);
    });

    it('recordGame of an unknown or already ended party returns false', async () => {
      const { meta, outcome } = await game();
      expect(await recordGame(db, { ...outcome, partyId: randomUUID() })).toBe(false);
      expect(await markEnded(db, meta.partyId, 'abandoned')).toBe(true);
      expect(await recordGame(db, outcome)).toBe(false);
      expect((await one<{ n: number }>('SELECT count(*)::int AS n FROM answers WHERE party_id = $1', [meta.partyId])).n).toBe(0);
    });

    it('an expired game records no stats', async () => {
      const { meta, users, outcome } = await game();
      expect(await recordGame(db, { ...outcome, how: 'expired', roundsPlayed: 0, answers: [] })).toBe(true);
      expect(await getParty(db, meta.partyId)).toMatchObject({ status: 'expired', rounds_played: 0 });
      for (const u of users) expect(await playerStats(db, u)).toEqual([]);
    });

    it('stats add up over games and categories; playerStats orders by points', async () => {
      const g1 = await game();
      const [u1, u2] = g1.users;
      expect(await recordGame(db, g1.outcome)).toBe(true);
      // A second game of the same category, u1 and u2 again.
      const meta2 = await party({ category: g1.cat, questionIds: g1.ids });
      await insertPlayer(db, meta2.partyId, u1, 'h');
      await insertPlayer(db, meta2.partyId, u2, 'h');
      const q = (round: number) => g1.ids[round - 1]!;
      expect(
        await recordGame(db, {
          partyId: meta2.partyId,
          category: g1.cat,
          how: 'abandoned',
          players: [
            { userId: meta2.host, score: 0 },
            { userId: u1, score: 0 },
            { userId: u2, score: 100 },
          ],
          answers: [
            { round: 1, userId: u1, questionId: q(1), choice: 'x', correct: false, points: 0, ms: 4000 },
            { round: 1, userId: u2, questionId: q(1), choice: 'y', correct: true, points: 100, ms: 9000 },
          ],
        }),
      ).toBe(true);
      expect((await getParty(db, meta2.partyId))!.rounds_played).toBeNull(); // not given: unknown
      expect(await playerStats(db, u1)).toEqual([
        { category: g1.cat, games: 2, answered: 3, correct: 2, accuracy: 0.6667, avg_answer_ms: 2500, points: 1400 },
      ]);
      // And a game of another category where u2 scores more than in the first.
      const other = await category(1, 'ct-game-b');
      const meta3 = await party({ category: other.category, questionIds: other.ids });
      await insertPlayer(db, meta3.partyId, u2, 'h');
      expect(
        await recordGame(db, {
          partyId: meta3.partyId,
          category: other.category,
          how: 'finished',
          players: [{ userId: u2, score: 5000 }],
          answers: [{ round: 1, userId: u2, questionId: other.ids[0]!, choice: 'z', correct: true, points: 5000, ms: 10 }],
        }),
      ).toBe(true);
      expect(await playerStats(db, u2)).toEqual([
        { category: other.category, games: 1, answered: 1, correct: 1, accuracy: 1, avg_answer_ms: 10, points: 5000 },
        { category: g1.cat, games: 2, answered: 3, correct: 2, accuracy: 0.6667, avg_answer_ms: 4500, points: 800 },
      ]);
    });

    it('leaderboard: by points, per category or over all, limited', async () => {
      const g = await game();
      const [u1, u2, u3, u4] = g.users;
      expect(await recordGame(db, g.outcome)).toBe(true);
      const board = await leaderboard(db, { category: g.cat, limit: 10 });
      expect(board).toEqual([
        { user_id: u1, points: 1400, games: 1, correct: 2, answered: 2, accuracy: 1 },
        { user_id: u3, points: 900, games: 1, correct: 1, answered: 1, accuracy: 1 },
        { user_id: u2, points: 700, games: 1, correct: 1, answered: 2, accuracy: 0.5 },
        { user_id: u4, points: 0, games: 1, correct: 0, answered: 0, accuracy: 0 },
      ]);
      expect(await leaderboard(db, { category: g.cat, limit: 2 })).toEqual(board.slice(0, 2));
      expect(await leaderboard(db, { category: uniq('ct-none'), limit: 10 })).toEqual([]);

      // Over all categories: u3 also plays another category and overtakes u1.
      const other = await category(1, 'ct-game-b');
      const meta = await party({ category: other.category, questionIds: other.ids });
      await insertPlayer(db, meta.partyId, u3, 'h');
      expect(
        await recordGame(db, {
          partyId: meta.partyId,
          category: other.category,
          how: 'finished',
          players: [{ userId: u3, score: 600 }],
          answers: [{ round: 1, userId: u3, questionId: other.ids[0]!, choice: 'z', correct: false, points: 600, ms: 10 }],
        }),
      ).toBe(true);
      const mine = new Set<string>(g.users);
      const all = (await leaderboard(db, { limit: 100_000 })).filter((r) => mine.has(r.user_id));
      expect(all.map((r) => r.user_id)).toEqual([u3, u1, u2, u4]);
      expect(all[0]).toEqual({ user_id: u3, points: 1500, games: 2, correct: 1, answered: 2, accuracy: 0.5 });
      expect((await leaderboard(db, { category: g.cat, limit: 10 })).map((r) => r.user_id)).toEqual([u1, u3, u2, u4]);
    });

    it('gameRounds: every round with its question and its answers by speed', async () => {
      const { meta, ids, cat, users, outcome } = await game();
      const [u1, u2, u3] = users;
      expect(await recordGame(db, outcome)).toBe(true);
      const rounds = await gameRounds(db, meta.partyId, ids);
      const text = (n: number) => questionInput(cat, n);
      expect(rounds).toEqual([
        {
          round: 1,
          question: text(1).question,
          correct_answer: text(1).answer,
          choices: [text(1).answer, text(1).choice1, text(1).choice2, text(1).choice3],
          answers: [
            { user_id: u1, choice: 'right 1', correct: true, points: 800, answer_ms: 1000 },
            { user_id: u2, choice: 'wrong a 1', correct: false, points: 0, answer_ms: 3000 },
          ],
        },
        {
          round: 2,
          question: text(2).question,
          correct_answer: text(2).answer,
          choices: [text(2).answer, text(2).choice1, text(2).choice2, text(2).choice3],
          answers: [
            { user_id: u3, choice: 'right 2', correct: true, points: 900, answer_ms: 500 },
            { user_id: u1, choice: 'right 2', correct: true, points: 600, answer_ms: 2500 },
          ],
        },
        {
          round: 3,
          question: text(3).question,
          correct_answer: text(3).answer,
          choices: [text(3).answer, text(3).choice1, text(3).choice2, text(3).choice3],
          answers: [{ user_id: u2, choice: 'right 3', correct: true, points: 700, answer_ms: 1500 }],
        },
      ]);
    });

    it('gameRounds of a game without answers lists empty rounds', async () => {
      const { category: cat, ids } = await category(2, 'ct-game');
      const meta = await party({ category: cat, questionIds: ids });
      const rounds = await gameRounds(db, meta.partyId, ids);
      expect(rounds.map((r) => [r.round, r.question, r.answers])).toEqual([
        [1, questionInput(cat, 1).question, []],
        [2, questionInput(cat, 2).question, []],
      ]);
    });
  });
}

function pick(q: { question: string; answer: string; choice1: string; choice2: string; choice3: string }) {
  const { question, answer, choice1, choice2, choice3 } = q;
  return { question, answer, choice1, choice2, choice3 };
}

const s = services();
const IMPLEMENTATIONS: Implementation<RepositoriesHarness>[] = [
  {
    name: 'PGlite',
    make: async () => {
      const db = await openPglite(null);
      return { db, fresh: true, cleanup: () => db.close() };
    },
  },
  {
    name: 'PostgreSQL',
    make: s
      ? async () => {
          const db = await openPostgres(s.databaseUrl, { max: 5 });
          return { db, fresh: false, cleanup: () => db.close() };
        }
      : null,
  },
];

describe.each(IMPLEMENTATIONS)('Repositories contract: $name', ({ name, make }) => {
  if (!make) {
    it.skip(`skipped: ${skipReason()}`, () => undefined);
    return;
  }
  repositoriesContract(name, make);
});
