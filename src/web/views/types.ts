import type { StateMessage } from '../../client/quiz-client.js';
import type { AnswerRecord, Session } from '../session.js';

/** A mounted page: its root element, and what to stop when it is replaced. */
export interface View {
  el: HTMLElement;
  /** The document title while the page shows (default "Quiz Party"). */
  title?: string;
  destroy?(): void;
}

/** Moving between pages; each one also sets the URL (`/`, `/?code=`, `/?host`, `/?stats=`). */
export interface Nav {
  home(opts?: { code?: string; message?: string }): void;
  setup(): void;
  play(session: Session): void;
  stats(userId: string): void;
}

/** Everything a game screen renders from, rebuilt by the game controller on each change. */
export interface GameCtx {
  state: StateMessage;
  me: string;
  isHost: boolean;
  /** My answer to the current round (what I picked, and the server's verdict once it came). */
  mine: AnswerRecord | null;
  /** `performance.now()` at which the open question closes, from `time_left_ms` on arrival. */
  deadlineAt: number | null;
  myScore: number;
  /** Points each player gained in the current round, when the round's start was seen. */
  deltas: Map<string, number> | null;
  answer(choice: string): void;
  start(): void;
  leave(): void;
  openStats(): void;
}

/** One phase of the game (lobby, question, reveal, podium), updated in place while it lasts. */
export interface Screen {
  el: HTMLElement;
  update(ctx: GameCtx): void;
  destroy?(): void;
}
