/**
 * The live game over WebSocket against SPEC.md ("WebSocket /ws/{party_id}", "Game rules",
 * "Limits and bad input"), end to end through real sockets, in both modes: whole games,
 * scoring, timing of rounds, every error code and close code, reconnection, keep-alive,
 * abandonment and lobby expiry, and what PostgreSQL and the live store hold afterwards.
 *
 * Every app of this file runs with the same ABANDON_SECONDS / LOBBY_TTL_SECONDS: in service
 * mode all of them sweep one shared Redis deadline index, and a process with another setting
 * would compute other vacancy deadlines for the same parties.
 *
 * Questions come from a category imported per app with distinctive answer texts, so the
 * leaderboard is this file's own and a leaked answer is recognisable in any frame.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, it, vi, type ExpectStatic } from 'vitest';
import type { ServerMessage, StateMessage } from '../../src/client/quiz-client.js';
import type { PartyMeta } from '../../src/game/types.js';
import { DEADLINES_KEY } from '../../src/adapters/redis/keys.js';
import { makeApp, testModes, type TestApp } from '../helpers/app.js';
import { closeCodeOf, setupParty } from '../helpers/clients.js';
import {
  httpJson, isType, Session, sleep, specPoints, uniq, waitMessage, wsCloseWithPort, wsUrl, type LiveClient,
} from '../helpers/live.js';

const ADMIN_TOKEN = randomBytes(16).toString('hex');
/** Shared by every app of the file (see the header). */
const SHARED_ENV = { ABANDON_SECONDS: '1', LOBBY_TTL_SECONDS: '5', ADMIN_TOKEN };
/** Keep-alive and message-rate limits turned down. */
const LIMITS_ENV = { ...SHARED_ENV, PING_INTERVAL_SECONDS: '1', WS_MAX_MESSAGES_PER_SECOND: '5' };
const QUESTIONS_PER_CATEGORY = 12;

interface Fixture {
  t: TestApp;
  base: string;
  category: string;
}

type AnswerMsg = Extract<ServerMessage, { type: 'answer_result' }>;
type ScoreMsg = Extract<ServerMessage, { type: 'score' }>;
type ErrorMsg = Extract<ServerMessage, { type: 'error' }>;

const stateWhere = (status: string, round?: number) => (m: ServerMessage): m is StateMessage =>
  m.type === 'state' && m.status === status && (round === undefined || m.current_round === round);
const stateEvent = (event: string, round?: number) => (m: ServerMessage): m is StateMessage =>
  m.type === 'state' && m.event === event && (round === undefined || m.current_round === round);
const answerResult = (round: number) => (m: ServerMessage): m is AnswerMsg => m.type === 'answer_result' && m.round === round;
const scoreOf = (user: string, round: number) => (m: ServerMessage): m is ScoreMsg =>
  m.type === 'score' && m.user_id === user && m.round === round;
const errorCode = (code: string) => (m: ServerMessage): m is ErrorMsg => m.type === 'error' && m.code === code;
const anyError = (m: ServerMessage): m is ErrorMsg => m.type === 'error';

async function makeFixture(mode: TestApp['mode'], env: Record<string, string>): Promise<Fixture> {
  const t = await makeApp(mode, env);
  const base = await t.listen();
  const tag = randomBytes(3).toString('hex');
  const category = `Live ${mode} ${tag}`;
  const items = Array.from({ length: QUESTIONS_PER_CATEGORY }, (_, i) => ({
    question: `Live question ${i} of ${tag}?`,
    answer: `right-${tag}-${i}`,
    choice1: `wrong-a-${tag}-${i}`,
    choice2: `wrong-b-${tag}-${i}`,
    choice3: `wrong-c-${tag}-${i}`,
    category,
  }));
  const res = await httpJson(base, 'POST', '/api/questions', items, { authorization: `Bearer ${ADMIN_TOKEN}` });
  if (res.status !== 201 || res.body.inserted !== QUESTIONS_PER_CATEGORY) {
    throw new Error(`question import failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { t, base, category };
}

/** Problems with any frame that shows a correct answer before its reveal. */
function leaks(frames: string[], answers: string[]): string[] {
  const problems: string[] = [];
  for (const f of frames) {
    const m = JSON.parse(f) as Record<string, unknown>;
    if (m.type === 'state') {
      if (m.status !== 'reveal' && m.status !== 'finished' && 'correct_answer' in m) problems.push(`state ${m.status}/${m.event} has correct_answer: ${f}`);
    } else if ('correct_answer' in m) problems.push(`${m.type} has correct_answer: ${f}`);
    if (m.type === 'answer_result' || m.type === 'score' || m.type === 'error') {
      for (const a of answers) if (f.includes(a)) problems.push(`${m.type} frame contains the answer ${JSON.stringify(a)}: ${f}`);
    }
  }
  return problems;
}

describe.each(testModes())('live game over WebSocket (%s)', (mode) => {
  let fx: Fixture;
  let lim: Fixture;

  beforeAll(async () => {
    [fx, lim] = await Promise.all([makeFixture(mode, SHARED_ENV), makeFixture(mode, LIMITS_ENV)]);
  });
  afterAll(async () => {
    await Promise.all([fx?.t.close(), lim?.t.close()]);
  });

  const db = (f: Fixture = fx) => f.t.ctx.adapters.db;

  /** A party in this app's category, with unique player names. */
  async function party(
    f: Fixture,
    opts: { players?: number; rounds?: number; timeout?: number; reveal_seconds?: number; start_mode?: 'auto' | 'host' },
  ) {
    const host = uniq('host');
    const players = Array.from({ length: opts.players ?? 1 }, (_, i) => uniq(`p${i + 1}`));
    const p = await setupParty(f.base, {
      host,
      players,
      category: f.category,
      rounds: opts.rounds ?? 1,
      timeout: opts.timeout ?? 2,
      reveal_seconds: opts.reveal_seconds ?? 0,
      start_mode: opts.start_mode ?? 'auto',
    });
    const snap = await f.t.ctx.adapters.store.load(p.partyId, Date.now());
    if (!snap) throw new Error('party not in the live store');
    return { ...p, host, players, meta: snap.meta as PartyMeta };
  }

  const session = (f: Fixture, onTestFinished: (fn: () => void) => void) => {
    const s = new Session(f.base);
    onTestFinished(() => s.close());
    return s;
  };

  /** The live state is gone: the store has nothing, and in service mode no Redis key of the party is left. */
  async function expectLiveStateGone(expect: ExpectStatic, f: Fixture, partyId: string): Promise<void> {
    expect(await f.t.ctx.adapters.store.load(partyId, Date.now())).toBeNull();
    const redis = f.t.ctx.adapters.redis;
    if (mode === 'service') {
      expect(redis).not.toBeNull();
      expect(await redis!.keys(`party:{${partyId}}*`)).toEqual([]);
      expect(await redis!.zscore(DEADLINES_KEY, partyId)).toBeNull();
    }
  }

  async function partyRow(f: Fixture, partyId: string) {
    const { rows } = await db(f).query<{ status: string; finished_at: Date | null }>('SELECT status, finished_at FROM parties WHERE party_id = $1', [partyId]);
    return rows[0];
  }

  /** Waits until the party's durable status is `status` (the end-of-game write is asynchronous). */
  async function waitStatus(expect: ExpectStatic, f: Fixture, partyId: string, status: string, timeout = 5000): Promise<void> {
    await vi.waitFor(async () => expect((await partyRow(f, partyId))?.status).toBe(status), { timeout, interval: 50 });
  }

  // ---------------------------------------------------------------------------------------
  // 1. A whole game
  // ---------------------------------------------------------------------------------------

  it.concurrent('plays a whole 3-round game for 3 players and records it everywhere', async ({ expect, onTestFinished }) => {
    const TIMEOUT = 2;
    const ROUNDS = 3;
    const s = session(fx, onTestFinished);
    const { partyId, gameId, tokens, host, players: [p1, p2], meta } = await party(fx, { players: 2, rounds: ROUNDS, timeout: TIMEOUT });
    const names = [host, p1!, p2!];
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const c2 = await s.connect(partyId, tokens[p2!], p2);
    const spectator = await s.connect(partyId, undefined, 'spectator');
    const byName = new Map<string, LiveClient>([[host, hc], [p1!, c1], [p2!, c2]]);
    const everyone = [hc, c1, c2, spectator];
    const scores = new Map(names.map((n) => [n, 0]));
    const sent = new Map<string, number>(names.map((n) => [n, 0]));
    const accepted: { round: number; user: string; choice: string; correct: boolean; points: number; lo: number; hi: number }[] = [];

    for (let round = 1; round <= ROUNDS; round++) {
      const q = meta.questions[round - 1]!;
      const views = await Promise.all(everyone.map((c) => waitMessage(c, stateWhere('question', round), { timeoutMs: 5000, what: `question ${round}` })));
      for (const [i, { msg, at }] of views.entries()) {
        // Later connections may first see round 1 in their `connected` state; every other round is announced.
        if (round > 1 || i === 0) expect(msg.event).toBe('question');
        expect(msg.party_id).toBe(partyId);
        expect(msg.game_id).toBe(gameId);
        expect(msg.current_round).toBe(round);
        expect(msg.rounds).toBe(ROUNDS);
        expect(msg.question).toBe(q.question);
        expect(msg.choices).toHaveLength(4);
        expect([...msg.choices].sort()).toEqual([...q.choices].sort());
        expect(msg.choices).toEqual(views[0]!.msg.choices); // shuffled once per round, same for everyone
        expect(msg).not.toHaveProperty('correct_answer');
        expect(msg.deadline).toBe(views[0]!.msg.deadline);
        expect(msg.time_left_ms).toBeGreaterThan(0);
        expect(msg.time_left_ms).toBeLessThanOrEqual(TIMEOUT * 1000);
        expect(Math.abs(msg.deadline! - at - msg.time_left_ms!)).toBeLessThan(250);
        expect(msg.players.every((p) => p.answered === false)).toBe(true);
      }
      const deadline = views[0]!.msg.deadline!;
      const openedAt = deadline - TIMEOUT * 1000;
      const right = names[(round - 1) % 3]!;
      const wrong = names[round % 3]!;
      const silent = names[(round + 1) % 3]!;
      const wrongChoice = views[0]!.msg.choices.find((ch) => ch !== q.answer)!;

      const markWrong = byName.get(wrong)!.messages.length;
      expect(byName.get(wrong)!.answer(round, wrongChoice)).toBe(true);
      sent.set(wrong, sent.get(wrong)! + 1);
      await sleep(300); // answer the right one a measurable while after the round opened
      const markRight = byName.get(right)!.messages.length;
      const sendAt = Date.now();
      expect(byName.get(right)!.answer(round, q.answer)).toBe(true);
      sent.set(right, sent.get(right)! + 1);

      const rw = await waitMessage(byName.get(wrong)!, answerResult(round), { since: markWrong, what: 'answer_result' });
      const rr = await waitMessage(byName.get(right)!, answerResult(round), { since: markRight, what: 'answer_result' });
      expect(rw.msg).toMatchObject({ type: 'answer_result', round, correct: false, points: 0, score: scores.get(wrong) });
      expect(rr.msg).toMatchObject({ type: 'answer_result', round, correct: true });
      // The server measured t somewhere between our send and the result's arrival.
      const hi = specPoints(sendAt - openedAt, TIMEOUT);
      const lo = specPoints(rr.at - openedAt, TIMEOUT);
      expect(rr.msg.points).toBeGreaterThanOrEqual(lo);
      expect(rr.msg.points).toBeLessThanOrEqual(hi);
      expect(rr.msg.points).toBeLessThan(1000);
      expect(rr.msg.points).toBeGreaterThan(500);
      scores.set(right, scores.get(right)! + rr.msg.points);
      expect(rr.msg.score).toBe(scores.get(right));
      accepted.push({ round, user: wrong, choice: wrongChoice, correct: false, points: 0, lo: 0, hi: 0 });
      accepted.push({ round, user: right, choice: q.answer, correct: true, points: rr.msg.points, lo, hi });

      // `score` goes to everyone, spectator included.
      for (const c of everyone) {
        const sw = await waitMessage(c, scoreOf(wrong, round), { what: `score of ${wrong}` });
        const sr = await waitMessage(c, scoreOf(right, round), { what: `score of ${right}` });
        expect(sw.msg).toMatchObject({ type: 'score', user_id: wrong, score: scores.get(wrong), round });
        expect(sr.msg).toMatchObject({ type: 'score', user_id: right, score: scores.get(right), round });
      }

      // The silent player never answers: the round closes at its deadline, then reveals.
      const reveals = await Promise.all(everyone.map((c) => waitMessage(c, stateWhere('reveal', round), { timeoutMs: TIMEOUT * 1000 + 3000, what: `reveal ${round}` })));
      for (const { msg, at } of reveals) {
        expect(msg.event).toBe('reveal');
        expect(msg.correct_answer).toBe(q.answer);
        expect(msg.question).toBe(q.question);
        expect(at).toBeGreaterThanOrEqual(deadline);
        const flags = Object.fromEntries(msg.players.map((p) => [p.user_id, p.answered]));
        expect(flags).toEqual({ [right]: true, [wrong]: true, [silent]: false });
        expect(Object.fromEntries(msg.players.map((p) => [p.user_id, p.score]))).toEqual(Object.fromEntries(scores));
        expect(msg.players.every((p) => p.connected)).toBe(true);
      }
    }

    const finals = await Promise.all(everyone.map((c) => waitMessage(c, stateEvent('finished'), { timeoutMs: 5000, what: 'finished' })));
    const expectedPlayers = names.map((n) => ({ user_id: n, score: scores.get(n)! }))
      .sort((a, b) => b.score - a.score || (a.user_id < b.user_id ? -1 : 1));
    for (const [i, { msg }] of finals.entries()) {
      expect(msg.status).toBe('finished');
      expect(msg.players.map((p) => ({ user_id: p.user_id, score: p.score }))).toEqual(expectedPlayers);
      expect(msg.correct_answer).toBe(meta.questions[ROUNDS - 1]!.answer);
      // The last round has its reveal too, before the end.
      const c = everyone[i]!;
      const events = c.messages.filter((m): m is StateMessage => m.type === 'state' && m.event !== 'connected' && m.event !== 'player_joined')
        .map((m) => `${m.event}:${m.current_round}`);
      if (i === 0) expect(events[0]).toBe('question:1'); // the host's connection opened round 1
      expect(events.filter((e) => e !== 'question:1')).toEqual(['reveal:1', 'question:2', 'reveal:2', 'question:3', 'reveal:3', `finished:${ROUNDS}`]);
    }
    // answer_result only to the one who answered, once per answer.
    for (const n of names) expect(byName.get(n)!.messages.filter((m) => m.type === 'answer_result')).toHaveLength(sent.get(n)!);
    expect(spectator.messages.filter((m) => m.type === 'answer_result')).toHaveLength(0);
    for (const c of everyone) expect(leaks(c.frames, meta.questions.map((q) => q.answer))).toEqual([]);
    // The server closes every socket of a finished game normally.
    await vi.waitFor(() => expect(everyone.map((c) => c.lastCloseCode)).toEqual([1000, 1000, 1000, 1000]), { timeout: 3000, interval: 20 });

    // PostgreSQL has the result.
    await waitStatus(expect, fx, partyId, 'finished');
    expect((await partyRow(fx, partyId))!.finished_at).not.toBeNull();
    const { rows: pp } = await db().query<{ user_id: string; score: number }>('SELECT user_id, score FROM party_players WHERE party_id = $1', [partyId]);
    expect(Object.fromEntries(pp.map((r) => [r.user_id, Number(r.score)]))).toEqual(Object.fromEntries(scores));
    const { rows: answers } = await db().query<{ round: number; user_id: string; question_id: number; choice: string; correct: boolean; points: number; answer_ms: number }>(
      'SELECT round, user_id, question_id, choice, correct, points, answer_ms FROM answers WHERE party_id = $1 ORDER BY round, user_id',
      [partyId],
    );
    expect(answers).toHaveLength(accepted.length);
    const sortedAccepted = [...accepted].sort((a, b) => a.round - b.round || (a.user < b.user ? -1 : 1));
    for (const [i, row] of answers.entries()) {
      const a = sortedAccepted[i]!;
      expect({ round: row.round, user_id: row.user_id, question_id: row.question_id, choice: row.choice, correct: row.correct, points: row.points })
        .toEqual({ round: a.round, user_id: a.user, question_id: meta.questions[a.round - 1]!.id, choice: a.choice, correct: a.correct, points: a.points });
      expect(row.answer_ms).toBeGreaterThanOrEqual(0);
      expect(row.answer_ms).toBeLessThanOrEqual(TIMEOUT * 1000);
      if (a.correct) expect(row.points).toBe(specPoints(row.answer_ms, TIMEOUT));
    }
    const { rows: stats } = await db().query<{ user_id: string; games: number; answered: number; correct: number; points: string | number }>(
      'SELECT user_id, games, answered, correct, points FROM player_category_stats WHERE category = $1 AND user_id = ANY($2::text[])',
      [fx.category, names],
    );
    expect(stats).toHaveLength(3);
    for (const r of stats) {
      const mine = accepted.filter((a) => a.user === r.user_id);
      expect({ games: r.games, answered: r.answered, correct: r.correct, points: Number(r.points) }).toEqual({
        games: 1, answered: mine.length, correct: mine.filter((a) => a.correct).length, points: scores.get(r.user_id),
      });
    }

    // The live state is deleted.
    await vi.waitFor(() => expectLiveStateGone(expect, fx, partyId), { timeout: 3000, interval: 50 });

    // HTTP views of the finished game.
    const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
    expect(qd.status).toBe(200);
    expect(qd.body.status).toBe('finished');
    expect(qd.body.players.map((p: { user_id: string; score: number }) => ({ user_id: p.user_id, score: p.score }))).toEqual(expectedPlayers);

    const game = await httpJson(fx.base, 'GET', `/api/games/${gameId}`);
    expect(game.status).toBe(200);
    expect(game.body).toMatchObject({ game_id: gameId, party_id: partyId, category: fx.category, status: 'finished', host });
    expect(game.body.ranking.map((r: { user_id: string; score: number }) => ({ user_id: r.user_id, score: r.score }))).toEqual(expectedPlayers);
    expect(game.body.ranking[0].rank).toBe(1);
    expect(game.body.rounds).toHaveLength(ROUNDS);
    for (const [i, r] of (game.body.rounds as { round: number; question: string; correct_answer: string; choices: string[]; answers: { user_id: string; choice: string; correct: boolean; points: number }[] }[]).entries()) {
      const q = meta.questions[i]!;
      expect(r).toMatchObject({ round: i + 1, question: q.question, correct_answer: q.answer });
      expect([...r.choices].sort()).toEqual([...q.choices].sort());
      const mine = accepted.filter((a) => a.round === i + 1);
      expect(r.answers.map((a) => ({ user_id: a.user_id, choice: a.choice, correct: a.correct, points: a.points })).sort((a, b) => (a.user_id < b.user_id ? -1 : 1)))
        .toEqual(mine.map((a) => ({ user_id: a.user, choice: a.choice, correct: a.correct, points: a.points })).sort((a, b) => (a.user_id < b.user_id ? -1 : 1)));
    }

    for (const n of names) {
      const st = await httpJson(fx.base, 'GET', `/api/players/${encodeURIComponent(n)}/stats`);
      expect(st.status).toBe(200);
      expect(st.body.user_id).toBe(n);
      const mine = accepted.filter((a) => a.user === n);
      const line = (st.body.categories as { category: string; avg_answer_ms: unknown }[]).find((c) => c.category === fx.category);
      expect(line).toMatchObject({
        category: fx.category, games: 1, answered: mine.length, correct: mine.filter((a) => a.correct).length,
        accuracy: mine.filter((a) => a.correct).length / mine.length, points: scores.get(n),
      });
      expect(typeof line?.avg_answer_ms).toBe('number');
      expect(st.body.feedback).toMatchObject({ strongest: fx.category, weakest: fx.category });
      expect(typeof st.body.feedback.message).toBe('string');
    }

    const board = await httpJson(fx.base, 'GET', `/api/leaderboard?category=${encodeURIComponent(fx.category)}&limit=100`);
    expect(board.status).toBe(200);
    const listed = board.body as { rank: number; user_id: string; points: number; games: number }[];
    for (const n of names) expect(listed.find((r) => r.user_id === n)).toMatchObject({ points: scores.get(n), games: 1 });
    for (let i = 1; i < listed.length; i++) expect(listed[i - 1]!.points).toBeGreaterThanOrEqual(listed[i]!.points);
  });

  it.concurrent('answers 404 for unknown ids and 422 for a bad leaderboard limit', async ({ expect }) => {
    const unknown = randomUUID();
    for (const path of [
      `/api/games/${unknown}`, '/api/games/not-a-uuid', `/api/players/${uniq('nobody')}/stats`,
      `/api/party/${unknown}/question_data`, '/api/party/not-a-uuid/question_data',
    ]) {
      const res = await httpJson(fx.base, 'GET', path);
      expect(res.status, path).toBe(404);
      expect(typeof res.body.code, path).toBe('string');
      expect(typeof res.body.detail, path).toBe('string');
    }
    for (const limit of ['0', '101', 'abc', '-1', '1.5']) {
      const res = await httpJson(fx.base, 'GET', `/api/leaderboard?limit=${limit}`);
      expect(res.status, `limit=${limit}`).toBe(422);
      expect(res.body.code).toBe('validation_error');
    }
    expect((await httpJson(fx.base, 'GET', '/api/leaderboard?limit=100')).status).toBe(200);
  });

  // ---------------------------------------------------------------------------------------
  // 2. The correct answer never leaks before its reveal
  // ---------------------------------------------------------------------------------------

  it.concurrent('never shows a correct answer before its reveal, on any socket or route', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, gameId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 2, timeout: 5, reveal_seconds: 1 });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const spectator = await s.connect(partyId, undefined, 'spectator');
    const raw = s.raw(partyId, tokens[p1!], 'raw p1'); // a second socket of p1
    await raw.next(isType('state'));
    for (let round = 1; round <= 2; round++) {
      const q = meta.questions[round - 1]!;
      const { msg } = await waitMessage(hc, stateWhere('question', round), { what: `question ${round}` });
      const during = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
      expect(during.body.status).toBe('question');
      expect(during.body).not.toHaveProperty('correct_answer');
      expect(JSON.stringify(during.body.players)).not.toContain(q.answer);
      const game = await httpJson(fx.base, 'GET', `/api/games/${gameId}`);
      expect(game.status).toBe(404); // results (with answers) only once the game is over
      hc.answer(round, msg.choices.find((c) => c !== q.answer)!);
      c1.answer(round, q.answer);
      await waitMessage(spectator, stateWhere('reveal', round), { what: `reveal ${round}` });
    }
    await waitMessage(spectator, stateEvent('finished'), { what: 'finished' });
    await raw.closedWithin(3000);
    const answers = meta.questions.map((q) => q.answer);
    for (const frames of [hc.frames, c1.frames, spectator.frames, raw.frames]) {
      expect(frames.length).toBeGreaterThan(3);
      expect(leaks(frames, answers)).toEqual([]);
    }
    // Sanity of the scanner itself: it does flag a leaking frame.
    expect(leaks([JSON.stringify({ type: 'state', status: 'question', correct_answer: 'x' })], ['x'])).toHaveLength(1);
    expect(leaks([JSON.stringify({ type: 'score', user_id: 'u', score: 1, round: 1, note: 'Quetzalcoatl' })], ['Quetzalcoatl'])).toHaveLength(1);
  });

  // ---------------------------------------------------------------------------------------
  // 3-5. Round timing
  // ---------------------------------------------------------------------------------------

  it.concurrent('closes a round early once every connected player has answered (spectators do not count)', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1, p2], meta } = await party(fx, { players: 2, rounds: 2, timeout: 30 });
    const clients = [await s.connect(partyId, tokens[host], host), await s.connect(partyId, tokens[p1!], p1), await s.connect(partyId, tokens[p2!], p2)];
    const spectator = await s.connect(partyId, undefined, 'spectator');
    for (let round = 1; round <= 2; round++) {
      const q = await waitMessage(spectator, stateWhere('question', round), { what: `question ${round}` });
      for (const c of clients) c.answer(round, meta.questions[round - 1]!.answer);
      const reveal = await waitMessage(spectator, stateWhere('reveal', round), { timeoutMs: 3000, what: `early reveal ${round}` });
      expect(reveal.at - q.at).toBeLessThan(3000);
      expect(reveal.msg.deadline).toBeNull();
      expect(reveal.at).toBeLessThan(q.msg.deadline! - 25_000);
      expect(reveal.msg.players.every((p) => p.answered)).toBe(true);
    }
    await waitMessage(spectator, stateEvent('finished'), { timeoutMs: 3000, what: 'finished' });
  });

  it.concurrent('closes a round early when every player still connected has answered, after one left', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1, p2], meta } = await party(fx, { players: 2, rounds: 1, timeout: 30 });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const c2 = await s.connect(partyId, tokens[p2!], p2);
    await waitMessage(hc, stateWhere('question', 1));
    c2.close();
    await vi.waitFor(async () => {
      const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
      expect(qd.body.players.find((p: { user_id: string }) => p.user_id === p2).connected).toBe(false);
    }, { timeout: 3000, interval: 25 });
    const answeredAt = Date.now();
    hc.answer(1, meta.questions[0]!.answer);
    c1.answer(1, meta.questions[0]!.answer);
    const reveal = await waitMessage(hc, stateWhere('reveal', 1), { timeoutMs: 3000, what: 'reveal after the remaining players answered' });
    expect(reveal.at - answeredAt).toBeLessThan(3000);
  });

  it.concurrent('closes a round at its deadline when a player has not answered', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 1, timeout: 1, reveal_seconds: 2 });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const q = await waitMessage(c1, stateWhere('question', 1));
    hc.answer(1, meta.questions[0]!.answer);
    await waitMessage(hc, answerResult(1));
    const reveal = await waitMessage(c1, stateWhere('reveal', 1), { timeoutMs: 3000, what: 'reveal at the deadline' });
    const deadline = q.msg.deadline!;
    expect(reveal.at).toBeGreaterThanOrEqual(deadline);
    expect(reveal.at - deadline).toBeLessThanOrEqual(1500);
    expect(Object.fromEntries(reveal.msg.players.map((p) => [p.user_id, p.answered]))).toEqual({ [host]: true, [p1!]: false });
    // Answering once the deadline has passed is refused.
    const mark = c1.messages.length;
    c1.answer(1, meta.questions[0]!.answer);
    expect((await waitMessage(c1, anyError, { since: mark })).msg.code).toBe('round_closed');
  });

  it.concurrent('keeps each reveal open for reveal_seconds, the last one included', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, meta } = await party(fx, { players: 0, rounds: 2, timeout: 5, reveal_seconds: 1 });
    const hc = await s.connect(partyId, tokens[host], host);
    await waitMessage(hc, stateWhere('question', 1));
    hc.answer(1, meta.questions[0]!.answer);
    const reveal1 = await waitMessage(hc, stateWhere('reveal', 1), { timeoutMs: 3000 });
    const q2 = await waitMessage(hc, stateEvent('question', 2), { timeoutMs: 4000 });
    expect(q2.at - reveal1.at).toBeGreaterThanOrEqual(950);
    expect(q2.at - reveal1.at).toBeLessThanOrEqual(2500);
    hc.answer(2, meta.questions[1]!.answer);
    const reveal2 = await waitMessage(hc, stateWhere('reveal', 2), { timeoutMs: 3000 });
    const fin = await waitMessage(hc, stateEvent('finished'), { timeoutMs: 4000 });
    expect(fin.at - reveal2.at).toBeGreaterThanOrEqual(950);
    expect(fin.at - reveal2.at).toBeLessThanOrEqual(2500);
  });

  // ---------------------------------------------------------------------------------------
  // 6. Every error code
  // ---------------------------------------------------------------------------------------

  it.concurrent('refuses malformed frames with bad_message and keeps the connection', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, players: [p1] } = await party(fx, { players: 1, rounds: 1, timeout: 30, start_mode: 'host' });
    const raw = s.raw(partyId, tokens[p1!], 'raw p1');
    await raw.next(isType('state'));
    const bad: (string | Buffer)[] = [
      'this is not json',
      '{"type":"answer","round":1,',
      '[]',
      'null',
      '"ping"',
      '{"no_type":true}',
      '{"type":"dance"}',
      '{"type":"answer","round":1}',
      '{"type":"answer","choice":"x"}',
      '{"type":"answer","round":"1","choice":"x"}',
      '{"type":"answer","round":1.5,"choice":"x"}',
      '{"type":"answer","round":1,"choice":42}',
      '{"type":"auth"}',
      '{"type":"auth","token":7}',
      Buffer.from(JSON.stringify({ type: 'ping' })), // binary frame, even of valid JSON
    ];
    for (const frame of bad) {
      const mark = raw.messages.length;
      if (Buffer.isBuffer(frame)) raw.ws.send(frame, { binary: true });
      else raw.send(frame);
      const reply = await raw.next((m) => m.type !== undefined, { since: mark, what: `reply to ${String(frame)}` });
      expect(reply.msg, String(frame)).toMatchObject({ type: 'error', code: 'bad_message' });
      expect(typeof reply.msg.detail).toBe('string');
      expect((reply.msg.detail as string).length).toBeGreaterThan(0);
    }
    const mark = raw.messages.length;
    raw.json({ type: 'ping' });
    expect((await raw.next((m) => m.type !== undefined, { since: mark })).msg).toMatchObject({ type: 'pong' });
    expect(raw.isOpen).toBe(true);
    // Nothing of the above touched the party.
    const snap = await fx.t.ctx.adapters.store.load(partyId, Date.now());
    expect(snap?.phase.status).toBe('lobby');
    expect(snap?.players.every((p) => p.score === 0)).toBe(true);
  });

  it.concurrent('answers every game error code: not_a_player, not_host, wrong_round, invalid_choice, already_answered, round_closed', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 2, timeout: 1, reveal_seconds: 3, start_mode: 'host' });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const spectator = await s.connect(partyId, undefined, 'spectator');
    const expectError = async (c: LiveClient, send: () => void, code: string) => {
      const mark = c.messages.length;
      send();
      const { msg } = await waitMessage(c, (m) => m.type === 'error' || m.type === 'answer_result', { since: mark, what: `error ${code}` });
      expect(msg, code).toMatchObject({ type: 'error', code });
      expect((msg as ErrorMsg).detail.length).toBeGreaterThan(0);
    };
    await expectError(spectator, () => spectator.start(), 'not_a_player');
    await expectError(c1, () => c1.start(), 'not_host');
    expect((await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`)).body.status).toBe('lobby');

    hc.start();
    const q1 = await waitMessage(c1, stateWhere('question', 1));
    const q = meta.questions[0]!;
    await expectError(spectator, () => spectator.answer(1, q.answer), 'not_a_player');
    await expectError(c1, () => c1.answer(2, q.answer), 'wrong_round');
    await expectError(c1, () => c1.answer(1, 'not one of the choices'), 'invalid_choice');
    await expectError(c1, () => c1.answer(1, q.answer.toUpperCase()), 'invalid_choice');
    const mark = c1.messages.length;
    c1.answer(1, q1.msg.choices.find((c) => c !== q.answer)!);
    expect((await waitMessage(c1, answerResult(1), { since: mark })).msg).toMatchObject({ correct: false, points: 0 });
    await expectError(c1, () => c1.answer(1, q.answer), 'already_answered');
    await expectError(c1, () => c1.answer(1, q1.msg.choices.find((c) => c !== q.answer)!), 'already_answered');

    // The host did not answer: the round closes at its deadline and stays in reveal for 3 s.
    await waitMessage(hc, stateWhere('reveal', 1), { timeoutMs: 3000 });
    await expectError(hc, () => hc.answer(1, q.answer), 'round_closed');
    await expectError(c1, () => c1.answer(1, q.answer), 'round_closed');
    await expectError(hc, () => hc.answer(2, meta.questions[1]!.answer), 'wrong_round');
    const snap = await fx.t.ctx.adapters.store.load(partyId, Date.now());
    expect(snap?.players.every((p) => p.score === 0)).toBe(true);
  });

  it.concurrent('rate-limits a flood: one rate_limited error, then close 1008', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, players: [p1] } = await party(fx, { players: 1, rounds: 1, timeout: 30, start_mode: 'host' });
    const raw = s.raw(partyId, tokens[p1!], 'flooder');
    await raw.next(isType('state'));
    for (let i = 0; i < 60; i++) raw.json({ type: 'ping' });
    const closed = await raw.closedWithin(3000);
    expect(closed.code).toBe(1008);
    expect(raw.messages.filter((m) => m.type === 'error' && m.code === 'rate_limited')).toHaveLength(1);
    expect(raw.messages.filter((m) => m.type === 'pong').length).toBeLessThanOrEqual(20);
    // The party is unaffected and other sockets still work.
    const other = await s.connect(partyId, tokens[p1!], p1);
    expect(other.state?.status).toBe('lobby');
  });

  // ---------------------------------------------------------------------------------------
  // 7. Close codes, spectators, auth by message
  // ---------------------------------------------------------------------------------------

  it.concurrent('closes 4404 for an unknown or malformed party id', async ({ expect }) => {
    const ws = fx.base.replace(/^http/, 'ws');
    for (const id of [randomUUID(), 'not-a-uuid', '12345', `${randomUUID()}x`, '%00%01', 'a'.repeat(100)]) {
      const { code } = await closeCodeOf(`${ws}/ws/${id}`, undefined, 5000);
      expect(code, id).toBe(4404);
    }
    const { code } = await closeCodeOf(`${ws}/ws/${randomUUID()}?token=abc.def`, undefined, 5000);
    expect(code).toBe(4404);
  });

  it.concurrent('closes 4404 for ids the router cannot parse (over-long, bad percent-encoding), leaking no socket', async ({ expect }) => {
    // Ids a router may refuse before any route or hook runs: longer than a parameter limit
    // (Fastify's default is 100 characters), or not percent-decodable. SPEC: a malformed id
    // is an unknown party (4404); and the server must release the socket either way.
    const server = fx.t.app.server;
    const serverSide = new Map<number, Socket>();
    const onConnection = (sock: Socket) => {
      if (sock.remotePort) serverSide.set(sock.remotePort, sock);
    };
    server.on('connection', onConnection);
    const ws = fx.base.replace(/^http/, 'ws');
    const outcomes: Record<string, { code: number; serverSocketClosed: boolean }> = {};
    try {
      for (const id of ['a'.repeat(101), 'b'.repeat(300), '%zz', '%C0%80']) {
        const { code, localPort } = await wsCloseWithPort(`${ws}/ws/${id}`);
        const sock = localPort === null ? undefined : serverSide.get(localPort);
        let serverSocketClosed = true;
        if (sock) {
          // The client is gone; the server must let go of its side too (else app.close() hangs).
          serverSocketClosed = await Promise.race([
            new Promise<boolean>((r) => (sock.destroyed ? r(true) : sock.once('close', () => r(true)))),
            sleep(2000).then(() => false),
          ]);
          sock.destroy(); // clean up either way, so the app can still shut down
        }
        outcomes[id.slice(0, 12)] = { code, serverSocketClosed };
      }
    } finally {
      server.off('connection', onConnection);
    }
    expect(outcomes).toEqual({
      [('a'.repeat(101)).slice(0, 12)]: { code: 4404, serverSocketClosed: true },
      [('b'.repeat(300)).slice(0, 12)]: { code: 4404, serverSocketClosed: true },
      '%zz': { code: 4404, serverSocketClosed: true },
      '%C0%80': { code: 4404, serverSocketClosed: true },
    });
  });

  it.concurrent('closes 4401 for a bad token in the query or in a first auth message', async ({ expect }) => {
    const a = await party(fx, { players: 1, rounds: 1, timeout: 30, start_mode: 'host' });
    const b = await party(fx, { players: 0, rounds: 1, timeout: 30, start_mode: 'host' });
    const [p1] = a.players;
    const forged = `${Buffer.from(p1!, 'utf8').toString('base64url')}.${randomBytes(16).toString('base64url')}`;
    const badTokens = ['garbage', forged, b.tokens[b.host]!, `${a.tokens[p1!]!}x`];
    for (const token of badTokens) {
      const q = await closeCodeOf(wsUrl(fx.base, a.partyId, token), undefined, 5000);
      expect(q.code, `query ${token}`).toBe(4401);
      expect(q.frames.some((f) => f.includes('"state"'))).toBe(false);
      const m = await closeCodeOf(wsUrl(fx.base, a.partyId), (ws) => ws.send(JSON.stringify({ type: 'auth', token })), 5000);
      expect(m.code, `auth message ${token}`).toBe(4401);
    }
    // Still in the lobby, nobody joined, nothing started.
    const qd = await httpJson(fx.base, 'GET', `/api/party/${a.partyId}/question_data`);
    expect(qd.body.status).toBe('lobby');
    expect(qd.body.players).toHaveLength(2);
  });

  it.concurrent('closes 1009 for a frame over 4 KiB and accepts one of exactly 4 KiB', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, players: [p1] } = await party(fx, { players: 1, rounds: 1, timeout: 30, start_mode: 'host' });
    const raw = s.raw(partyId, tokens[p1!]);
    await raw.next(isType('state'));
    const frame = (size: number) => {
      const head = '{"type":"ping","pad":"';
      return `${head}${'x'.repeat(size - head.length - 2)}"}`;
    };
    expect(Buffer.byteLength(frame(4096))).toBe(4096);
    const mark = raw.messages.length;
    raw.send(frame(4096));
    expect((await raw.next((m) => m.type !== undefined, { since: mark })).msg.type).toBe('pong');
    raw.send(frame(4097));
    expect((await raw.closedWithin(3000)).code).toBe(1009);
    const big = await closeCodeOf(wsUrl(fx.base, partyId), (ws) => ws.send('x'.repeat(64 * 1024)), 5000);
    expect(big.code).toBe(1009);
  });

  it.concurrent('lets a spectator watch, and a socket authenticate with a first auth message', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 1, timeout: 30 });
    const spectator = await s.connect(partyId, undefined, 'spectator');
    const first = spectator.messages[0] as StateMessage;
    expect(first).toMatchObject({ type: 'state', event: 'connected', party_id: partyId });
    const hc = await s.connect(partyId, tokens[host], host);
    // p1 connects with no token, then authenticates by message.
    const late = await s.connect(partyId, undefined, 'late auth');
    const mark = late.messages.length;
    late.send({ type: 'auth', token: tokens[p1!]! });
    const authed = await waitMessage(late, stateEvent('connected'), { since: mark, what: 'state after auth' });
    expect(authed.msg.players.find((p) => p.user_id === p1)?.connected).toBe(true);
    const again = late.messages.length;
    late.send({ type: 'auth', token: tokens[p1!]! });
    expect((await waitMessage(late, anyError, { since: again })).msg.code).toBe('bad_message');

    const q = await waitMessage(late, stateWhere('question', 1));
    const m1 = late.messages.length;
    late.answer(1, meta.questions[0]!.answer);
    expect((await waitMessage(late, answerResult(1), { since: m1 })).msg).toMatchObject({ correct: true });
    hc.answer(1, q.msg.choices.find((c) => c !== meta.questions[0]!.answer)!);
    // The spectator received every broadcast: the question, both scores, the reveal and the end.
    await waitMessage(spectator, scoreOf(p1!, 1));
    await waitMessage(spectator, scoreOf(host, 1));
    const reveal = await waitMessage(spectator, stateWhere('reveal', 1), { timeoutMs: 3000 });
    expect(reveal.msg.correct_answer).toBe(meta.questions[0]!.answer);
    await waitMessage(spectator, stateEvent('finished'));
    expect(spectator.messages.some(stateWhere('question', 1))).toBe(true);
    expect(spectator.messages.filter((m) => m.type === 'answer_result' || m.type === 'error')).toEqual([]);

    // A raw socket whose very first frame is auth (sent before the server's first state) works too.
    const { partyId: other, tokens: t2, host: h2 } = await party(fx, { players: 0, rounds: 1, timeout: 30, start_mode: 'host' });
    const raw = s.raw(other, undefined, 'auth first');
    await raw.opened;
    raw.json({ type: 'auth', token: t2[h2] });
    raw.json({ type: 'start' });
    const opened = await raw.next((m) => m.type === 'state' && m.status === 'question', { what: 'question after auth + start' });
    expect(opened.msg.current_round).toBe(1);
    expect(raw.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  // ---------------------------------------------------------------------------------------
  // 8. Host start mode
  // ---------------------------------------------------------------------------------------

  it.concurrent('host start mode: stays in the lobby until the host starts, once', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 1, timeout: 30, start_mode: 'host' });
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const hc = await s.connect(partyId, tokens[host], host);
    const spectator = await s.connect(partyId, undefined, 'spectator');
    for (const c of [c1, hc, spectator]) {
      expect(c.state).toMatchObject({ status: 'lobby', question: null, choices: [], deadline: null, time_left_ms: null });
      expect(c.state).not.toHaveProperty('correct_answer');
    }
    // A round trip on every socket: nothing opened a question meanwhile.
    for (const c of [c1, hc, spectator]) {
      const mark = c.messages.length;
      c.send({ type: 'ping' });
      await waitMessage(c, (m) => m.type === 'pong', { since: mark });
    }
    for (const c of [c1, hc, spectator]) expect(c.messages.some((m) => m.type === 'state' && m.status !== 'lobby')).toBe(false);
    expect((await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`)).body.status).toBe('lobby');

    const mark = hc.messages.length;
    hc.start();
    for (const c of [c1, hc, spectator]) {
      const q = await waitMessage(c, stateEvent('question', 1), { what: 'question 1 after start' });
      expect(q.msg.question).toBe(meta.questions[0]!.question);
      expect(q.msg.time_left_ms).toBeGreaterThan(25_000);
    }
    const second = hc.messages.length;
    hc.start();
    expect((await waitMessage(hc, anyError, { since: second })).msg.code).toBe('bad_message');
    expect(hc.messages.slice(mark).filter((m) => m.type === 'state' && m.event === 'question')).toHaveLength(1);
  });

  // ---------------------------------------------------------------------------------------
  // 9. Reconnection
  // ---------------------------------------------------------------------------------------

  it.concurrent('gives a reconnecting player back its score and lets it answer the next round', async ({ expect, onTestFinished }) => {
    const TIMEOUT = 2;
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 2, timeout: TIMEOUT });
    const hc = await s.connect(partyId, tokens[host], host);
    const first = await s.connect(partyId, tokens[p1!], p1);
    await waitMessage(first, stateWhere('question', 1));
    first.answer(1, meta.questions[0]!.answer);
    const r1 = await waitMessage(first, answerResult(1));
    expect(r1.msg.score).toBeGreaterThan(0);
    first.close();
    await vi.waitFor(async () => {
      const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
      expect(qd.body.players.find((p: { user_id: string }) => p.user_id === p1)).toMatchObject({ connected: false, score: r1.msg.score });
    }, { timeout: 3000, interval: 25 });

    const back = s.client(partyId, tokens[p1!], `${p1} again`);
    const st = await back.connect();
    expect(st.event).toBe('connected');
    expect(st.players.find((p) => p.user_id === p1)).toMatchObject({ score: r1.msg.score, connected: true });
    expect(st.players.find((p) => p.user_id === host)).toMatchObject({ connected: true });

    const q2 = await waitMessage(back, stateEvent('question', 2), { timeoutMs: TIMEOUT * 1000 + 3000 });
    expect(q2.msg.players.find((p) => p.user_id === p1)).toMatchObject({ score: r1.msg.score, connected: true, answered: false });
    const hostView = await waitMessage(hc, stateEvent('question', 2));
    expect(hostView.msg.players.find((p) => p.user_id === p1)?.connected).toBe(true);
    const mark = back.messages.length;
    back.answer(2, meta.questions[1]!.answer);
    const r2 = await waitMessage(back, answerResult(2), { since: mark });
    expect(r2.msg.correct).toBe(true);
    expect(r2.msg.score).toBe(r1.msg.score + r2.msg.points);
    const fin = await waitMessage(hc, stateEvent('finished'), { timeoutMs: TIMEOUT * 1000 + 3000 });
    expect(fin.msg.players.find((p) => p.user_id === p1)?.score).toBe(r2.msg.score);
  });

  // ---------------------------------------------------------------------------------------
  // 10. ping / pong and keep-alive
  // ---------------------------------------------------------------------------------------

  it.concurrent('answers an app-level ping with pong', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host } = await party(fx, { players: 0, rounds: 1, timeout: 30, start_mode: 'host' });
    for (const c of [await s.connect(partyId, tokens[host], host), await s.connect(partyId, undefined, 'spectator')]) {
      const mark = c.messages.length;
      expect(c.send({ type: 'ping' })).toBe(true);
      const { msg } = await waitMessage(c, (m) => m.type === 'pong' || m.type === 'error', { since: mark });
      expect(msg).toMatchObject({ type: 'pong' });
    }
  });

  it.concurrent('drops a socket that ignores protocol pings and keeps one that answers them', async ({ expect, onTestFinished }) => {
    const s = session(lim, onTestFinished);
    const { partyId, tokens, host, players: [p1] } = await party(lim, { players: 1, rounds: 1, timeout: 60, start_mode: 'host' });
    const good = await s.connect(partyId, tokens[host], host);
    const deaf = s.raw(partyId, tokens[p1!], 'no pongs', { autoPong: false });
    let pings = 0;
    deaf.ws.on('ping', () => (pings += 1));
    await deaf.next(isType('state'));
    const since = Date.now();
    const closed = await deaf.closedWithin(4500);
    expect(closed.at - since).toBeLessThanOrEqual(4500);
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(good.status).toBe('open');
    const mark = good.messages.length;
    good.send({ type: 'ping' });
    expect((await waitMessage(good, (m) => m.type === 'pong', { since: mark })).msg.type).toBe('pong');
    // The server saw the drop: p1 is no longer connected.
    await vi.waitFor(async () => {
      const qd = await httpJson(lim.base, 'GET', `/api/party/${partyId}/question_data`);
      expect(qd.body.players.find((p: { user_id: string }) => p.user_id === p1).connected).toBe(false);
    }, { timeout: 3000, interval: 50 });
  });

  // ---------------------------------------------------------------------------------------
  // 11. Abandonment and lobby expiry
  // ---------------------------------------------------------------------------------------

  it.concurrent('concludes a started game once everyone has left for ABANDON_SECONDS', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, gameId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 3, timeout: 30 });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    await waitMessage(hc, stateWhere('question', 1));
    hc.answer(1, meta.questions[0]!.answer);
    const r = await waitMessage(hc, answerResult(1));
    // The host (answered) leaves first, then p1 (not answered): no round closes meanwhile.
    hc.close();
    await vi.waitFor(async () => {
      const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
      expect(qd.body.players.find((p: { user_id: string }) => p.user_id === host).connected).toBe(false);
    }, { timeout: 3000, interval: 25 });
    c1.close();
    const leftAt = Date.now();
    await waitStatus(expect, fx, partyId, 'abandoned', 8000);
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(900);
    const { rows: answers } = await db().query<{ user_id: string; round: number; points: number; correct: boolean }>(
      'SELECT user_id, round, points, correct FROM answers WHERE party_id = $1', [partyId]);
    expect(answers).toEqual([{ user_id: host, round: 1, points: r.msg.points, correct: true }]);
    const { rows: pp } = await db().query<{ user_id: string; score: number }>('SELECT user_id, score FROM party_players WHERE party_id = $1 ORDER BY user_id', [partyId]);
    expect(Object.fromEntries(pp.map((x) => [x.user_id, Number(x.score)]))).toEqual({ [host]: r.msg.score, [p1!]: 0 });
    await vi.waitFor(() => expectLiveStateGone(expect, fx, partyId), { timeout: 3000, interval: 50 });
    const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
    expect(qd.body.status).toBe('finished');
    expect(qd.body.players.find((p: { user_id: string }) => p.user_id === host).score).toBe(r.msg.score);
    const game = await httpJson(fx.base, 'GET', `/api/games/${gameId}`);
    expect(game.status).toBe(200);
    expect(game.body.status).toBe('abandoned');
    // A reconnecting player now gets the final state and a normal close.
    const after = await closeCodeOf(wsUrl(fx.base, partyId, tokens[p1!]), undefined, 5000);
    expect(after.code).toBe(1000);
    expect(JSON.parse(after.frames[0]!)).toMatchObject({ type: 'state', status: 'finished' });
  });

  it.concurrent('concludes an abandoned game on time even when a reveal ends while nobody is connected', async ({ expect, onTestFinished }) => {
    const REVEAL = 2;
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 3, timeout: 30, reveal_seconds: REVEAL });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    await waitMessage(hc, stateWhere('question', 1));
    hc.answer(1, meta.questions[0]!.answer);
    c1.answer(1, meta.questions[0]!.answer);
    const reveal = await waitMessage(hc, stateWhere('reveal', 1), { timeoutMs: 3000 });
    // Leave half a second before the reveal ends: it ends (and round 2, 30 s long, opens)
    // while the party is empty, half a second before ABANDON_SECONDS=1 has passed.
    await sleep(REVEAL * 1000 - 500 - (Date.now() - reveal.at));
    hc.close();
    c1.close();
    const leftAt = Date.now();
    await waitStatus(expect, fx, partyId, 'abandoned', 4000);
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(900);
    const { rows } = await db().query('SELECT user_id FROM answers WHERE party_id = $1', [partyId]);
    expect(rows).toHaveLength(2);
    await vi.waitFor(() => expectLiveStateGone(expect, fx, partyId), { timeout: 3000, interval: 50 });
  });

  it.concurrent('expires a host-mode lobby LOBBY_TTL_SECONDS after its last connection left', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host } = await party(fx, { players: 1, rounds: 1, timeout: 30, start_mode: 'host' });
    const hc = await s.connect(partyId, tokens[host], host);
    expect(hc.state?.status).toBe('lobby');
    hc.close();
    const leftAt = Date.now();
    await vi.waitFor(async () => expect((await partyRow(fx, partyId))?.status).toBe('expired'), { timeout: 10_000, interval: 100 });
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(4500);
    const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
    expect(qd.status).toBe(200);
    expect(qd.body.status).toBe('finished');
    await expectLiveStateGone(expect, fx, partyId);
    const join = await httpJson(fx.base, 'POST', `/api/party/${partyId}/join`, { user_id: uniq('late') });
    expect(join.status).toBe(404);
  });

  it.concurrent('expires a lobby nobody ever connected to', async ({ expect }) => {
    const { partyId } = await party(fx, { players: 0, rounds: 1, timeout: 30, start_mode: 'host' });
    await sleep(5200); // LOBBY_TTL_SECONDS=5 has to pass
    await vi.waitFor(async () => {
      const qd = await httpJson(fx.base, 'GET', `/api/party/${partyId}/question_data`);
      expect(qd.status).toBe(200);
      expect(qd.body.status).toBe('finished');
    }, { timeout: 2000, interval: 100 });
    expect((await partyRow(fx, partyId))?.status).toBe('expired');
    const ws = await closeCodeOf(wsUrl(fx.base, partyId), undefined, 5000);
    expect(ws.code).toBe(1000);
  });

  // ---------------------------------------------------------------------------------------
  // 12. Joining mid-game
  // ---------------------------------------------------------------------------------------

  it.concurrent('announces a player who joins mid-game, who starts at 0 and can answer the open round', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, players: [p1], meta } = await party(fx, { players: 1, rounds: 1, timeout: 20 });
    const hc = await s.connect(partyId, tokens[host], host);
    const c1 = await s.connect(partyId, tokens[p1!], p1);
    const spectator = await s.connect(partyId, undefined, 'spectator');
    await waitMessage(hc, stateWhere('question', 1));
    const marks = [hc, c1, spectator].map((c) => c.messages.length);
    const late = uniq('late');
    const join = await httpJson(fx.base, 'POST', `/api/party/${partyId}/join`, { user_id: late });
    expect(join.status).toBe(200);
    for (const [i, c] of [hc, c1, spectator].entries()) {
      const { msg } = await waitMessage(c, stateEvent('player_joined'), { since: marks[i], what: 'player_joined' });
      expect(msg.status).toBe('question');
      expect(msg.current_round).toBe(1);
      expect(msg.players.find((p) => p.user_id === late)).toMatchObject({ score: 0, answered: false, connected: false });
      expect(msg).not.toHaveProperty('correct_answer');
    }
    const lc = await s.connect(partyId, join.body.token, late);
    expect(lc.state).toMatchObject({ status: 'question', current_round: 1 });
    expect(lc.state?.players.find((p) => p.user_id === late)).toMatchObject({ score: 0, connected: true });
    lc.answer(1, meta.questions[0]!.answer);
    const r = await waitMessage(lc, answerResult(1));
    expect(r.msg.correct).toBe(true);
    expect(r.msg.score).toBe(r.msg.points);
    expect(r.msg.points).toBeGreaterThan(500);
    await waitMessage(hc, scoreOf(late, 1));
    // The newcomer counts for the early close: the round ends once all three answered.
    const answeredAt = Date.now();
    hc.answer(1, meta.questions[0]!.answer);
    c1.answer(1, meta.questions[0]!.answer);
    const reveal = await waitMessage(spectator, stateWhere('reveal', 1), { timeoutMs: 3000 });
    expect(reveal.at - answeredAt).toBeLessThan(3000);
    expect(reveal.msg.players.find((p) => p.user_id === late)).toMatchObject({ score: r.msg.score, answered: true });
  });

  // ---------------------------------------------------------------------------------------
  // 13. Configurable message rate
  // ---------------------------------------------------------------------------------------

  it.concurrent('WS_MAX_MESSAGES_PER_SECOND=5 makes the 6th message of a second rate_limited', async ({ expect, onTestFinished }) => {
    const s = session(lim, onTestFinished);
    const { partyId, tokens, host } = await party(lim, { players: 0, rounds: 1, timeout: 30, start_mode: 'host' });
    const raw = s.raw(partyId, tokens[host], 'five a second');
    await raw.next(isType('state'));
    const t0 = Date.now();
    for (let i = 0; i < 6; i++) raw.json({ type: 'ping' });
    await raw.next(isType('error'), { what: 'rate_limited' });
    await vi.waitFor(() => expect(raw.messages.filter((m) => m.type === 'pong')).toHaveLength(5), { timeout: 2000, interval: 10 });
    expect(Date.now() - t0).toBeLessThan(1000); // all in one window
    expect(raw.messages.filter((m) => m.type === 'error')).toMatchObject([{ type: 'error', code: 'rate_limited', detail: expect.any(String) }]);
    expect(raw.messages.filter((m) => m.type === 'error')).toHaveLength(1);
    expect(raw.isOpen).toBe(true);
    await sleep(1050); // the next one-second window
    const mark = raw.messages.length;
    raw.json({ type: 'ping' });
    expect((await raw.next((m) => m.type !== undefined, { since: mark })).msg).toMatchObject({ type: 'pong' });

    // The default limit (20) lets the same burst through.
    const relaxed = await party(fx, { players: 0, rounds: 1, timeout: 30, start_mode: 'host' });
    const ok = new Session(fx.base);
    onTestFinished(() => ok.close());
    const r2 = ok.raw(relaxed.partyId, relaxed.tokens[relaxed.host]);
    await r2.next(isType('state'));
    for (let i = 0; i < 10; i++) r2.json({ type: 'ping' });
    await vi.waitFor(() => expect(r2.messages.filter((m) => m.type === 'pong')).toHaveLength(10), { timeout: 2000, interval: 10 });
    expect(r2.messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  // ---------------------------------------------------------------------------------------
  // 14. A finished party
  // ---------------------------------------------------------------------------------------

  it.concurrent('sends one finished state then closes 1000 to sockets of a finished party', async ({ expect, onTestFinished }) => {
    const s = session(fx, onTestFinished);
    const { partyId, tokens, host, meta } = await party(fx, { players: 0, rounds: 1, timeout: 2 });
    const hc = await s.connect(partyId, tokens[host], host);
    await waitMessage(hc, stateWhere('question', 1));
    hc.answer(1, meta.questions[0]!.answer);
    const result = await waitMessage(hc, answerResult(1));
    await waitMessage(hc, stateEvent('finished'), { timeoutMs: 3000 });
    const check = async (token?: string) => {
      const r = await closeCodeOf(wsUrl(fx.base, partyId, token), undefined, 5000);
      expect(r.code).toBe(1000);
      expect(r.frames).toHaveLength(1);
      const st = JSON.parse(r.frames[0]!) as StateMessage;
      expect(st).toMatchObject({ type: 'state', event: 'finished', status: 'finished', party_id: partyId });
      expect(st.players).toEqual([expect.objectContaining({ user_id: host, score: result.msg.score })]);
    };
    await check(); // maybe while the end-of-game write is still running
    await vi.waitFor(() => expectLiveStateGone(expect, fx, partyId), { timeout: 3000, interval: 50 });
    await check();
    await check(tokens[host]);
    const bad = await closeCodeOf(wsUrl(fx.base, partyId, 'garbage'), undefined, 5000);
    expect(bad.code).toBe(4401);
    // The project's client does not try to reconnect to a finished game.
    const c = s.client(partyId, tokens[host]);
    const st = await c.connect();
    expect(st.status).toBe('finished');
    await vi.waitFor(() => expect(c.status).toBe('closed'), { timeout: 2000, interval: 20 });
    expect(c.lastCloseCode).toBe(1000);
  });
});
