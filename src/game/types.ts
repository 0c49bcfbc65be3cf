/** Plain data shapes of a party. No I/O here: these travel between game/, live/ and the stores. */

export type PartyStatus = 'lobby' | 'question' | 'reveal' | 'finished';
export type StartMode = 'auto' | 'host';
export type Visibility = 'public' | 'private';

export interface PartySettings {
  category: string;
  rounds: number;
  timeoutSeconds: number;
  startMode: StartMode;
  revealSeconds: number;
  maxPlayers: number;
  visibility: Visibility;
}

/** A question as the party uses it: choices already shuffled, once, server-side. */
export interface PartyQuestion {
  id: number;
  question: string;
  answer: string;
  choices: string[];
}

/** What never changes after `init`. */
export interface PartyMeta {
  partyId: string;
  gameId: string;
  joinCode: string;
  host: string;
  settings: PartySettings;
  createdAt: number;
  questions: PartyQuestion[];
}

/** The moving part: which phase, which round, and the absolute times that end it. */
export interface Phase {
  status: PartyStatus;
  /** 1..rounds; 1 while in the lobby. */
  round: number;
  openedAt: number | null;
  deadline: number | null;
  revealEndsAt: number | null;
  /** Set with status `finished`: how the game ended. */
  endedHow?: EndedHow;
}

/** finished: played to the end; abandoned: everyone left mid-game; expired: never started. */
export type EndedHow = 'finished' | 'abandoned' | 'expired';

export interface PlayerScore {
  userId: string;
  score: number;
}

/** An accepted answer, as stored for the round and later written to PostgreSQL. */
export interface RecordedAnswer {
  round: number;
  userId: string;
  questionId: number;
  choice: string;
  correct: boolean;
  points: number;
  /** Server-measured milliseconds from the round's opening to the answer. */
  ms: number;
}

/** The party state of SPEC (`question_data` and every WS `state`). */
export interface PartyStateView {
  party_id: string;
  game_id: string;
  join_code: string;
  host: string;
  category: string;
  rounds: number;
  timeout: number;
  start_mode: StartMode;
  status: PartyStatus;
  current_round: number;
  question: string | null;
  choices: string[];
  deadline: number | null;
  time_left_ms: number | null;
  correct_answer?: string;
  players: { user_id: string; score: number; connected: boolean; answered: boolean }[];
}
