/** Real protocol clients for tests: the project's QuizClient over the `ws` package. */
import WebSocket from 'ws';
import { QuizClient, type ServerMessage, type SocketLike, type StateMessage } from '../../src/client/quiz-client.js';

export const wsFactory = (url: string) => new WebSocket(url) as unknown as SocketLike;

export interface RecordingClient extends QuizClient {
  /** Every frame received, raw, in order. */
  frames: string[];
  messages: ServerMessage[];
}

export function client(baseUrl: string, partyId: string, token?: string, reconnect = false): RecordingClient {
  const frames: string[] = [];
  const c = new QuizClient({
    baseUrl,
    partyId,
    token,
    reconnect,
    backoffMs: { initial: 50, max: 500 },
    socketFactory: (url) => {
      const s = new WebSocket(url);
      s.on('message', (d) => frames.push(String(d)));
      return s as unknown as SocketLike;
    },
  }) as RecordingClient;
  c.frames = frames;
  c.messages = [];
  c.on((m) => c.messages.push(m));
  return c;
}

export const isState = (event?: string, round?: number) => (m: ServerMessage): m is StateMessage =>
  m.type === 'state' && (event === undefined || m.event === event) && (round === undefined || m.current_round === round);

/** Opens a raw socket and resolves with its close code and reason (for close-code tests). */
export function closeCodeOf(url: string, send?: (ws: WebSocket) => void, timeoutMs = 10_000): Promise<{ code: number; reason: string; frames: string[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: string[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('socket did not close'));
    }, timeoutMs);
    ws.on('message', (d) => frames.push(String(d)));
    ws.on('open', () => send?.(ws));
    ws.on('error', () => undefined);
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve({ code, reason: String(reason), frames });
    });
  });
}

export async function post(base: string, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

export async function get(base: string, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path);
  return { status: res.status, body: await res.json() };
}

/** Creates a party and joins `players` more; returns ids and every player's token. */
export async function setupParty(
  base: string,
  opts: { host?: string; players?: string[]; category?: string; rounds?: number; timeout?: number; reveal_seconds?: number; start_mode?: string; max_players?: number },
) {
  const host = opts.host ?? 'host';
  const init = await post(base, '/api/party/init', {
    player_id: host,
    category: opts.category ?? 'Science',
    rounds: opts.rounds ?? 2,
    timeout: opts.timeout ?? 5,
    reveal_seconds: opts.reveal_seconds ?? 0,
    start_mode: opts.start_mode ?? 'auto',
    ...(opts.max_players ? { max_players: opts.max_players } : {}),
  });
  if (init.status !== 201) throw new Error(`init failed: ${JSON.stringify(init.body)}`);
  const tokens: Record<string, string> = { [host]: init.body.token };
  for (const p of opts.players ?? []) {
    const j = await post(base, `/api/party/${init.body.party_id}/join`, { user_id: p });
    if (j.status !== 200) throw new Error(`join failed: ${JSON.stringify(j.body)}`);
    tokens[p] = j.body.token;
  }
  return { partyId: init.body.party_id as string, gameId: init.body.game_id as string, joinCode: init.body.join_code as string, tokens };
}

/** The first message so far that matches, or the next one to arrive. */
export function seen<T extends ServerMessage>(c: RecordingClient, match: (m: ServerMessage) => m is T, timeoutMs = 10_000): Promise<T> {
  const earlier = c.messages.find(match);
  return earlier ? Promise.resolve(earlier) : c.waitFor(match, timeoutMs);
}

/** A `state` of any event showing the given status (and round). */
export const inPhase = (status: string, round?: number) => (m: ServerMessage): m is StateMessage =>
  m.type === 'state' && m.status === status && (round === undefined || m.current_round === round);
