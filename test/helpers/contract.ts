/**
 * Shared pieces of the port contract suites (test/contract/): service discovery, waiting,
 * and builders for party metadata, answers and questions.
 *
 * Every contract suite runs one function of tests against every implementation of a port.
 * The in-process implementation always runs; the Redis / PostgreSQL one runs when
 * global-setup.ts found the services and is skipped (with the reason) otherwise.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import type { PartyMeta, RecordedAnswer } from '../../src/game/types.js';
import type { QuestionInput } from '../../src/game/questions.js';

export const services = () => inject('services');
export const skipReason = () => inject('skipReason') || 'services unavailable';

/** One implementation under test; `make` is null when its backing service is unreachable. */
export interface Implementation<H> {
  name: string;
  make: (() => Promise<H>) | null;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A short random suffix, so data of this run never collides with other suites or runs. */
export const hex = (bytes = 4) => randomBytes(bytes).toString('hex');
export const uniq = (prefix: string) => `${prefix}-${hex()}`;

/** Polls `cond` until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/**
 * Join codes of the contract suites are never 6 digits, so they cannot collide with the codes
 * the app claims in other test files sharing the run's Redis database.
 */
export const joinCode = () => `T${hex(5).toUpperCase()}`;

export interface MetaOptions {
  partyId?: string;
  host?: string;
  maxPlayers?: number;
  rounds?: number;
  joinCode?: string;
  category?: string;
  visibility?: 'public' | 'private';
  createdAt?: number;
  questionIds?: number[];
}

/** Party metadata with some non-ASCII text, so a round trip through a store is a real test. */
export function makeMeta(o: MetaOptions = {}): PartyMeta {
  const rounds = o.rounds ?? o.questionIds?.length ?? 3;
  const ids = o.questionIds ?? Array.from({ length: rounds }, (_, i) => 1000 + i);
  return {
    partyId: o.partyId ?? randomUUID(),
    gameId: randomUUID(),
    joinCode: o.joinCode ?? joinCode(),
    host: o.host ?? uniq('host'),
    settings: {
      category: o.category ?? 'Science',
      rounds,
      timeoutSeconds: 15,
      startMode: 'host',
      revealSeconds: 3,
      maxPlayers: o.maxPlayers ?? 8,
      visibility: o.visibility ?? 'public',
    },
    createdAt: o.createdAt ?? Date.now(),
    questions: ids.map((id, i) => ({
      id,
      question: `Question ${i + 1}: “Ünïcödé” 🧪 and a\nnewline?`,
      answer: `right ${i + 1}`,
      choices: [`wrong a ${i + 1}`, `right ${i + 1}`, `wrong b ${i + 1}`, `wrong c ${i + 1}`],
    })),
  };
}

export function makeAnswer(userId: string, round: number, points = 100, over: Partial<RecordedAnswer> = {}): RecordedAnswer {
  return {
    round,
    userId,
    questionId: 1000 + round - 1,
    choice: points > 0 ? `right ${round}` : `wrong a ${round}`,
    correct: points > 0,
    points,
    ms: 1234,
    ...over,
  };
}

/** A valid question of `category`; `n` makes its text unique. */
export function questionInput(category: string, n: number | string): QuestionInput {
  return {
    question: `Contract question ${n} of ${category}?`,
    answer: `right ${n}`,
    choice1: `wrong a ${n}`,
    choice2: `wrong b ${n}`,
    choice3: `wrong c ${n}`,
    category,
  };
}
