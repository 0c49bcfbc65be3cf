/**
 * Several real server processes on one Redis and one PostgreSQL: races across processes,
 * fan-out between them, and a process killed with SIGKILL mid-round.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { Redis } from 'ioredis';
import { services } from '../helpers/app.js';
import { client, get, inPhase, isState, seen, setupParty, type RecordingClient } from '../helpers/clients.js';
import { spawnServer, type ServerProcess } from '../helpers/processes.js';
import type { ServerMessage } from '../../src/client/quiz-client.js';

const svc = services();

describe.skipIf(!svc)('several server processes (service mode)', () => {
  let db: pg.Pool;
  let redis: Redis;
  const procs: ServerProcess[] = [];
  const clients: RecordingClient[] = [];
  const env = () => ({ DATABASE_URL: svc!.databaseUrl, REDIS_URL: svc!.redisUrl });

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: svc!.databaseUrl, max: 2 });
    redis = new Redis(svc!.redisUrl);
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
  });
  afterAll(async () => {
    await db.end();
    redis.disconnect();
  });

  const start = async (extra: Record<string, string> = {}) => {
    const p = await spawnServer({ ...env(), ...extra });
    procs.push(p);
    return p;
  };
  const connect = async (base: string, partyId: string, token: string, reconnect = false) => {
    const c = client(base, partyId, token, reconnect);
    clients.push(c);
    await c.connect();
    return c;
  };
  const partyKeys = async (partyId: string) => (await redis.keys(`party:{${partyId}}*`)).length;
  const dbScores = async (partyId: string) => {
    const { rows } = await db.query<{ user_id: string; score: number }>('SELECT user_id, score FROM party_players WHERE party_id = $1', [partyId]);
    return Object.fromEntries(rows.map((r) => [r.user_id, r.score]));
  };
  const waitFor = async (check: () => Promise<boolean>, timeoutMs: number, what: string) => {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  it('players on different processes see every update', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const p = await setupParty(a.url, { players: ['p2', 'p3'], rounds: 2, timeout: 5, reveal_seconds: 0 });
    const host = await connect(a.url, p.partyId, p.tokens.host!);
    const p2 = await connect(b.url, p.partyId, p.tokens.p2!);
    const p3 = await connect(b.url, p.partyId, p.tokens.p3!);
    const q1 = await seen(host, inPhase('question', 1));
    const scoreOnB = p3.waitFor((m) => m.type === 'score' && m.user_id === 'host');
    const scoreOnA = host.waitFor((m) => m.type === 'score' && m.user_id === 'p2');
    host.answer(1, q1.choices[0]!);
    p2.answer(1, q1.choices[1]!);
    await Promise.all([scoreOnA, scoreOnB]);
    const reveals = [host, p2, p3].map((c) => c.waitFor(isState('reveal', 1)));
    p3.answer(1, q1.choices[2]!);
    const revealed = await Promise.all(reveals);
    // One reveal, identical on both processes.
    expect(new Set(revealed.map((s) => JSON.stringify(s.players)))).toHaveProperty('size', 1);
    expect(revealed[0]!.correct_answer).toBeTruthy();
    await Promise.all([host, p2, p3].map((c) => seen(c, isState('question', 2))));
  });

  it('50 players on two processes answer within one millisecond as the deadline passes', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const names = Array.from({ length: 49 }, (_, i) => `racer${i + 1}`);
    const p = await setupParty(a.url, { players: names, rounds: 2, timeout: 2, reveal_seconds: 0 });
    const all = ['host', ...names];
    const conns = await Promise.all(all.map((u, i) => connect(i % 2 ? b.url : a.url, p.partyId, p.tokens[u]!)));
    const q1 = await seen(conns[0]!, inPhase('question', 1));
    // Aim everyone at the deadline itself: some answers land just before it, some just after.
    const results = conns.map((c) =>
      c.waitFor((m): m is ServerMessage => m.type === 'answer_result' || (m.type === 'error' && m.code === 'round_closed'), 10_000),
    );
    await new Promise((r) => setTimeout(r, Math.max(0, q1.deadline! - Date.now() - Number(process.env.RACE_OFFSET ?? 6))));
    conns.forEach((c, i) => {
      const choice = q1.choices[i % 4]!;
      c.answer(1, choice);
      c.answer(1, choice); // a duplicate of every answer: at most one may count
    });
    const outcomes = await Promise.all(results);
    const finished = await seen(conns[0]!, isState('finished'), 15_000);

    const accepted = outcomes.filter((m) => m.type === 'answer_result') as Extract<ServerMessage, { type: 'answer_result' }>[];
    console.log('race: accepted', accepted.length, 'of', outcomes.length);
    // Each client saw exactly one reveal of round 1: the round closed once.
    for (const c of conns) expect(c.messages.filter((m) => m.type === 'state' && m.event === 'reveal' && m.current_round === 1)).toHaveLength(1);
    // At most one accepted answer per player, even with the duplicates.
    for (const c of conns) expect(c.messages.filter((m) => m.type === 'answer_result' && m.round === 1).length).toBeLessThanOrEqual(1);

    await waitFor(async () => (await partyKeys(p.partyId)) === 0, 10_000, 'live keys deleted');
    const { rows } = await db.query('SELECT user_id, points FROM answers WHERE party_id = $1 AND round = 1', [p.partyId]);
    expect(rows).toHaveLength(accepted.length);
    const finalScores = Object.fromEntries(finished.players.map((pl) => [pl.user_id, pl.score]));
    expect(await dbScores(p.partyId)).toEqual(finalScores);
    const pointsByUser = new Map<string, number>();
    for (const r of rows as { user_id: string; points: number }[]) pointsByUser.set(r.user_id, r.points);
    for (const [user, score] of Object.entries(finalScores)) expect(score).toBe(pointsByUser.get(user) ?? 0);
  });

  it('a process killed mid-round: the round still closes, its players resume on the other, the game finishes once', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    const p = await setupParty(a.url, { players: ['onA', 'onB'], rounds: 2, timeout: 3, reveal_seconds: 0 });
    const host = await connect(b.url, p.partyId, p.tokens.host!);
    const onA = await connect(a.url, p.partyId, p.tokens.onA!);
    const onB = await connect(b.url, p.partyId, p.tokens.onB!);
    const q1 = await seen(onB, inPhase('question', 1));
    const result = onA.waitFor((m) => m.type === 'answer_result');
    onA.answer(1, q1.choices[0]!);
    const scoreA = ((await result) as { score: number }).score;

    const reveal = onB.waitFor(isState('reveal', 1), 10_000);
    await a.kill('SIGKILL');
    const revealed = await reveal;
    void host;
    expect(Date.now() - q1.deadline!).toBeLessThan(1000 + 200);
    expect(revealed.players.find((pl) => pl.user_id === 'onA')?.score).toBe(scoreA);

    // onA resumes on the surviving process with the same token and keeps the score.
    const back = client(b.url, p.partyId, p.tokens.onA!);
    clients.push(back);
    const resumed = await back.connect();
    expect(resumed.players.find((pl) => pl.user_id === 'onA')?.score).toBe(scoreA);

    const finished = await seen(onB, isState('finished'), 15_000);
    await waitFor(async () => (await partyKeys(p.partyId)) === 0, 10_000, 'live keys deleted');
    const { rows } = await db.query('SELECT status FROM parties WHERE party_id = $1', [p.partyId]);
    expect(rows[0].status).toBe('finished');
    expect(await dbScores(p.partyId)).toEqual(Object.fromEntries(finished.players.map((pl) => [pl.user_id, pl.score])));
    const { rows: stats } = await db.query('SELECT games FROM player_category_stats WHERE user_id = $1 AND category = $2', [
      'onA', 'Science',
    ]);
    expect(stats[0]?.games).toBeGreaterThanOrEqual(1);
    // Only one finisher: a single finished state on each connection.
    expect(onB.messages.filter((m) => m.type === 'state' && m.event === 'finished')).toHaveLength(1);
  });

  it('the only process killed mid-game and a new one started: the game goes on', async () => {
    const first = await start();
    const p = await setupParty(first.url, { players: ['solo'], rounds: 3, timeout: 2, reveal_seconds: 0 });
    const c1 = await connect(first.url, p.partyId, p.tokens.solo!);
    const q1 = await seen(c1, inPhase('question', 1));
    const r = c1.waitFor((m) => m.type === 'answer_result');
    c1.answer(1, q1.choices[0]!);
    const score = ((await r) as { score: number }).score;
    await first.kill('SIGKILL');

    const second = await start();
    // With nobody connected the new process's sweep keeps the game moving.
    await waitFor(async () => {
      const s = await get(second.url, `/api/party/${p.partyId}/question_data`);
      return s.body.current_round >= 2 || s.body.status === 'finished';
    }, 10_000, 'the game to move on after the restart');
    const c2 = await connect(second.url, p.partyId, p.tokens.solo!);
    expect(c2.state!.players.find((pl) => pl.user_id === 'solo')?.score).toBe(score);
    const finished = await seen(c2, inPhase('finished'), 15_000);
    expect(finished.players.find((pl) => pl.user_id === 'solo')?.score).toBeGreaterThanOrEqual(score);
    await waitFor(async () => (await db.query("SELECT 1 FROM parties WHERE party_id = $1 AND status = 'finished'", [p.partyId])).rows.length === 1, 10_000, 'results in PostgreSQL');
  });
});
