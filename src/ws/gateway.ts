/**
 * The WebSocket edge: `/ws/{party_id}`. Authenticates, enforces size and rate limits,
 * validates every frame against the protocol schemas, keeps connections alive with
 * protocol pings, and hands valid messages to the live engine.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { AppContext } from '../app.js';
import { CLOSE, parseClientMessage, type ServerMessage } from '../game/protocol.js';
import { partyView } from '../game/rules.js';
import type { Conn, LiveEngine } from '../live/engine.js';
import { canonicalUuid } from '../live/party-service.js';
import { getParty, getPlayers } from '../adapters/postgres/parties-repo.js';
import { digestMatches, tokenUser } from '../live/tokens.js';

/** A socket whose outgoing buffer grows past this is too slow to keep up: drop it. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

interface SocketState {
  conn: Conn;
  missedPongs: number;
  windowStart: number;
  windowCount: number;
  warned: boolean;
  attached: boolean;
}

export const wsGateway = (ctx: AppContext, engine: LiveEngine) => async (app: FastifyInstance) => {
  const { config, metrics, adapters } = ctx;

  const sockets = new Map<WebSocket, SocketState>();
  const heartbeat = setInterval(() => {
    for (const [socket, s] of sockets) {
      if (s.missedPongs >= 2) {
        socket.terminate();
        continue;
      }
      s.missedPongs += 1;
      socket.ping();
    }
  }, config.pingIntervalSeconds * 1000);
  heartbeat.unref();
  app.addHook('onClose', async () => clearInterval(heartbeat));

  const send = (socket: WebSocket, msg: ServerMessage) => socket.send(JSON.stringify(msg));
  const log = app.log;

  /** The final state of a party that is over, read from PostgreSQL; null if the id is unknown. */
  async function finishedParty(partyId: string, token: string | null): Promise<'unknown' | 'bad_token' | 'ok'> {
    const row = await getParty(adapters.db, partyId);
    if (!row) return 'unknown';
    if (token) {
      const userId = tokenUser(token);
      const player = userId ? (await getPlayers(adapters.db, partyId)).find((p) => p.user_id === userId) : undefined;
      if (!player || !digestMatches(token, player.token_hash)) return 'bad_token';
    }
    return 'ok';
  }

  app.get('/ws/:party_id', { websocket: true, schema: { hide: true } }, (socket, req) => {
    // Nothing below keeps `req`: a socket lives long, the upgrade request should not.
    const rawPartyId = (req.params as { party_id: string }).party_id;
    const partyId = canonicalUuid(rawPartyId) ?? rawPartyId;
    const query = req.query as Record<string, unknown>;
    const token = typeof query.token === 'string' && query.token ? query.token : null;
    const conn: Conn = {
      id: engine.newConnId(),
      partyId,
      userId: null,
      send: (frame) => {
        if (socket.readyState !== socket.OPEN) return;
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.terminate();
          return;
        }
        socket.send(frame, { binary: false });
      },
      close: (code, reason) => socket.close(code, reason),
    };
    const state: SocketState = { conn, missedPongs: 0, windowStart: Date.now(), windowCount: 0, warned: false, attached: false };
    sockets.set(socket, state);
    metrics.wsConnections.inc();

    // Frames that arrive before the connection is set up wait here, in order.
    let backlog: string[] | null = [];
    let chain = Promise.resolve();
    const run = (fn: () => Promise<void>) => {
      chain = chain.then(fn).catch((err: unknown) => {
        log.error({ err }, 'websocket message failed');
      });
    };

    socket.on('pong', () => {
      state.missedPongs = 0;
    });
    socket.on('close', () => {
      sockets.delete(socket);
      metrics.wsConnections.dec();
      if (state.attached) run(() => engine.detach(conn));
    });
    socket.on('error', () => undefined);
    socket.on('message', (data, isBinary) => {
      const now = Date.now();
      if (now - state.windowStart >= 1000) {
        state.windowStart = now;
        state.windowCount = 0;
        state.warned = false;
      }
      state.windowCount += 1;
      if (state.windowCount > config.wsMaxMessagesPerSecond) {
        if (state.windowCount > config.wsMaxMessagesPerSecond * 2) {
          socket.close(CLOSE.policyViolation, 'rate limit exceeded');
          return;
        }
        if (!state.warned) {
          state.warned = true;
          metrics.wsErrors.labels('rate_limited').inc();
          send(socket, { type: 'error', code: 'rate_limited', detail: `at most ${config.wsMaxMessagesPerSecond} messages per second` });
        }
        return;
      }
      const text = isBinary ? null : (data as Buffer).toString('utf8');
      if (backlog) {
        backlog.push(text ?? '\u0000binary');
        return;
      }
      run(() => onFrame(text));
    });

    async function onFrame(text: string | null): Promise<void> {
      if (socket.readyState !== socket.OPEN) return;
      if (text === null || text === '\u0000binary') {
        send(socket, { type: 'error', code: 'bad_message', detail: 'send JSON text frames' });
        return;
      }
      const parsed = parseClientMessage(text);
      if (!parsed.ok) {
        metrics.wsErrors.labels('bad_message').inc();
        send(socket, { type: 'error', code: 'bad_message', detail: parsed.detail });
        return;
      }
      metrics.wsMessagesIn.labels(parsed.msg.type).inc();
      if (parsed.msg.type === 'auth') {
        if (conn.userId) {
          send(socket, { type: 'error', code: 'bad_message', detail: 'already authenticated' });
          return;
        }
        const userId = await engine.authenticate(partyId, parsed.msg.token);
        if (!userId) {
          socket.close(CLOSE.unauthorized, 'invalid token');
          return;
        }
        await engine.upgrade(conn, userId);
        return;
      }
      await engine.handle(conn, parsed.msg);
    }

    run(() =>
      setUp().catch((err: unknown) => {
        // Never leave a client waiting for a first state that will not come.
        log.error({ err }, 'websocket set-up failed');
        socket.close(CLOSE.serverError, 'server error; try again');
      }),
    );

    async function setUp(): Promise<void> {
      if (!canonicalUuid(partyId)) {
        socket.close(CLOSE.notFound, 'no such party');
        return;
      }
      const live = await adapters.store.load(partyId, Date.now());
      if (live?.phase.status === 'finished') {
        // Results are being written: show the final state, without waiting for PostgreSQL.
        if (token && !(await engine.authenticate(partyId, token))) return socket.close(CLOSE.unauthorized, 'invalid token');
        socket.send(JSON.stringify({ type: 'state', event: 'finished', ...partyView({ ...live, now: Date.now() }) }));
        return socket.close(CLOSE.normal, 'game over');
      }
      if (!live) {
        const found = await finishedParty(partyId, token);
        if (found === 'unknown') socket.close(CLOSE.notFound, 'no such party');
        else if (found === 'bad_token') socket.close(CLOSE.unauthorized, 'invalid token');
        else {
          const view = await ctx.parties.recordedState(partyId);
          socket.send(JSON.stringify({ type: 'state', event: 'finished', ...view }));
          socket.close(CLOSE.normal, 'game over');
        }
        return;
      }
      if (token) {
        conn.userId = await engine.authenticate(partyId, token);
        if (!conn.userId) {
          socket.close(CLOSE.unauthorized, 'invalid token');
          return;
        }
      }
      if (live.connections >= config.wsMaxSocketsPerParty) {
        socket.close(CLOSE.tooManySockets, 'party has too many connections');
        return;
      }
      if (socket.readyState !== socket.OPEN) return;
      state.attached = true;
      const ok = await engine.attach(conn);
      if (!ok) {
        state.attached = false;
        socket.close(CLOSE.normal, 'game over');
        return;
      }
      const pending = backlog ?? [];
      backlog = null;
      for (const text of pending) await onFrame(text);
    }
  });
};
