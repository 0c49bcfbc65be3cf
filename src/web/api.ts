/** The public HTTP API, as the web client uses it. Errors become ApiError with the server's code. */
import type { PartyStateView } from '../game/types.js';
import type { PlayerStats } from '../game/feedback.js';

export type { PlayerStats };

export interface Category { category: string; questions: number }
export interface InitRequest {
  player_id: string;
  category: string;
  rounds: number;
  timeout: number;
  start_mode: 'auto' | 'host';
}
export interface InitReply { party_id: string; game_id: string; join_code: string; token: string }
export interface JoinReply { message: string; game_id: string; token: string }
export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, detail: string) {
    super(detail);
  }
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  let data: unknown = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const e = (data ?? {}) as { code?: string; detail?: string };
    throw new ApiError(res.status, e.code ?? `http_${res.status}`, e.detail ?? `Request failed (${res.status})`);
  }
  return data as T;
}

const enc = encodeURIComponent;

export const api = {
  categories: () => request<Category[]>('GET', '/api/categories'),
  createParty: (body: InitRequest) => request<InitReply>('POST', '/api/party/init', body),
  resolveCode: (code: string) => request<{ party_id: string }>('GET', `/api/party/code/${enc(code)}`),
  join: (partyId: string, userId: string) => request<JoinReply>('POST', `/api/party/${enc(partyId)}/join`, { user_id: userId }),
  state: (partyId: string) => request<PartyStateView>('GET', `/api/party/${enc(partyId)}/question_data`),
  stats: (userId: string) => request<PlayerStats>('GET', `/api/players/${enc(userId)}/stats`),
};

/** A sentence a person can act on, for any error thrown by `api`. */
export function friendlyError(err: unknown): string {
  if (!(err instanceof ApiError)) return 'Something went wrong. Please try again.';
  switch (err.code) {
    case 'party_not_found':
      return 'No game with that code is running. Check the code with your host.';
    case 'already_joined':
      return 'That name is already taken in this game. Pick another one.';
    case 'party_full':
      return 'This game is full.';
    case 'not_enough_questions':
      return 'That category does not have enough questions for so many rounds.';
    default:
      return err.message;
  }
}
