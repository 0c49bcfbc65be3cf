/**
 * The WebSocket protocol: one discriminated union per direction. Client messages are
 * validated at the edge with these schemas; server messages are built with these types.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import type { PartyStateView } from './types.js';

export const AnswerMessage = Type.Object({
  type: Type.Literal('answer'),
  round: Type.Integer({ minimum: 1, maximum: 1000 }),
  choice: Type.String({ maxLength: 1000 }),
});
export const StartMessage = Type.Object({ type: Type.Literal('start') });
export const PingMessage = Type.Object({ type: Type.Literal('ping') });
export const AuthMessage = Type.Object({ type: Type.Literal('auth'), token: Type.String({ minLength: 1, maxLength: 512 }) });

export const ClientMessage = Type.Union([AnswerMessage, StartMessage, PingMessage, AuthMessage]);
export type ClientMessage = Static<typeof ClientMessage>;

const checkClientMessage = Compile(ClientMessage);
const KNOWN_TYPES = new Set(['answer', 'start', 'ping', 'auth']);

/** Parses one client frame; refusals carry the reason for the `bad_message` error. */
export function parseClientMessage(raw: string): { ok: true; msg: ClientMessage } | { ok: false; detail: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, detail: 'not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, detail: 'a message is a JSON object' };
  const type = (data as { type?: unknown }).type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) {
    return { ok: false, detail: `unknown message type ${JSON.stringify(type ?? null).slice(0, 40)}` };
  }
  if (!checkClientMessage.Check(data)) {
    const first = [...checkClientMessage.Errors(data)].find((e) => e.instancePath !== '');
    const where = first ? first.instancePath.replace(/^\//, '') : 'message';
    return { ok: false, detail: `${type}: ${where} ${first?.message ?? 'is invalid'}` };
  }
  return { ok: true, msg: data as ClientMessage };
}

export type StateEvent = 'connected' | 'question' | 'reveal' | 'player_joined' | 'finished';

export const ERROR_CODES = [
  'bad_message', 'not_a_player', 'not_host', 'wrong_round', 'round_closed', 'already_answered', 'invalid_choice', 'rate_limited',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ServerMessage =
  | ({ type: 'state'; event: StateEvent } & PartyStateView)
  | { type: 'score'; user_id: string; score: number; round: number }
  | { type: 'answer_result'; round: number; correct: boolean; points: number; score: number }
  | { type: 'error'; code: ErrorCode; detail: string }
  | { type: 'pong' };

/** WebSocket close codes the server uses. */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  policyViolation: 1008,
  tooBig: 1009,
  serverError: 1011,
  unauthorized: 4401,
  notFound: 4404,
  tooManySockets: 4429,
} as const;
