import { describe, expect, it } from 'vitest';
import {
  LOBBY,
  advance,
  closeRound,
  dueTransition,
  judgeAnswer,
  nextTransition,
  openRound,
  partyView,
  pointsFor,
  rankPlayers,
  startGame,
  type ViewInput,
} from '../../src/game/rules.js';
import type { PartyMeta, PartySettings, Phase } from '../../src/game/types.js';

// A fake clock: plain epoch-ms numbers.
const T0 = 1_700_000_000_000;
const TIMEOUT = 20; // seconds
const REVEAL = 3; // seconds

function settings(over: Partial<PartySettings> = {}): PartySettings {
  return {
    category: 'Fixture Trivia',
    rounds: 3,
    timeoutSeconds: TIMEOUT,
    startMode: 'host',
    revealSeconds: REVEAL,
    maxPlayers: 10,
    visibility: 'public',
    ...over,
  };
}

function meta(s: PartySettings = settings()): PartyMeta {
  return {
    partyId: '00000000-0000-4000-8000-000000000001',
    gameId: '00000000-0000-4000-8000-000000000002',
    joinCode: '123456',
    host: 'alice',
    settings: s,
    createdAt: T0 - 1000,
    questions: Array.from({ length: s.rounds }, (_, i) => ({
      id: 100 + i,
      question: `Fixture question ${i + 1}?`,
      answer: `right ${i + 1}`,
      choices: [`wrong a${i + 1}`, `right ${i + 1}`, `wrong b${i + 1}`, `wrong c${i + 1}`],
    })),
  };
}

function isPhase(p: unknown): p is Phase {
  return typeof p === 'object' && p !== null && 'status' in p;
}

function started(s = settings(), now = T0): Phase {
  const p = startGame(LOBBY, s, now);
  if (!isPhase(p)) throw new Error('startGame refused');
  return p;
}

describe('phase changes', () => {
  it('lobby -> question 1 via startGame', () => {
    const p = startGame(LOBBY, settings(), T0);
    expect(p).toEqual({ status: 'question', round: 1, openedAt: T0, deadline: T0 + TIMEOUT * 1000, revealEndsAt: null });
  });

  it('startGame refuses a party that has already started', () => {
    const q = started();
    for (const phase of [q, closeRound(q, settings(), T0 + 1)!]) {
      expect(startGame(phase, settings(), T0 + 2)).toMatchObject({ ok: false, code: 'already_started' });
    }
  });

  it('question -> reveal via closeRound, keeping the round', () => {
    const q = started();
    const r = closeRound(q, settings(), T0 + 5000);
    expect(r).toMatchObject({ status: 'reveal', round: 1, revealEndsAt: T0 + 5000 + REVEAL * 1000 });
  });

  it('closeRound does nothing outside a question', () => {
    const r = closeRound(started(), settings(), T0 + 1)!;
    expect(closeRound(LOBBY, settings(), T0)).toBeNull();
    expect(closeRound(r, settings(), T0 + 2)).toBeNull();
  });

  it('reveal -> next question via advance', () => {
    const r = closeRound(started(), settings(), T0 + 1000)!;
    const q2 = advance(r, settings(), T0 + 4000);
    expect(q2).toEqual({ status: 'question', round: 2, openedAt: T0 + 4000, deadline: T0 + 4000 + TIMEOUT * 1000, revealEndsAt: null });
  });

  it('the last reveal -> finished', () => {
    const s = settings({ rounds: 2 });
    const r1 = closeRound(started(s), s, T0 + 1000)!;
    const q2 = advance(r1, s, T0 + 4000)!;
    const r2 = closeRound(q2, s, T0 + 6000)!;
    expect(r2.status).toBe('reveal');
    const f = advance(r2, s, T0 + 9000);
    expect(f).toMatchObject({ status: 'finished', round: 2, deadline: null, revealEndsAt: null });
    expect(advance(f!, s, T0 + 10_000)).toBeNull();
    expect(nextTransition(f!)).toBeNull();
  });

  it('a one-round game goes question -> reveal -> finished', () => {
    const s = settings({ rounds: 1 });
    const r = closeRound(started(s), s, T0 + 1)!;
    expect(advance(r, s, T0 + 2)?.status).toBe('finished');
  });

  it('advance does nothing outside a reveal', () => {
    expect(advance(LOBBY, settings(), T0)).toBeNull();
    expect(advance(started(), settings(), T0)).toBeNull();
  });

  it('nextTransition: none in the lobby, close at the deadline, advance at the end of the reveal', () => {
    expect(nextTransition(LOBBY)).toBeNull();
    const q = started();
    expect(nextTransition(q)).toEqual({ at: T0 + TIMEOUT * 1000, kind: 'close' });
    const r = closeRound(q, settings(), T0 + 7000)!;
    expect(nextTransition(r)).toEqual({ at: T0 + 7000 + REVEAL * 1000, kind: 'advance' });
  });

  describe('dueTransition', () => {
    const s = settings();
    const q = started(s);
    const deadline = T0 + TIMEOUT * 1000;

    it('does nothing before the deadline', () => {
      expect(dueTransition(q, s, deadline - 1)).toBeNull();
      expect(dueTransition(q, s, T0)).toBeNull();
    });
    it('closes the round exactly at the deadline', () => {
      expect(dueTransition(q, s, deadline)).toMatchObject({ status: 'reveal', round: 1, revealEndsAt: deadline + REVEAL * 1000 });
    });
    it('closes the round after the deadline', () => {
      expect(dueTransition(q, s, deadline + 250)).toMatchObject({ status: 'reveal', round: 1 });
    });
    it('advances exactly at, and after, the end of the reveal, not before', () => {
      const r = dueTransition(q, s, deadline)!;
      const end = deadline + REVEAL * 1000;
      expect(dueTransition(r, s, end - 1)).toBeNull();
      expect(dueTransition(r, s, end)).toMatchObject({ status: 'question', round: 2, openedAt: end });
      expect(dueTransition(r, s, end + 999)).toMatchObject({ status: 'question', round: 2, openedAt: end + 999 });
    });
    it('finishes after the last reveal is due', () => {
      const s1 = settings({ rounds: 1 });
      const r = dueTransition(started(s1), s1, deadline)!;
      expect(dueTransition(r, s1, deadline + REVEAL * 1000)).toMatchObject({ status: 'finished' });
    });
    it('does nothing in the lobby or once finished', () => {
      expect(dueTransition(LOBBY, s, T0 + 10 ** 9)).toBeNull();
      const f: Phase = { status: 'finished', round: 3, openedAt: T0, deadline: null, revealEndsAt: null };
      expect(dueTransition(f, s, T0 + 10 ** 9)).toBeNull();
    });
    it('with reveal_seconds 0 the reveal is due at once', () => {
      const s0 = settings({ revealSeconds: 0 });
      const r = dueTransition(started(s0), s0, deadline)!;
      expect(r).toMatchObject({ status: 'reveal', revealEndsAt: deadline });
      expect(nextTransition(r)).toEqual({ at: deadline, kind: 'advance' });
      expect(dueTransition(r, s0, deadline)).toMatchObject({ status: 'question', round: 2, openedAt: deadline });
    });
  });
});

describe('scoring', () => {
  it('1000 at t=0, 750 at T/2, 500 at T', () => {
    expect(pointsFor(0, TIMEOUT)).toBe(1000);
    expect(pointsFor((TIMEOUT * 1000) / 2, TIMEOUT)).toBe(750);
    expect(pointsFor(TIMEOUT * 1000, TIMEOUT)).toBe(500);
  });
  it('follows round(1000 × (1 − t / 2T))', () => {
    expect(pointsFor(1000, 10)).toBe(950);
    expect(pointsFor(1234, 30)).toBe(Math.round(1000 * (1 - 1.234 / 60)));
    expect(pointsFor(2500, 5)).toBe(750);
    expect(pointsFor(4000, 5)).toBe(600);
  });
  it('clamps beyond T to 500 and negative time to 1000', () => {
    expect(pointsFor(TIMEOUT * 1000 + 1, TIMEOUT)).toBe(500);
    expect(pointsFor(10 ** 9, TIMEOUT)).toBe(500);
    expect(pointsFor(-5000, TIMEOUT)).toBe(1000);
  });
  it('never increases with time', () => {
    let last = Infinity;
    for (let ms = 0; ms <= 31_000; ms += 137) {
      const p = pointsFor(ms, 30);
      expect(p).toBeLessThanOrEqual(last);
      expect(p).toBeGreaterThanOrEqual(500);
      last = p;
    }
  });
});

describe('judgeAnswer', () => {
  const s = settings();
  const m = meta(s);
  const q = started(s);
  const deadline = T0 + TIMEOUT * 1000;

  it('a correct answer at once scores 1000', () => {
    expect(judgeAnswer(m, q, 1, 'right 1', T0)).toEqual({ ok: true, correct: true, points: 1000, ms: 0, questionId: 100 });
  });
  it('a correct answer at T/2 scores 750', () => {
    expect(judgeAnswer(m, q, 1, 'right 1', T0 + (TIMEOUT * 1000) / 2)).toMatchObject({ ok: true, correct: true, points: 750 });
  });
  it('a wrong answer scores 0', () => {
    expect(judgeAnswer(m, q, 1, 'wrong a1', T0 + 10)).toEqual({ ok: true, correct: false, points: 0, ms: 10, questionId: 100 });
  });
  it('accepts an answer exactly at the deadline (500 points)', () => {
    expect(judgeAnswer(m, q, 1, 'right 1', deadline)).toMatchObject({ ok: true, correct: true, points: 500, ms: TIMEOUT * 1000 });
  });
  it('refuses an answer 1 ms after the deadline with round_closed', () => {
    expect(judgeAnswer(m, q, 1, 'right 1', deadline + 1)).toMatchObject({ ok: false, code: 'round_closed' });
  });
  it('refuses answers during the reveal, in the lobby and once finished with round_closed', () => {
    const r = closeRound(q, s, T0 + 100)!;
    expect(judgeAnswer(m, r, 1, 'right 1', T0 + 200)).toMatchObject({ ok: false, code: 'round_closed' });
    expect(judgeAnswer(m, LOBBY, 1, 'right 1', T0)).toMatchObject({ ok: false, code: 'round_closed' });
    const f: Phase = { status: 'finished', round: 3, openedAt: T0, deadline: null, revealEndsAt: null };
    expect(judgeAnswer(m, f, 3, 'right 3', T0)).toMatchObject({ ok: false, code: 'round_closed' });
  });
  it('refuses a round that is not open yet with wrong_round', () => {
    expect(judgeAnswer(m, q, 2, 'right 2', T0 + 1)).toMatchObject({ ok: false, code: 'wrong_round' });
    expect(judgeAnswer(m, q, 3, 'right 3', T0 + 1)).toMatchObject({ ok: false, code: 'wrong_round' });
    const q2 = advance(closeRound(q, s, T0 + 1)!, s, T0 + 2)!;
    expect(judgeAnswer(m, q2, 3, 'right 3', T0 + 3)).toMatchObject({ ok: false, code: 'wrong_round' });
    expect(judgeAnswer(m, q2, 2, 'right 2', T0 + 3)).toMatchObject({ ok: true, correct: true, questionId: 101 });
  });
  it('refuses a late answer for an earlier round with round_closed', () => {
    const q2 = advance(closeRound(q, s, T0 + 1)!, s, T0 + 2)!;
    expect(judgeAnswer(m, q2, 1, 'right 1', T0 + 3)).toMatchObject({ ok: false, code: 'round_closed' });
  });
  it('refuses a choice that is not one of the choices with invalid_choice', () => {
    expect(judgeAnswer(m, q, 1, 'something else', T0 + 1)).toMatchObject({ ok: false, code: 'invalid_choice' });
    expect(judgeAnswer(m, q, 1, 'right 2', T0 + 1)).toMatchObject({ ok: false, code: 'invalid_choice' });
    expect(judgeAnswer(m, q, 1, 'RIGHT 1', T0 + 1)).toMatchObject({ ok: false, code: 'invalid_choice' });
    expect(judgeAnswer(m, q, 1, '', T0 + 1)).toMatchObject({ ok: false, code: 'invalid_choice' });
  });
});

describe('partyView', () => {
  const s = settings();
  const m = meta(s);
  const players = [
    { userId: 'carol', score: 500 },
    { userId: 'alice', score: 1750 },
    { userId: 'bob', score: 500 },
    { userId: 'dave', score: 0 },
  ];
  const view = (phase: Phase, now = T0 + 5000, extra: Partial<ViewInput> = {}) =>
    partyView({ meta: m, phase, players, connected: new Set(['alice', 'bob']), answered: new Set(['bob']), now, ...extra });

  it('in the lobby: no question, no choices, no deadline, no correct_answer', () => {
    const v = view(LOBBY);
    expect(v).toMatchObject({ status: 'lobby', current_round: 1, question: null, choices: [], deadline: null, time_left_ms: null });
    expect(v).not.toHaveProperty('correct_answer');
    expect(JSON.stringify(v)).not.toContain('right 1');
  });

  it('while the question is open: choices and time left, never the correct answer', () => {
    const q = started(s);
    const v = view(q, T0 + 5000);
    expect(v).toMatchObject({
      status: 'question',
      current_round: 1,
      question: 'Fixture question 1?',
      choices: m.questions[0]!.choices,
      deadline: T0 + TIMEOUT * 1000,
      time_left_ms: TIMEOUT * 1000 - 5000,
    });
    expect(v).not.toHaveProperty('correct_answer');
    expect('correct_answer' in JSON.parse(JSON.stringify(v))).toBe(false);
  });

  it('time_left_ms never goes negative', () => {
    expect(view(started(s), T0 + TIMEOUT * 1000 + 5000).time_left_ms).toBe(0);
  });

  it('in the reveal: the correct answer, no deadline', () => {
    const r = closeRound(started(s), s, T0 + 1000)!;
    const v = view(r);
    expect(v).toMatchObject({ status: 'reveal', current_round: 1, correct_answer: 'right 1', deadline: null, time_left_ms: null });
  });

  it('once finished: the last correct answer', () => {
    const f: Phase = { status: 'finished', round: 3, openedAt: T0, deadline: null, revealEndsAt: null };
    expect(view(f)).toMatchObject({ status: 'finished', current_round: 3, correct_answer: 'right 3' });
  });

  it('lists players by score, descending, with connected and answered flags', () => {
    const v = view(started(s));
    expect(v.players.map((p) => p.user_id)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(v.players.map((p) => p.score)).toEqual([1750, 500, 500, 0]);
    expect(v.players[0]).toEqual({ user_id: 'alice', score: 1750, connected: true, answered: false });
    expect(v.players[1]).toEqual({ user_id: 'bob', score: 500, connected: true, answered: true });
    expect(v.players[2]).toEqual({ user_id: 'carol', score: 500, connected: false, answered: false });
  });

  it('carries the party identity and settings', () => {
    expect(view(LOBBY)).toMatchObject({
      party_id: m.partyId,
      game_id: m.gameId,
      join_code: '123456',
      host: 'alice',
      category: 'Fixture Trivia',
      rounds: 3,
      timeout: TIMEOUT,
      start_mode: 'host',
    });
  });

  it('does not change the choices of the meta when the view is changed', () => {
    const v = view(started(s));
    v.choices.push('extra');
    expect(m.questions[0]!.choices).toHaveLength(4);
  });
});

describe('rankPlayers', () => {
  it('sorts by score descending, ties by user id, without changing its input', () => {
    const input = [
      { userId: 'b', score: 10 },
      { userId: 'a', score: 10 },
      { userId: 'c', score: 30 },
      { userId: 'd', score: -1 },
    ];
    const copy = input.map((p) => ({ ...p }));
    expect(rankPlayers(input).map((p) => p.userId)).toEqual(['c', 'a', 'b', 'd']);
    expect(input).toEqual(copy);
  });
});

describe('openRound', () => {
  it('sets the deadline from the timeout', () => {
    expect(openRound(2, settings({ timeoutSeconds: 1 }), 5)).toEqual({ status: 'question', round: 2, openedAt: 5, deadline: 1005, revealEndsAt: null });
  });
});

describe('phaseRank', async () => {
  const { phaseRank } = await import('../../src/game/rules.js');
  it('grows with every transition of a party', () => {
    const order = [
      { status: 'lobby', round: 1 },
      { status: 'question', round: 1 },
      { status: 'reveal', round: 1 },
      { status: 'question', round: 2 },
      { status: 'reveal', round: 2 },
      { status: 'finished', round: 2 },
    ] as const;
    for (let i = 1; i < order.length; i++) expect(phaseRank(order[i]!)).toBeGreaterThan(phaseRank(order[i - 1]!));
    // An abandoned game finishes after the phase it was in.
    expect(phaseRank({ status: 'finished', round: 1 })).toBeGreaterThan(phaseRank({ status: 'reveal', round: 1 }));
  });
});
