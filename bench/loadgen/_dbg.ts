import WebSocket from 'ws';
import { QuizClient, type SocketLike } from '../../src/client/quiz-client.js';
const base = 'http://127.0.0.1:18766';
const post = async (p: string, b: unknown) => (await fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })).json() as any;
const init = await post('/api/party/init', { player_id: 'h', category: 'Science', rounds: 3, timeout: 10, reveal_seconds: 0, start_mode: 'host', max_players: 3 });
const toks = [init.token];
for (const u of ['a', 'b']) toks.push((await post(`/api/party/${init.party_id}/join`, { user_id: u })).token);
await Promise.all(toks.map(async (token, i) => {
  const t = Date.now();
  const c = new QuizClient({ baseUrl: base, partyId: init.party_id, token, reconnect: false, socketFactory: (u) => new WebSocket(u) as unknown as SocketLike });
  c.on((m) => console.log(i, Date.now() - t, m.type, (m as any).event));
  c.onStatus((s, code) => console.log(i, Date.now() - t, 'status', s, code));
  await c.connect();
  console.log(i, 'connected in', Date.now() - t);
}));
process.exit(0);
