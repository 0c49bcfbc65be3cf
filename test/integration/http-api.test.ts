/**
 * The HTTP API against SPEC.md, in both modes: every row of the table except stats,
 * leaderboard and games, with SPEC's status codes, bodies and `{detail, code}` errors.
 *
 * Service mode shares one PostgreSQL database and one Redis database with every other
 * test file of the run, so assertions here only look at parties, players and categories
 * this file created (unique host names, unique imported categories).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { makeApp, testModes, type TestApp } from '../helpers/app.js';

const ADMIN_TOKEN = randomBytes(16).toString('hex'); // 32 characters
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uniq = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Json = Record<string, unknown>;

/** SPEC: every error is exactly `{"detail": string, "code": string}`. */
function expectError(res: LightMyRequestResponse, status: number, code?: string): void {
  expect(res.statusCode, `${res.statusCode} ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.json() as Json;
  expect(Object.keys(body).sort()).toEqual(['code', 'detail']);
  expect(typeof body.detail).toBe('string');
  expect(typeof body.code).toBe('string');
  expect((body.detail as string).length).toBeGreaterThan(0);
  if (code !== undefined) expect(body.code).toBe(code);
}

function question(category: string, n: number | string) {
  return {
    question: `Question ${n} of ${category}?`,
    answer: `right ${n}`,
    choice1: `wrong a ${n}`,
    choice2: `wrong b ${n}`,
    choice3: `wrong c ${n}`,
    category,
  };
}

describe.each(testModes())('HTTP API (%s)', (mode) => {
  let t: TestApp;

  const inject = (opts: InjectOptions) => t.app.inject(opts);
  const get = (url: string) => inject({ method: 'GET', url });
  const post = (url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    inject({ method: 'POST', url, payload: payload as InjectOptions['payload'], headers });
  const admin = (payload: unknown, headers: Record<string, string> = {}) =>
    post('/api/questions', payload, { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers });
  const db = () => t.ctx.adapters.db;

  interface Created {
    party_id: string;
    game_id: string;
    join_code: string;
    token: string;
    host: string;
  }

  async function init(overrides: Json = {}): Promise<Created> {
    const host = typeof overrides.player_id === 'string' ? overrides.player_id : uniq('host');
    const res = await post('/api/party/init', { player_id: host, category: 'Science', rounds: 3, ...overrides });
    expect(res.statusCode, res.body).toBe(201);
    return { ...(res.json() as Omit<Created, 'host'>), host };
  }

  async function join(partyId: string, userId: unknown) {
    return post(`/api/party/${partyId}/join`, { user_id: userId });
  }

  async function state(partyId: string): Promise<Json> {
    const res = await get(`/api/party/${partyId}/question_data`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as Json;
  }

  async function categoryCount(category: string): Promise<number> {
    const res = await get('/api/categories');
    expect(res.statusCode).toBe(200);
    const row = (res.json() as { category: string; questions: number }[]).find((c) => c.category === category);
    return row?.questions ?? 0;
  }

  beforeAll(async () => {
    t = await makeApp(mode, { ADMIN_TOKEN });
  });
  afterAll(() => t?.close());

  // ------------------------------------------------------------------ init
  describe('POST /api/party/init', () => {
    it('201 {party_id, game_id, join_code, token} and applies the defaults', async () => {
      const host = uniq('host');
      const res = await post('/api/party/init', { player_id: host, category: 'Science', rounds: 3 });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const body = res.json() as Json;
      expect(Object.keys(body).sort()).toEqual(['game_id', 'join_code', 'party_id', 'token']);
      expect(body.party_id).toMatch(UUID_RE);
      expect(body.game_id).toMatch(UUID_RE);
      expect(body.party_id).not.toBe(body.game_id);
      expect(body.join_code).toMatch(/^[0-9]{6}$/);
      expect(typeof body.token).toBe('string');
      expect((body.token as string).length).toBeGreaterThanOrEqual(22);

      const s = await state(body.party_id as string);
      expect(s).toMatchObject({
        party_id: body.party_id,
        game_id: body.game_id,
        category: 'Science',
        rounds: 3,
        timeout: 30,
        start_mode: 'auto',
        status: 'lobby',
        current_round: 1,
        question: null,
        choices: [],
        deadline: null,
        time_left_ms: null,
      });
      expect(s.players).toEqual([{ user_id: host, score: 0, connected: false, answered: false }]);
      expect(s).not.toHaveProperty('correct_answer');

      // The defaults the state does not show are in the durable record.
      const { rows } = await db().query<Json>(
        `SELECT game_id::text AS game_id, player_id, category, rounds, timeout_s, reveal_seconds, max_players,
                start_mode, visibility, join_code, status FROM parties WHERE party_id = $1`,
        [body.party_id],
      );
      expect(rows).toEqual([
        {
          game_id: body.game_id,
          player_id: host,
          category: 'Science',
          rounds: 3,
          timeout_s: 30,
          reveal_seconds: 3,
          max_players: 500,
          start_mode: 'auto',
          visibility: 'public',
          join_code: body.join_code,
          status: 'live',
        },
      ]);
    });

    it('keeps explicit settings', async () => {
      const p = await init({ timeout: 600, rounds: 1, start_mode: 'host', reveal_seconds: 0, max_players: 2000, visibility: 'private' });
      const s = await state(p.party_id);
      expect(s).toMatchObject({ timeout: 600, rounds: 1, start_mode: 'host', status: 'lobby' });
      const { rows } = await db().query<Json>(
        'SELECT timeout_s, rounds, start_mode, reveal_seconds, max_players, visibility FROM parties WHERE party_id = $1',
        [p.party_id],
      );
      expect(rows[0]).toEqual({ timeout_s: 600, rounds: 1, start_mode: 'host', reveal_seconds: 0, max_players: 2000, visibility: 'private' });
      // Boundaries on the other side are accepted too.
      await init({ timeout: 1, rounds: 1, reveal_seconds: 30, max_players: 2, player_id: `${uniq('edge')}${'x'.repeat(50)}` });
    });

    const base = { player_id: 'validation-host', category: 'Science', rounds: 3 };
    const without = (k: keyof typeof base) => Object.fromEntries(Object.entries(base).filter(([key]) => key !== k));
    const invalid: [string, unknown][] = [
      ['missing player_id', without('player_id')],
      ['missing category', without('category')],
      ['missing rounds', without('rounds')],
      ['rounds as a string "3"', { ...base, rounds: '3' }],
      ['rounds 2.5', { ...base, rounds: 2.5 }],
      ['player_id as a number', { ...base, player_id: 5 }],
      ['player_id null', { ...base, player_id: null }],
      ['category as a number', { ...base, category: 7 }],
      ['rounds 0', { ...base, rounds: 0 }],
      ['rounds 51', { ...base, rounds: 51 }],
      ['rounds -1', { ...base, rounds: -1 }],
      ['timeout 0', { ...base, timeout: 0 }],
      ['timeout 601', { ...base, timeout: 601 }],
      ['timeout "30"', { ...base, timeout: '30' }],
      ['reveal_seconds 31', { ...base, reveal_seconds: 31 }],
      ['reveal_seconds -1', { ...base, reveal_seconds: -1 }],
      ['max_players 1', { ...base, max_players: 1 }],
      ['max_players 2001', { ...base, max_players: 2001 }],
      ['player_id of 65 characters', { ...base, player_id: 'p'.repeat(65) }],
      ['player_id empty', { ...base, player_id: '' }],
      ['player_id with NUL', { ...base, player_id: 'a\u0000b' }],
      ['player_id with a newline', { ...base, player_id: 'a\nb' }],
      ['player_id with a C1 control', { ...base, player_id: 'a\u0085b' }],
      ['player_id blank', { ...base, player_id: '   ' }],
      ['start_mode "later"', { ...base, start_mode: 'later' }],
      ['visibility "secret"', { ...base, visibility: 'secret' }],
      ['body is an array', [base]],
      ['body is a string', 'hello'],
      ['body is null', null],
    ];
    it.each(invalid)('422 validation_error for %s', async (_name, body) => {
      const res = await inject({
        method: 'POST',
        url: '/api/party/init',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expectError(res, 422, 'validation_error');
    });

    it('creates nothing for an invalid body', async () => {
      const host = uniq('rejected');
      expectError(await post('/api/party/init', { player_id: host, category: 'Science', rounds: 51 }), 422, 'validation_error');
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM parties WHERE player_id = $1', [host]);
      expect(rows[0]!.n).toBe(0);
    });

    it('422 not_enough_questions for an unknown category and for more rounds than the category has', async () => {
      const host = uniq('short');
      expectError(await post('/api/party/init', { player_id: host, category: 'No Such Category', rounds: 1 }), 422, 'not_enough_questions');
      const science = await categoryCount('Science');
      expect(science).toBeGreaterThan(0);
      expect(science).toBeLessThan(50);
      expectError(await post('/api/party/init', { player_id: host, category: 'Science', rounds: science + 1 }), 422, 'not_enough_questions');
      expectError(await post('/api/party/init', { player_id: host, category: 'science', rounds: 1 }), 422, 'not_enough_questions');
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM parties WHERE player_id = $1', [host]);
      expect(rows[0]!.n).toBe(0);
    });

    it('413 for a body over 64 KiB', async () => {
      const payload = JSON.stringify({ player_id: 'big', category: 'Science', rounds: 3, pad: 'x'.repeat(65 * 1024) });
      const res = await inject({ method: 'POST', url: '/api/party/init', headers: { 'content-type': 'application/json' }, payload });
      expectError(res, 413);
    });

    it('400 for malformed JSON', async () => {
      for (const payload of ['{"player_id": "a", ', '{player_id: "a"}', "{'a': 1}", '{"a":1}}', 'nul']) {
        const res = await inject({ method: 'POST', url: '/api/party/init', headers: { 'content-type': 'application/json' }, payload });
        expectError(res, 400);
      }
    });

    it('draws distinct questions of the category (the whole category, and a few of it)', async () => {
      const total = await categoryCount('Science');
      for (const rounds of [Math.min(total, 50), 10]) {
        const p = await init({ rounds });
        const { rows } = await db().query<{ question_ids: number[] }>('SELECT question_ids FROM parties WHERE party_id = $1', [p.party_id]);
        const ids = rows[0]!.question_ids;
        expect(ids).toHaveLength(rounds);
        expect(new Set(ids).size).toBe(rounds);
        const { rows: inCat } = await db().query<{ n: number }>(
          "SELECT count(*)::int AS n FROM questions WHERE id = ANY($1::int[]) AND category = 'Science'",
          [ids],
        );
        expect(inCat[0]!.n).toBe(rounds);
      }
    });

    it('writes the party and its host player in one transaction', async () => {
      const p = await init();
      const { rows } = await db().query<{ p_xmin: string; pp_xmin: string; user_id: string; score: number; token_hash: string | null }>(
        `SELECT p.xmin::text AS p_xmin, pp.xmin::text AS pp_xmin, pp.user_id, pp.score, pp.token_hash
           FROM parties p JOIN party_players pp ON pp.party_id = p.party_id WHERE p.party_id = $1`,
        [p.party_id],
      );
      expect(rows).toHaveLength(1);
      const row = rows[0]!;
      expect(row.user_id).toBe(p.host);
      expect(row.score).toBe(0);
      // The same inserting transaction id on both rows: one transaction wrote them.
      expect(row.pp_xmin).toBe(row.p_xmin);
      // The token itself is never stored.
      expect(row.token_hash).toBeTruthy();
      expect(row.token_hash).not.toBe(p.token);
      expect(row.token_hash).not.toContain(p.token);
    });

    it('gives every party its own join code', async () => {
      const codes = new Set<string>();
      for (let i = 0; i < 10; i++) codes.add((await init({ visibility: 'private' })).join_code);
      expect(codes.size).toBe(10);
    });
  });

  // ------------------------------------------------------------------ join
  describe('POST /api/party/{id}/join', () => {
    it('200 {message, game_id, token}; the player is listed and stored', async () => {
      const p = await init();
      const user = uniq('player');
      const res = await join(p.party_id, user);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json() as Json;
      expect(Object.keys(body).sort()).toEqual(['game_id', 'message', 'token']);
      expect(body.message).toBe('Joined party successfully');
      expect(body.game_id).toBe(p.game_id);
      expect(typeof body.token).toBe('string');
      expect(body.token).not.toBe(p.token);

      const s = await state(p.party_id);
      expect(s.players).toHaveLength(2);
      expect(s.players).toContainEqual({ user_id: user, score: 0, connected: false, answered: false });
      expect(s.players).toContainEqual({ user_id: p.host, score: 0, connected: false, answered: false });

      const { rows } = await db().query<{ user_id: string; score: number }>(
        'SELECT user_id, score FROM party_players WHERE party_id = $1 ORDER BY user_id',
        [p.party_id],
      );
      expect(rows).toEqual([...[p.host, user].sort().map((u) => ({ user_id: u, score: 0 }))]);
    });

    it('accepts a 64-character user id with spaces and non-ASCII letters', async () => {
      const p = await init();
      expect((await join(p.party_id, 'é'.repeat(64))).statusCode).toBe(200);
      expect((await join(p.party_id, 'Ana María 🎉')).statusCode).toBe(200);
      expect((await state(p.party_id)).players).toHaveLength(3);
    });

    const malformedIds: [string, string][] = [
      ['an unknown uuid', randomUUID()],
      ['"abc"', 'abc'],
      ['an SQL injection', encodeURIComponent("' OR 1=1")],
      ['an SQL injection with a comment', encodeURIComponent("x' OR '1'='1' --")],
      ['a uuid with a trailing NUL', `${randomUUID()}%00`],
      ['a uuid with a trailing newline', `${randomUUID()}%0A`],
      ['a uuid without dashes', randomUUID().replaceAll('-', '')],
      ['a 150-character id', 'a'.repeat(150)],
      ['a 300-character id', 'b'.repeat(300)],
    ];
    it.each(malformedIds)('404 party_not_found for %s', async (_name, id) => {
      expectError(await join(id, uniq('lost')), 404, 'party_not_found');
    });

    it('404 party_not_found for a real party id followed by a control character', async () => {
      const p = await init();
      expectError(await join(`${p.party_id}%00`, uniq('u')), 404, 'party_not_found');
      expectError(await join(`${p.party_id}%1F`, uniq('u')), 404, 'party_not_found');
      expect((await state(p.party_id)).players).toHaveLength(1);
    });

    it('400 already_joined for a second join and for the host', async () => {
      const p = await init();
      const user = uniq('twice');
      expect((await join(p.party_id, user)).statusCode).toBe(200);
      expectError(await join(p.party_id, user), 400, 'already_joined');
      expectError(await join(p.party_id, p.host), 400, 'already_joined');
      expect((await state(p.party_id)).players).toHaveLength(2);
    });

    it('409 party_full once max_players is reached (the host counts)', async () => {
      const p = await init({ max_players: 2 });
      expect((await join(p.party_id, uniq('second'))).statusCode).toBe(200);
      expectError(await join(p.party_id, uniq('third')), 409, 'party_full');
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM party_players WHERE party_id = $1', [p.party_id]);
      expect(rows[0]!.n).toBe(2);
    });

    const badBodies: [string, unknown][] = [
      ['a missing user_id', {}],
      ['an empty user_id', { user_id: '' }],
      ['a 65-character user_id', { user_id: 'u'.repeat(65) }],
      ['a user_id with NUL', { user_id: 'a\u0000b' }],
      ['a user_id with a newline', { user_id: 'a\nb' }],
      ['a user_id with DEL', { user_id: 'a\u007fb' }],
      ['a blank user_id', { user_id: '  \t ' }],
      ['a numeric user_id', { user_id: 5 }],
      ['a null user_id', { user_id: null }],
      ['an array user_id', { user_id: ['a'] }],
      ['an array body', [{ user_id: 'a' }]],
    ];
    it.each(badBodies)('422 validation_error for %s', async (_name, body) => {
      const p = await init();
      const res = await inject({
        method: 'POST',
        url: `/api/party/${p.party_id}/join`,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expectError(res, 422, 'validation_error');
      expect((await state(p.party_id)).players).toHaveLength(1);
    });

    it('404 party_not_found for a party that is over (its live state is gone)', async () => {
      const p = await init();
      await t.ctx.adapters.store.delete(p.party_id); // what the lobby TTL or the end of a game does
      expectError(await join(p.party_id, uniq('late')), 404, 'party_not_found');
    });

    it('20 concurrent joins to a max_players 5 party: exactly 4 succeed, the rest 409', async () => {
      const p = await init({ max_players: 5 });
      const users = Array.from({ length: 20 }, (_, i) => `${uniq('rush')}-${i}`);
      const results = await Promise.all(users.map((u) => join(p.party_id, u)));
      const ok = results.filter((r) => r.statusCode === 200);
      const full = results.filter((r) => r.statusCode === 409);
      expect(ok).toHaveLength(4);
      expect(full).toHaveLength(16);
      for (const r of full) expectError(r, 409, 'party_full');
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM party_players WHERE party_id = $1', [p.party_id]);
      expect(rows[0]!.n).toBe(5);
      expect((await state(p.party_id)).players).toHaveLength(5);
    });

    it('the same user joining twice at once gets exactly one 200', async () => {
      const p = await init();
      const user = uniq('double');
      const results = await Promise.all([join(p.party_id, user), join(p.party_id, user), join(p.party_id, user)]);
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      for (const r of results.filter((x) => x.statusCode !== 200)) expectError(r, 400, 'already_joined');
      const { rows } = await db().query<{ n: number }>(
        'SELECT count(*)::int AS n FROM party_players WHERE party_id = $1 AND user_id = $2',
        [p.party_id, user],
      );
      expect(rows[0]!.n).toBe(1);
      expect((await state(p.party_id)).players).toHaveLength(2);
    });
  });

  // ------------------------------------------------------------------ tokens
  describe('tokens', () => {
    it('are distinct per player and carry at least 128 bits of randomness', async () => {
      const tokens: string[] = [];
      const host = uniq('tokhost');
      // The same user as host of many parties: only the random part can differ.
      const sameUser: string[] = [];
      for (let i = 0; i < 24; i++) {
        const p = await init({ player_id: host, visibility: 'private' });
        sameUser.push(p.token);
        tokens.push(p.token);
      }
      const party = await init({ visibility: 'private', max_players: 100 });
      tokens.push(party.token);
      for (let i = 0; i < 30; i++) {
        const res = await join(party.party_id, `tok-user-${i}`);
        expect(res.statusCode).toBe(200);
        tokens.push((res.json() as { token: string }).token);
      }
      // The same user in another party gets another token.
      const again = await join(party.party_id, host);
      expect(again.statusCode).toBe(200);
      tokens.push((again.json() as { token: string }).token);

      expect(new Set(tokens).size).toBe(tokens.length);
      for (const tok of tokens) {
        expect(typeof tok).toBe('string');
        expect(tok).toMatch(/^[\x21-\x7e]+$/); // printable, safe in a query string once encoded
      }

      // Estimate the random part: positions that vary across tokens of the same user and length.
      const byLength = new Map<number, string[]>();
      for (const tok of sameUser) byLength.set(tok.length, [...(byLength.get(tok.length) ?? []), tok]);
      const group = [...byLength.values()].sort((a, b) => b.length - a.length)[0]!;
      expect(group.length).toBeGreaterThanOrEqual(12);
      const varying: number[] = [];
      const alphabet = new Set<string>();
      for (let i = 0; i < group[0]!.length; i++) {
        const chars = new Set(group.map((tok) => tok[i]!));
        if (chars.size > 1) {
          varying.push(i);
          for (const c of chars) alphabet.add(c);
        }
      }
      const bitsPerChar = alphabet.size <= 2 ? 1 : alphabet.size <= 16 ? 4 : alphabet.size <= 32 ? 5 : 6;
      expect(varying.length * bitsPerChar).toBeGreaterThanOrEqual(128);
    });
  });

  // ------------------------------------------------------------------ question_data
  describe('GET /api/party/{id}/question_data', () => {
    it('200 with the SPEC state shape, and no correct_answer in the lobby', async () => {
      const p = await init({ rounds: 5, timeout: 20 });
      await join(p.party_id, 'zed');
      await join(p.party_id, 'amy');
      const res = await get(`/api/party/${p.party_id}/question_data`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      const s = res.json() as Json;
      for (const key of ['party_id', 'game_id', 'category', 'rounds', 'status', 'current_round', 'question', 'choices', 'deadline', 'time_left_ms', 'players']) {
        expect(s).toHaveProperty(key);
      }
      expect(s).toMatchObject({ party_id: p.party_id, game_id: p.game_id, category: 'Science', rounds: 5, timeout: 20, status: 'lobby', current_round: 1 });
      expect(s).not.toHaveProperty('correct_answer');
      expect(res.body).not.toContain('correct_answer');
      const players = s.players as { user_id: string; score: number; connected: boolean; answered: boolean }[];
      expect(players.map((x) => x.user_id).sort()).toEqual([p.host, 'amy', 'zed'].sort());
      for (const pl of players) {
        expect(Object.keys(pl).sort()).toEqual(['answered', 'connected', 'score', 'user_id']);
        expect(pl).toMatchObject({ score: 0, connected: false, answered: false });
      }
    });

    it('lists players by score, descending (final scores once the live state is gone)', async () => {
      const p = await init();
      for (const u of ['low', 'high', 'mid']) expect((await join(p.party_id, u)).statusCode).toBe(200);
      const before = (await state(p.party_id)).players as { score: number }[];
      for (let i = 1; i < before.length; i++) expect(before[i - 1]!.score).toBeGreaterThanOrEqual(before[i]!.score);

      // Final scores as the end of a game writes them, then the live state goes away.
      const scores: Record<string, number> = { low: 120, high: 1900, mid: 870, [p.host]: 450 };
      for (const [user, score] of Object.entries(scores)) {
        await db().query('UPDATE party_players SET score = $3 WHERE party_id = $1 AND user_id = $2', [p.party_id, user, score]);
      }
      await t.ctx.adapters.store.delete(p.party_id);
      const s = await state(p.party_id);
      expect(s.status).toBe('finished');
      expect(s.party_id).toBe(p.party_id);
      expect((s.players as { user_id: string; score: number }[]).map((x) => [x.user_id, x.score])).toEqual([
        ['high', 1900],
        ['mid', 870],
        [p.host, 450],
        ['low', 120],
      ]);
    });

    it('an upper-case party id reads the same party and never ends it', async () => {
      const p = await init();
      const res = await get(`/api/party/${p.party_id.toUpperCase()}/question_data`);
      if (res.statusCode === 200) expect(res.json()).toMatchObject({ party_id: p.party_id, status: 'lobby', players: [{ user_id: p.host }] });
      else expectError(res, 404, 'party_not_found');
      // A read must not change the party: still live in PostgreSQL, in the lobby, joinable.
      expect((await state(p.party_id)).status).toBe('lobby');
      const { rows } = await db().query<{ status: string }>('SELECT status FROM parties WHERE party_id = $1', [p.party_id]);
      expect(rows).toEqual([{ status: 'live' }]);
      expect((await join(p.party_id, uniq('after-upper'))).statusCode).toBe(200);
    });

    it('an upper-case party id joins the same party or is 404, never a different record', async () => {
      const p = await init();
      const user = uniq('upper');
      const res = await join(p.party_id.toUpperCase(), user);
      if (res.statusCode === 200) {
        expect((res.json() as Json).game_id).toBe(p.game_id);
        expect((await state(p.party_id)).players).toContainEqual({ user_id: user, score: 0, connected: false, answered: false });
      } else expectError(res, 404, 'party_not_found');
      const { rows } = await db().query<{ n: number }>('SELECT count(*)::int AS n FROM party_players WHERE party_id = $1', [p.party_id]);
      const players = (await state(p.party_id)).players as unknown[];
      expect(rows[0]!.n).toBe(players.length);
    });

    const bad: [string, string][] = [
      ['an unknown uuid', randomUUID()],
      ['"abc"', 'abc'],
      ['an SQL injection', encodeURIComponent("' OR 1=1")],
      ['a uuid with a trailing NUL', `${randomUUID()}%00`],
      ['a 150-character id', 'c'.repeat(150)],
    ];
    it.each(bad)('404 party_not_found for %s', async (_name, id) => {
      expectError(await get(`/api/party/${id}/question_data`), 404, 'party_not_found');
    });
  });

  // ------------------------------------------------------------------ join code
  describe('GET /api/party/code/{code}', () => {
    it('200 {party_id} for a live party', async () => {
      const p = await init();
      const res = await get(`/api/party/code/${p.join_code}`);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ party_id: p.party_id });
    });

    it.each([
      ['000000 (never issued: codes are 100000..999999)', '000000'],
      ['12345', '12345'],
      ['abcdef', 'abcdef'],
      ['1234567', '1234567'],
      ['12345a', '12345a'],
      ['" 12345"', encodeURIComponent(' 12345')],
      ['NUL', '%00'],
      ['a 150-digit code', '1'.repeat(150)],
    ])(
      '404 party_not_found for %s',
      async (_name, code) => {
        expectError(await get(`/api/party/code/${code}`), 404, 'party_not_found');
      },
    );

    it('404 once the party is no longer live', async () => {
      const p = await init();
      await t.ctx.adapters.store.delete(p.party_id);
      expectError(await get(`/api/party/code/${p.join_code}`), 404, 'party_not_found');
    });
  });

  // ------------------------------------------------------------------ listing
  describe('GET /api/parties', () => {
    const fields = ['category', 'host', 'join_code', 'max_players', 'party_id', 'players', 'rounds', 'status', 'timeout'];
    let category: string;
    let a: Created;
    let b: Created;
    let c: Created;

    beforeAll(async () => {
      category = uniq('Listing');
      const res = await admin([1, 2, 3, 4].map((n) => question(category, n)));
      expect(res.statusCode, res.body).toBe(201);
      a = await init({ category, rounds: 2, timeout: 15 });
      await sleep(5);
      b = await init({ category, rounds: 1, visibility: 'private' });
      await sleep(5);
      c = await init({ category, rounds: 4, max_players: 10 });
      expect((await join(c.party_id, 'listed-player')).statusCode).toBe(200);
    });

    it('lists live public parties, newest first, with the SPEC fields; never private ones', async () => {
      const res = await get(`/api/parties?category=${encodeURIComponent(category)}`);
      expect(res.statusCode).toBe(200);
      const list = res.json() as Json[];
      for (const row of list) expect(Object.keys(row).sort()).toEqual(fields);
      expect(list).toEqual([
        { party_id: c.party_id, join_code: c.join_code, host: c.host, category, rounds: 4, timeout: 30, status: 'lobby', players: 2, max_players: 10 },
        { party_id: a.party_id, join_code: a.join_code, host: a.host, category, rounds: 2, timeout: 15, status: 'lobby', players: 1, max_players: 500 },
      ]);
      expect(res.body).not.toContain(b.party_id);
    });

    it('without filters: public parties only, newest first, at most 20', async () => {
      const res = await get('/api/parties');
      expect(res.statusCode).toBe(200);
      const list = res.json() as Json[];
      expect(list.length).toBeGreaterThan(0);
      expect(list.length).toBeLessThanOrEqual(20);
      expect(res.body).not.toContain(b.party_id);
      for (const row of list) {
        expect(Object.keys(row).sort()).toEqual(fields);
        expect(row.status).not.toBe('finished');
      }
      const { rows } = await db().query<{ visibility: string; status: string }>(
        'SELECT visibility, status FROM parties WHERE party_id = ANY($1::uuid[])',
        [list.map((r) => r.party_id)],
      );
      expect(rows.every((r) => r.visibility === 'public' && r.status === 'live')).toBe(true);
      const ours = list.map((r) => r.party_id).filter((id) => id === a.party_id || id === c.party_id);
      if (ours.length === 2) expect(ours).toEqual([c.party_id, a.party_id]);
    });

    it('filters by status and category; respects limit', async () => {
      const lobby = await get(`/api/parties?status=lobby&category=${encodeURIComponent(category)}`);
      expect(lobby.statusCode).toBe(200);
      expect((lobby.json() as Json[]).map((r) => r.party_id)).toEqual([c.party_id, a.party_id]);

      for (const status of ['question', 'reveal']) {
        const res = await get(`/api/parties?status=${status}&category=${encodeURIComponent(category)}`);
        expect(res.statusCode).toBe(200);
        expect(res.json()).toEqual([]);
      }
      const other = await get('/api/parties?category=Science&limit=100');
      expect(other.statusCode).toBe(200);
      for (const row of other.json() as Json[]) expect(row.category).toBe('Science');
      expect(other.body).not.toContain(a.party_id);

      const one = await get(`/api/parties?category=${encodeURIComponent(category)}&limit=1`);
      expect((one.json() as Json[]).map((r) => r.party_id)).toEqual([c.party_id]);
      const two = await get('/api/parties?limit=2');
      expect((two.json() as Json[]).length).toBe(2);
      const max = await get('/api/parties?limit=100');
      expect(max.statusCode).toBe(200);
      expect((max.json() as Json[]).length).toBeLessThanOrEqual(100);
    });

    it('drops a party once it is no longer live', async () => {
      const d = await init({ category, rounds: 1 });
      let res = await get(`/api/parties?category=${encodeURIComponent(category)}`);
      expect((res.json() as Json[])[0]!.party_id).toBe(d.party_id);
      await t.ctx.adapters.store.delete(d.party_id);
      res = await get(`/api/parties?category=${encodeURIComponent(category)}`);
      expect(res.body).not.toContain(d.party_id);
    });

    it.each(['status=bogus', 'status=', 'status=lobby&status=question', 'limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'limit=1.5', 'category='])(
      '422 validation_error for ?%s',
      async (query) => {
        expectError(await get(`/api/parties?${query}`), 422, 'validation_error');
      },
    );
  });

  // ------------------------------------------------------------------ categories
  describe('GET /api/categories', () => {
    it('200 [{category, questions}] with at least 10 categories', async () => {
      const res = await get('/api/categories');
      expect(res.statusCode).toBe(200);
      const list = res.json() as Json[];
      expect(list.length).toBeGreaterThanOrEqual(10);
      for (const row of list) {
        expect(Object.keys(row).sort()).toEqual(['category', 'questions']);
        expect(typeof row.category).toBe('string');
        expect(Number.isInteger(row.questions)).toBe(true);
        expect(row.questions as number).toBeGreaterThan(0);
      }
      expect(new Set(list.map((r) => r.category)).size).toBe(list.length);
      expect(list.map((r) => r.category)).toContain('Science');
    });
  });

  // ------------------------------------------------------------------ import
  describe('POST /api/questions', () => {
    const category = uniq('Imported');

    it('401 without Authorization, with a wrong token, or another scheme', async () => {
      const body = [question(category, 'unauth')];
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer wrong-token-wrong-token-wrong' },
        { authorization: `Bearer ${ADMIN_TOKEN}x` },
        { authorization: `Bearer ${ADMIN_TOKEN.slice(0, -1)}` },
        { authorization: `Basic ${ADMIN_TOKEN}` },
        { authorization: ADMIN_TOKEN },
        { authorization: 'Bearer ' },
      ]) {
        expectError(await post('/api/questions', body, headers), 401, 'unauthorized');
      }
      expect(await categoryCount(category)).toBe(0);
    });

    it('401 when ADMIN_TOKEN is not configured', async () => {
      const bare = await makeApp(mode);
      try {
        for (const authorization of [undefined, `Bearer ${ADMIN_TOKEN}`, 'Bearer ', 'Bearer undefined', 'Bearer null']) {
          const res = await bare.app.inject({
            method: 'POST',
            url: '/api/questions',
            payload: [question(category, 'bare')],
            headers: authorization === undefined ? {} : { authorization },
          });
          expectError(res, 401, 'unauthorized');
        }
      } finally {
        await bare.close();
      }
    });

    it('201 {inserted, skipped, invalid} for a JSON array; duplicates skipped on re-post', async () => {
      const items: unknown[] = [
        question(category, 1),
        question(category, 2),
        question(category, 3),
        { ...question(category, 4), answer: undefined },
        { ...question(category, 5), choice2: `right 5` },
        'not an object',
      ];
      let res = await admin(items);
      expect(res.statusCode, res.body).toBe(201);
      let body = res.json() as { inserted: number; skipped: Json[]; invalid: Json[] };
      expect(Object.keys(body).sort()).toEqual(['inserted', 'invalid', 'skipped']);
      expect(body.inserted).toBe(3);
      expect(body.skipped).toEqual([]);
      expect(body.invalid).toHaveLength(3);
      expect(body.invalid.map((x) => x.where)).toEqual(['index 3', 'index 4', 'index 5']);
      for (const x of body.invalid) expect(typeof x.reason).toBe('string');
      expect(await categoryCount(category)).toBe(3);

      res = await admin(items);
      expect(res.statusCode, res.body).toBe(201);
      body = res.json() as typeof body;
      expect(body.inserted).toBe(0);
      expect(body.skipped).toHaveLength(3);
      expect(body.invalid).toHaveLength(3);
      // Same text up to case, spacing and punctuation is a duplicate too.
      res = await admin([{ ...question(category, 1), question: `  QUESTION 1 of ${category.toUpperCase()} ` }]);
      expect(res.statusCode, res.body).toBe(201);
      expect((res.json() as typeof body).inserted).toBe(0);
      expect((res.json() as typeof body).skipped).toHaveLength(1);
      expect(await categoryCount(category)).toBe(3);
    });

    it('201 for {questions: [...]}', async () => {
      const res = await admin({ questions: [question(category, 6), question(category, 7), { question: 'only a question' }] });
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ inserted: 2, skipped: [] });
      expect((res.json() as { invalid: unknown[] }).invalid).toHaveLength(1);
      expect(await categoryCount(category)).toBe(5);
    });

    it('201 for CSV (text/csv)', async () => {
      const q8 = question(category, 8);
      const csv = [
        'question,answer,choice1,choice2,choice3,category',
        `"${q8.question}",${q8.answer},${q8.choice1},${q8.choice2},${q8.choice3},${category}`,
        `"Which, with a comma, ${category}?","yes, this","no","nope","never",${category}`,
        `too,few,fields,${category}`,
        '',
      ].join('\n');
      const res = await admin(csv, { 'content-type': 'text/csv' });
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as { inserted: number; skipped: Json[]; invalid: Json[] };
      expect(body.inserted).toBe(2);
      expect(body.skipped).toEqual([]);
      expect(body.invalid).toHaveLength(1);
      expect(await categoryCount(category)).toBe(7);
      const { rows } = await db().query<{ answer: string }>('SELECT answer FROM questions WHERE category = $1 AND question LIKE $2', [
        category,
        'Which, with a comma%',
      ]);
      expect(rows).toEqual([{ answer: 'yes, this' }]);
    });

    it('201 for an Open Trivia DB response: entities decoded, true/false skipped', async () => {
      const otdbCategory = uniq('OTDB');
      const doc = {
        response_code: 0,
        results: [
          {
            type: 'multiple',
            difficulty: 'easy',
            category: `${otdbCategory} &amp; More`,
            question: 'Who said &quot;Hello&quot; in &#039;Tom&#039;s&#039; film?',
            correct_answer: 'Caf&eacute; owner',
            incorrect_answers: ['A &lt;robot&gt;', 'Nobody', 'The &amp; sign'],
          },
          {
            type: 'boolean',
            difficulty: 'easy',
            category: `${otdbCategory} &amp; More`,
            question: 'The sky is blue.',
            correct_answer: 'True',
            incorrect_answers: ['False'],
          },
          {
            type: 'multiple',
            difficulty: 'hard',
            category: `${otdbCategory} &amp; More`,
            question: 'Second question?',
            correct_answer: 'b',
            incorrect_answers: ['c', 'd', 'e'],
          },
        ],
      };
      const res = await admin(doc);
      expect(res.statusCode, res.body).toBe(201);
      const body = res.json() as { inserted: number; skipped: Json[]; invalid: Json[] };
      expect(body.inserted).toBe(2);
      expect(body.skipped).toHaveLength(1);
      expect(body.skipped[0]!.where).toBe('index 1');
      expect(body.invalid).toEqual([]);
      const decoded = `${otdbCategory} & More`;
      expect(await categoryCount(decoded)).toBe(2);
      const { rows } = await db().query<Json>(
        'SELECT question, answer, choice1, choice2, choice3 FROM questions WHERE category = $1 ORDER BY id',
        [decoded],
      );
      expect(rows[0]).toEqual({
        question: 'Who said "Hello" in \'Tom\'s\' film?',
        answer: 'Café owner',
        choice1: 'A <robot>',
        choice2: 'Nobody',
        choice3: 'The & sign',
      });
    });

    it('422 validation_error when nothing is valid', async () => {
      for (const payload of [[], [{ question: 'x' }], [1, 2, 3], { foo: 1 }, { questions: 'no' }, { results: [] }]) {
        expectError(await admin(payload), 422, 'validation_error');
      }
      expectError(await admin('just,some,text\n', { 'content-type': 'text/csv' }), 422, 'validation_error');
      expectError(await admin('"unterminated', { 'content-type': 'text/csv' }), 422, 'validation_error');
      expect(await categoryCount(category)).toBe(7);
    });

    it('the imported category is listed and playable', async () => {
      const res = await get('/api/categories');
      expect(res.json()).toContainEqual({ category, questions: 7 });
      const p = await init({ category, rounds: 7 });
      const { rows } = await db().query<{ question_ids: number[] }>('SELECT question_ids FROM parties WHERE party_id = $1', [p.party_id]);
      expect(new Set(rows[0]!.question_ids).size).toBe(7);
      expect((await state(p.party_id)).category).toBe(category);
      expectError(await post('/api/party/init', { player_id: uniq('h'), category, rounds: 8 }), 422, 'not_enough_questions');
    });
  });

  // ------------------------------------------------------------------ ops
  describe('operations', () => {
    it('GET /healthz 200', async () => {
      const res = await get('/healthz');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok' });
    });

    it('GET /readyz 200 {status: "ready"}', async () => {
      const res = await get('/readyz');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ status: 'ready', mode });
    });

    it('GET /metrics: Prometheus text with the request histogram', async () => {
      await get('/healthz');
      const res = await get('/metrics');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.body).toContain('quiz_http_request_duration_seconds');
      expect(res.body).toMatch(/quiz_http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*\} \d+/);
    });

    it('GET /docs serves the OpenAPI UI', async () => {
      let res = await get('/docs');
      for (let hops = 0; hops < 3 && res.statusCode >= 300 && res.statusCode < 400; hops++) {
        const location = String(res.headers.location);
        res = await get(location.startsWith('/') ? location : `/docs/${location.replace(/^\.\//, '')}`);
      }
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body.toLowerCase()).toContain('<html');
    });

    it('GET /docs/json: the OpenAPI document lists every route, generated from the validating schemas', async () => {
      const res = await get('/docs/json');
      expect(res.statusCode).toBe(200);
      const doc = res.json() as {
        openapi: string;
        paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, Json>; required?: string[] } }> } }>>;
      };
      expect(doc.openapi).toMatch(/^3\./);
      for (const path of [
        '/api/party/init',
        '/api/party/{party_id}/join',
        '/api/party/{party_id}/question_data',
        '/api/party/code/{join_code}',
        '/api/parties',
        '/api/categories',
        '/api/questions',
      ]) {
        expect(doc.paths, path).toHaveProperty([path]);
      }
      const initSchema = doc.paths['/api/party/init']!.post!.requestBody!.content['application/json']!.schema;
      expect(initSchema.properties.rounds).toMatchObject({ type: 'integer', minimum: 1, maximum: 50 });
      expect(initSchema.properties.player_id).toMatchObject({ type: 'string', minLength: 1, maxLength: 64 });
      expect(initSchema.properties.timeout).toMatchObject({ minimum: 1, maximum: 600, default: 30 });
      expect(initSchema.required).toEqual(expect.arrayContaining(['category', 'player_id', 'rounds']));
      expect(doc.paths['/api/party/{party_id}/join']!.post!.requestBody!.content['application/json']!.schema.properties.user_id).toMatchObject({
        maxLength: 64,
      });
    });

    it('GET /docs/json: init fields with a default are not marked required (the server accepts them missing)', async () => {
      const doc = (await get('/docs/json')).json() as {
        paths: Record<string, { post: { requestBody: { content: Record<string, { schema: { required?: string[] } }> } } }>;
      };
      const required = doc.paths['/api/party/init']!.post.requestBody.content['application/json']!.schema.required ?? [];
      for (const optional of ['timeout', 'start_mode', 'reveal_seconds', 'max_players', 'visibility']) {
        expect(required, `${optional} has a default in SPEC`).not.toContain(optional);
      }
    });
  });

  // ------------------------------------------------------------------ misc
  describe('errors', () => {
    it('404 {code: "not_found"} for an unknown route or method', async () => {
      expectError(await get('/api/nope'), 404, 'not_found');
      expectError(await post('/api/party', {}), 404, 'not_found');
      expectError(await inject({ method: 'DELETE', url: '/api/party/init' }), 404, 'not_found');
      expectError(await inject({ method: 'PUT', url: '/api/categories', payload: {} }), 404, 'not_found');
    });

    it('a broken percent-encoding in a path is a 4xx {detail, code}', async () => {
      for (const url of ['/api/party/%zz/question_data', '/api/party/%/join', '/api/party/code/%E0%A4%A']) {
        const res = await inject({ method: url.endsWith('join') ? 'POST' : 'GET', url, payload: url.endsWith('join') ? { user_id: 'x' } : undefined });
        expect([400, 404]).toContain(res.statusCode);
        expectError(res, res.statusCode);
      }
    });

    it('415 {detail, code} for a body that is not JSON', async () => {
      const res = await post('/api/party/init', '<xml/>', { 'content-type': 'application/xml' });
      expectError(res, 415);
    });
  });
});
