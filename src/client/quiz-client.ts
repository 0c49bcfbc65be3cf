/**
 * A small typed client for the quiz protocol, for browsers and Node alike: connect with a
 * token, receive typed messages, send answers, and reconnect with backoff. The web app,
 * the benchmark's load generator and the tests all use this one implementation.
 */
// Types only: the protocol's one definition, erased from the browser bundle.
import type { ServerMessage, StateEvent } from '../game/protocol.js';

export type { ServerMessage, StateEvent };
export type StateMessage = Extract<ServerMessage, { type: 'state' }>;

/** The subset of the WebSocket API the client needs (browser WebSocket and `ws` both fit). */
export interface SocketLike {
  readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

export interface QuizClientOptions {
  /** Base URL of the server, e.g. `http://localhost:8000` (ws:// is derived). */
  baseUrl: string;
  partyId: string;
  /** A player token; without it the client is a spectator. */
  token?: string;
  /** How to open a socket; defaults to the global WebSocket. */
  socketFactory?: SocketFactory;
  /** Reconnect after an unexpected close (default true). Never after 4401/4404 or a finished game. */
  reconnect?: boolean;
  /** Backoff: first delay and cap in ms (defaults 250 / 5000), with jitter. */
  backoffMs?: { initial: number; max: number };
}

type Listener = (msg: ServerMessage) => void;
export type ConnectionStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE_CODES = new Set([1000, 1008, 1009, 4401, 4404, 4429]);

export class QuizClient {
  private socket: SocketLike | null = null;
  private listeners = new Set<Listener>();
  private statusListeners = new Set<(s: ConnectionStatus, closeCode?: number) => void>();
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closedByUser = false;
  status: ConnectionStatus = 'closed';
  /** The latest `state` received. */
  state: StateMessage | null = null;
  lastCloseCode: number | null = null;

  constructor(private readonly opts: QuizClientOptions) {}

  get url(): string {
    const base = this.opts.baseUrl.replace(/^http/, 'ws').replace(/\/$/, '');
    const q = this.opts.token ? `?token=${encodeURIComponent(this.opts.token)}` : '';
    return `${base}/ws/${encodeURIComponent(this.opts.partyId)}${q}`;
  }

  /** Opens the connection; resolves at the first `state`, rejects if closed before it. */
  connect(): Promise<StateMessage> {
    this.closedByUser = false;
    return new Promise((resolve, reject) => {
      const off = this.on((m) => {
        if (m.type === 'state') {
          off();
          offStatus();
          resolve(m);
        }
      });
      const offStatus = this.onStatus((s, code) => {
        if (s === 'closed' || s === 'reconnecting') {
          off();
          offStatus();
          reject(Object.assign(new Error(`connection closed (${code ?? 'no code'})`), { code }));
        }
      });
      this.open();
    });
  }

  private setStatus(s: ConnectionStatus, code?: number): void {
    this.status = s;
    for (const fn of [...this.statusListeners]) fn(s, code);
  }

  private open(): void {
    this.setStatus(this.attempts ? 'reconnecting' : 'connecting');
    const factory = this.opts.socketFactory ?? ((url: string) => new (globalThis as unknown as { WebSocket: new (u: string) => SocketLike }).WebSocket(url));
    const socket = factory(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.setStatus('open');
    };
    socket.onmessage = (ev) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(ev.data)) as ServerMessage;
      } catch {
        return;
      }
      if (msg.type === 'state') this.state = msg;
      for (const fn of [...this.listeners]) fn(msg);
    };
    socket.onerror = () => undefined;
    socket.onclose = (ev) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.lastCloseCode = ev.code;
      const finished = this.state?.status === 'finished';
      if (this.closedByUser || finished || FINAL_CLOSE_CODES.has(ev.code) || this.opts.reconnect === false) {
        this.setStatus('closed', ev.code);
        return;
      }
      this.scheduleReconnect(ev.code);
    };
  }

  private scheduleReconnect(code: number): void {
    const { initial, max } = this.opts.backoffMs ?? { initial: 250, max: 5000 };
    const delay = Math.min(max, initial * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts += 1;
    this.setStatus('reconnecting', code);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closedByUser) this.open();
    }, delay);
  }

  /** Subscribes to every server message; returns the unsubscribe function. */
  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  onStatus(fn: (s: ConnectionStatus, closeCode?: number) => void): () => void {
    this.statusListeners.add(fn);
    return () => this.statusListeners.delete(fn);
  }

  /** Resolves with the first message (from now on) that matches, or rejects after `timeoutMs`. */
  waitFor<T extends ServerMessage>(match: (m: ServerMessage) => m is T, timeoutMs?: number): Promise<T>;
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<ServerMessage>;
  waitFor(match: (m: ServerMessage) => boolean, timeoutMs = 10_000): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for a message`));
      }, timeoutMs);
      const off = this.on((m) => {
        if (match(m)) {
          clearTimeout(timer);
          off();
          resolve(m);
        }
      });
    });
  }

  send(msg: { type: 'answer'; round: number; choice: string } | { type: 'start' } | { type: 'ping' } | { type: 'auth'; token: string }): boolean {
    if (!this.socket || this.socket.readyState !== 1) return false;
    this.socket.send(JSON.stringify(msg));
    return true;
  }

  answer(round: number, choice: string): boolean {
    return this.send({ type: 'answer', round, choice });
  }

  start(): boolean {
    return this.send({ type: 'start' });
  }

  close(): void {
    this.closedByUser = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.socket?.close(1000, 'bye');
    if (!this.socket) this.setStatus('closed');
  }
}
