/**
 * Baseline: the least a quiz fan-out server can do, on the bare `ws` package. Groups of
 * sockets at `/ws/{group}?token={user_id}` play the same game as the quiz server, with the
 * same frames (same fields, similar sizes): `state` on connect, `question` (auto: first
 * connection; host: `start`), `answer` -> `answer_result` to the sender and `score` to the
 * whole group, `reveal` at the deadline (a bare setTimeout at an absolute time) or when
 * every connected player answered, `finished` then close 1000. No validation beyond
 * JSON.parse, no persistence, no rate limit, no Redis: an upper bound for the same
 * generator. GET /stats returns the lateness of its deadline timers.
 *
 * Env: PORT, HOST, RAW_START_MODE (auto|host), RAW_ROUNDS, RAW_TIMEOUT_MS, RAW_REVEAL_MS.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';

const PORT = Number(process.env.PORT ?? 0);
const HOST = process.env.HOST ?? '127.0.0.1';
const START_MODE = process.env.RAW_START_MODE === 'host' ? 'host' : 'auto';
const ROUNDS = Number(process.env.RAW_ROUNDS ?? 3);
const TIMEOUT_MS = Number(process.env.RAW_TIMEOUT_MS ?? 3000);
const REVEAL_MS = Number(process.env.RAW_REVEAL_MS ?? 1000);

// Question-like text of a typical length, so frames weigh what the quiz server's weigh.
const QUESTION = 'Which of these planets has the shortest day, measured as one full rotation on its axis?';
const CHOICES = ['Jupiter', 'Mercury', 'Venus', 'Mars'];

interface Player { userId: string; score: number; conns: number; answered: boolean }

interface Group {
  id: string;
  gameId: string;
  sockets: Set<WebSocket>;
  players: Map<string, Player>;
  status: 'lobby' | 'question' | 'reveal' | 'finished';
  round: number;
  deadline: number | null;
  openedAt: number;
  timer: NodeJS.Timeout | null;
}

const groups = new Map<string, Group>();
const lateness: number[] = [];
let framesOut = 0;

function view(g: Group, event: string): string {
  const now = Date.now();
  const players = [...g.players.values()]
    .sort((a, b) => b.score - a.score || (a.userId < b.userId ? -1 : 1))
    .map((p) => ({ user_id: p.userId, score: p.score, connected: p.conns > 0, answered: p.answered }));
  const body: Record<string, unknown> = {
    type: 'state',
    event,
    party_id: g.id,
    game_id: g.gameId,
    join_code: '123456',
    host: players[0]?.user_id ?? '',
    category: 'Science',
    rounds: ROUNDS,
    timeout: Math.round(TIMEOUT_MS / 1000),
    start_mode: START_MODE,
    status: g.status,
    current_round: g.round,
    question: g.status === 'lobby' ? null : QUESTION,
    choices: g.status === 'lobby' ? [] : CHOICES,
    deadline: g.status === 'question' ? g.deadline : null,
    time_left_ms: g.status === 'question' && g.deadline !== null ? Math.max(0, g.deadline - now) : null,
    players,
  };
  if (g.status === 'reveal' || g.status === 'finished') body.correct_answer = CHOICES[0];
  return JSON.stringify(body);
}

function broadcast(g: Group, frame: string): void {
  for (const s of g.sockets) {
    if (s.readyState === s.OPEN) {
      s.send(frame);
      framesOut += 1;
    }
  }
}

function openRound(g: Group, round: number): void {
  g.status = 'question';
  g.round = round;
  g.openedAt = Date.now();
  const deadline = g.openedAt + TIMEOUT_MS;
  g.deadline = deadline;
  for (const p of g.players.values()) p.answered = false;
  broadcast(g, view(g, 'question'));
  g.timer = setTimeout(() => {
    g.timer = null;
    lateness.push(Math.max(0, Date.now() - deadline));
    closeRound(g);
  }, deadline - Date.now());
}

function closeRound(g: Group): void {
  if (g.status !== 'question') return;
  if (g.timer) clearTimeout(g.timer);
  g.timer = null;
  g.status = 'reveal';
  broadcast(g, view(g, 'reveal'));
  g.timer = setTimeout(() => {
    g.timer = null;
    if (g.round >= ROUNDS) {
      g.status = 'finished';
      broadcast(g, view(g, 'finished'));
      for (const s of g.sockets) s.close(1000, 'game over');
      groups.delete(g.id);
    } else openRound(g, g.round + 1);
  }, REVEAL_MS);
}

function onMessage(g: Group, socket: WebSocket, userId: string, data: string): void {
  let msg: { type?: string; round?: number; choice?: string };
  try {
    msg = JSON.parse(data) as typeof msg;
  } catch {
    socket.send('{"type":"error","code":"bad_message","detail":"not valid JSON"}');
    return;
  }
  if (msg.type === 'ping') {
    socket.send('{"type":"pong"}');
    return;
  }
  if (msg.type === 'start') {
    if (g.status === 'lobby') openRound(g, 1);
    return;
  }
  if (msg.type !== 'answer') return;
  const p = g.players.get(userId);
  if (!p || g.status !== 'question' || msg.round !== g.round || p.answered || !CHOICES.includes(String(msg.choice))) {
    socket.send(JSON.stringify({ type: 'error', code: 'round_closed', detail: `round ${msg.round} is not open` }));
    return;
  }
  p.answered = true;
  const correct = msg.choice === CHOICES[0];
  const points = correct ? Math.round(1000 * (1 - (Date.now() - g.openedAt) / (2 * TIMEOUT_MS))) : 0;
  p.score += points;
  socket.send(JSON.stringify({ type: 'answer_result', round: g.round, correct, points, score: p.score }));
  framesOut += 1;
  broadcast(g, JSON.stringify({ type: 'score', user_id: userId, score: p.score, round: g.round }));
  let all = true;
  for (const q of g.players.values()) if (q.conns > 0 && !q.answered) all = false;
  if (all) closeRound(g);
}

const wss = new WebSocketServer({ noServer: true });
const server = http.createServer((req, res) => {
  if (req.url === '/stats') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ lateness, framesOut, groups: groups.size, sockets: wss.clients.size }));
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end('{"ok":true}');
});

server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = /^\/ws\/([^/]+)$/.exec(url.pathname);
  const userId = url.searchParams.get('token');
  if (!m || !userId) {
    socket.destroy();
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    const id = decodeURIComponent(m[1]!);
    let g = groups.get(id);
    if (!g) {
      g = { id, gameId: randomUUID(), sockets: new Set(), players: new Map(), status: 'lobby', round: 1, deadline: null, openedAt: 0, timer: null };
      groups.set(id, g);
    }
    const group = g;
    let p = group.players.get(userId);
    if (!p) group.players.set(userId, (p = { userId, score: 0, conns: 0, answered: false }));
    const player = p;
    player.conns += 1;
    group.sockets.add(ws);
    ws.on('message', (data) => onMessage(group, ws, userId, String(data)));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      group.sockets.delete(ws);
      player.conns -= 1;
    });
    ws.send(view(group, 'connected'));
    framesOut += 1;
    if (START_MODE === 'auto' && group.status === 'lobby') openRound(group, 1);
  });
});

server.listen(PORT, HOST, () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`raw-ws listening at http://${HOST}:${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
