/**
 * The game as a pure state machine: every function takes the current phase and `now`
 * and returns the next phase or a refusal. Stores apply the result atomically; nothing
 * here touches a clock, a socket or a database.
 */
import type { EndedHow, PartyMeta, PartySettings, Phase, PartyStateView, PlayerScore } from './types.js';

export type Refusal<C extends string> = { ok: false; code: C; detail: string };

export const LOBBY: Phase = Object.freeze({ status: 'lobby', round: 1, openedAt: null, deadline: null, revealEndsAt: null });

/** Points for a correct answer `ms` after the round opened: 1000 at once, 500 at the deadline. */
export function pointsFor(ms: number, timeoutSeconds: number): number {
  const t = Math.min(Math.max(ms, 0) / 1000, timeoutSeconds);
  return Math.round(1000 * (1 - t / (2 * timeoutSeconds)));
}

export function openRound(round: number, settings: PartySettings, now: number): Phase {
  return { status: 'question', round, openedAt: now, deadline: now + settings.timeoutSeconds * 1000, revealEndsAt: null };
}

/** lobby -> question 1. */
export function startGame(phase: Phase, settings: PartySettings, now: number): Phase | Refusal<'already_started'> {
  if (phase.status !== 'lobby') return { ok: false, code: 'already_started', detail: 'the game has already started' };
  return openRound(1, settings, now);
}

/** question -> reveal (at the deadline, or early when everyone connected has answered). */
export function closeRound(phase: Phase, settings: PartySettings, now: number): Phase | null {
  if (phase.status !== 'question') return null;
  return { ...phase, status: 'reveal', revealEndsAt: now + settings.revealSeconds * 1000 };
}

/** reveal -> next question, or finished after the last round's reveal. */
export function advance(phase: Phase, settings: PartySettings, now: number): Phase | null {
  if (phase.status !== 'reveal') return null;
  if (phase.round >= settings.rounds) return endGame(phase, 'finished');
  return openRound(phase.round + 1, settings, now);
}

/** Any phase -> finished, recording how the game ended. */
export function endGame(phase: Phase, how: EndedHow): Phase {
  return { ...phase, status: 'finished', deadline: null, revealEndsAt: null, endedHow: how };
}

/** True when at least one player is connected and every connected player has answered. */
export function everyoneAnswered(connected: ReadonlySet<string>, answered: ReadonlySet<string>): boolean {
  if (connected.size === 0) return false;
  for (const u of connected) if (!answered.has(u)) return false;
  return true;
}

const STATUS_ORDER = { lobby: 0, question: 1, reveal: 2, finished: 3 } as const;

/** A number that grows with every transition of a party: compares phases by age. */
export function phaseRank(phase: Pick<Phase, 'status' | 'round'>): number {
  return phase.round * 4 + STATUS_ORDER[phase.status];
}

/** The next automatic transition and when it is due, or null when only an event moves the party. */
export function nextTransition(phase: Phase): { at: number; kind: 'close' | 'advance' } | null {
  if (phase.status === 'question' && phase.deadline !== null) return { at: phase.deadline, kind: 'close' };
  if (phase.status === 'reveal' && phase.revealEndsAt !== null) return { at: phase.revealEndsAt, kind: 'advance' };
  return null;
}

/** Applies whichever automatic transition is due at `now`, if any. */
export function dueTransition(phase: Phase, settings: PartySettings, now: number): Phase | null {
  const next = nextTransition(phase);
  if (!next || next.at > now) return null;
  return next.kind === 'close' ? closeRound(phase, settings, now) : advance(phase, settings, now);
}

export type AnswerRefusal = 'wrong_round' | 'round_closed' | 'invalid_choice';
export type JudgedAnswer = { ok: true; correct: boolean; points: number; ms: number; questionId: number };

/** Judges an answer against the phase; the store still has to record it atomically (once, while open). */
export function judgeAnswer(
  meta: PartyMeta,
  phase: Phase,
  round: number,
  choice: string,
  now: number,
): JudgedAnswer | Refusal<AnswerRefusal> {
  // An earlier round is closed (a late answer); any other round is not the open one.
  if (round < phase.round) return { ok: false, code: 'round_closed', detail: `round ${round} is closed` };
  if (round !== phase.round) {
    return { ok: false, code: 'wrong_round', detail: `round ${round} is not the current round (${phase.round})` };
  }
  if (phase.status !== 'question' || phase.openedAt === null || phase.deadline === null || now > phase.deadline) {
    return { ok: false, code: 'round_closed', detail: `round ${round} is not open for answers` };
  }
  const q = meta.questions[round - 1];
  if (!q || !q.choices.includes(choice)) {
    return { ok: false, code: 'invalid_choice', detail: 'choice must be one of the question\'s choices' };
  }
  const ms = Math.max(0, now - phase.openedAt);
  const correct = choice === q.answer;
  return { ok: true, correct, points: correct ? pointsFor(ms, meta.settings.timeoutSeconds) : 0, ms, questionId: q.id };
}

/** Orders players for display: score descending, then user id for a stable order. */
export function rankPlayers<T extends PlayerScore>(players: T[]): T[] {
  return [...players].sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

export interface ViewInput {
  meta: PartyMeta;
  phase: Phase;
  players: PlayerScore[];
  connected: ReadonlySet<string>;
  answered: ReadonlySet<string>;
  now: number;
}

/** Builds the public party state. The correct answer is only present once the round is closed. */
export function partyView({ meta, phase, players, connected, answered, now }: ViewInput): PartyStateView {
  const inLobby = phase.status === 'lobby';
  const q = inLobby ? undefined : meta.questions[phase.round - 1];
  const view: PartyStateView = {
    party_id: meta.partyId,
    game_id: meta.gameId,
    join_code: meta.joinCode,
    host: meta.host,
    category: meta.settings.category,
    rounds: meta.settings.rounds,
    timeout: meta.settings.timeoutSeconds,
    start_mode: meta.settings.startMode,
    status: phase.status,
    current_round: phase.round,
    question: q ? q.question : null,
    choices: q ? [...q.choices] : [],
    deadline: phase.status === 'question' ? phase.deadline : null,
    time_left_ms: phase.status === 'question' && phase.deadline !== null ? Math.max(0, phase.deadline - now) : null,
    players: rankPlayers(players).map((p) => ({
      user_id: p.userId,
      score: p.score,
      connected: connected.has(p.userId),
      answered: answered.has(p.userId),
    })),
  };
  if (q && (phase.status === 'reveal' || phase.status === 'finished')) view.correct_answer = q.answer;
  return view;
}
