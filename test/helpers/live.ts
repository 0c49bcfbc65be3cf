/**
 * Helpers for the live-game tests: clients that time-stamp every message, raw `ws` sockets
 * for frames the QuizClient never sends, waiting on messages without racing them, and a
 * per-test session that closes every socket it opened.
 */
import { randomBytes } from 'node:crypto';
import type { ClientRequestArgs } from 'node:http';
import net from 'node:net';
import WebSocket from 'ws';
import type { ServerMessage } from '../../src/client/quiz-client.js';
import { client, type RecordingClient } from './clients.js';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const uniq = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

export function wsUrl(base: string, partyId: string, token?: string): string {
  const q = token === undefined ? '' : `?token=${encodeURIComponent(token)}`;
  return `${base.replace(/^http/, 'ws')}/ws/${partyId}${q}`;
}

/** SPEC's points for a correct answer `ms` after the round opened (written here, not imported from src). */
export function specPoints(ms: number, timeoutSeconds: number): number {
  const t = Math.min(Math.max(ms, 0) / 1000, timeoutSeconds);
  return Math.round(1000 * (1 - t / (2 * timeoutSeconds)));
}

export interface Timed<T> {
  msg: T;
  /** Date.now() when the message arrived. */
  at: number;
  /** Its position in the source's `messages`. */
  index: number;
}

/** Anything that records messages in order with their arrival times. */
export interface MessageSource<M> {
  label: string;
  messages: M[];
  arrivals: number[];
  listen(fn: () => void): () => void;
}

/**
 * The first message at index >= `since` matching `pred`: already received, or arriving within
 * `timeoutMs`. Taking `since` before acting means a fast reply can never be missed.
 */
export function waitMessage<M, T extends M>(
  src: MessageSource<M>,
  pred: ((m: M) => m is T) | ((m: M) => boolean),
  opts: { since?: number; timeoutMs?: number; what?: string } = {},
): Promise<Timed<T>> {
  const since = opts.since ?? 0;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const find = (): Timed<T> | null => {
    for (let i = since; i < src.messages.length; i++) {
      const m = src.messages[i]!;
      if (pred(m)) return { msg: m as T, at: src.arrivals[i] ?? Date.now(), index: i };
    }
    return null;
  };
  const found = find();
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      const tail = src.messages.slice(-6).map((m) => JSON.stringify(m).slice(0, 300));
      reject(new Error(`${src.label}: no ${opts.what ?? 'matching message'} within ${timeoutMs} ms; last messages:\n  ${tail.join('\n  ')}`));
    }, timeoutMs);
    const off = src.listen(() => {
      const hit = find();
      if (hit) {
        clearTimeout(timer);
        off();
        resolve(hit);
      }
    });
  });
}

/** The project's QuizClient (over `ws`, every raw frame recorded) plus arrival times. */
export interface LiveClient extends RecordingClient, MessageSource<ServerMessage> {}

export function liveClient(base: string, partyId: string, token?: string, label = token ? 'player' : 'spectator'): LiveClient {
  const c = client(base, partyId, token) as LiveClient;
  c.label = label;
  c.arrivals = [];
  // Registered after the recorder of `messages`, so both arrays stay index-aligned.
  c.on(() => c.arrivals.push(Date.now()));
  c.listen = (fn) => c.on(() => fn());
  return c;
}

export type AnyMessage = Record<string, unknown> & { type?: string };

/** A bare `ws` socket, for binary frames, oversized frames, floods and unanswered pings. */
export class RawSocket implements MessageSource<AnyMessage> {
  readonly ws: WebSocket;
  readonly messages: AnyMessage[] = [];
  readonly frames: string[] = [];
  readonly arrivals: number[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; reason: string; at: number }>;
  closeInfo: { code: number; reason: string; at: number } | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(readonly url: string, readonly label = 'raw', options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.ws.on('error', () => undefined);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('close', (code) => reject(new Error(`${label}: closed (${code}) before open`)));
    });
    this.opened.catch(() => undefined);
    this.closed = new Promise((resolve) => {
      this.ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason), at: Date.now() };
        resolve(this.closeInfo);
      });
    });
    this.ws.on('message', (data, isBinary) => {
      const text = isBinary ? `<binary ${(data as Buffer).length} bytes>` : String(data);
      this.frames.push(text);
      let msg: AnyMessage;
      try {
        msg = JSON.parse(text) as AnyMessage;
      } catch {
        msg = { type: '__unparsed', text };
      }
      this.messages.push(msg);
      this.arrivals.push(Date.now());
      for (const fn of [...this.listeners]) fn();
    });
  }

  listen(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(data: string | Buffer): void {
    this.ws.send(data);
  }

  json(obj: unknown): void {
    this.ws.send(JSON.stringify(obj));
  }

  next(pred: (m: AnyMessage) => boolean, opts: { since?: number; timeoutMs?: number; what?: string } = {}) {
    return waitMessage<AnyMessage, AnyMessage>(this, pred, opts);
  }

  /** Resolves with the close, or rejects if the socket is still open after `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<{ code: number; reason: string; at: number }> {
    return Promise.race([
      this.closed,
      sleep(timeoutMs).then(() => {
        throw new Error(`${this.label}: still open after ${timeoutMs} ms`);
      }),
    ]);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
  }
}

export const isType = (type: string, extra: Record<string, unknown> = {}) => (m: { type?: unknown } & Record<string, unknown>) =>
  m.type === type && Object.entries(extra).every(([k, v]) => m[k] === v);

/** Every socket a test opens, closed when it ends. */
export class Session {
  private readonly closers: (() => void)[] = [];

  constructor(readonly base: string) {}

  client(partyId: string, token?: string, label?: string): LiveClient {
    const c = liveClient(this.base, partyId, token, label);
    this.closers.push(() => c.close());
    return c;
  }

  async connect(partyId: string, token?: string, label?: string): Promise<LiveClient> {
    const c = this.client(partyId, token, label);
    await c.connect();
    return c;
  }

  raw(partyId: string, token?: string, label?: string, options?: WebSocket.ClientOptions): RawSocket {
    return this.rawUrl(wsUrl(this.base, partyId, token), label, options);
  }

  rawUrl(url: string, label?: string, options?: WebSocket.ClientOptions): RawSocket {
    const s = new RawSocket(url, label, options);
    this.closers.push(() => s.close());
    return s;
  }

  close(): void {
    for (const c of this.closers.splice(0)) {
      try {
        c();
      } catch {
        // already closed
      }
    }
  }
}

export async function httpJson(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}

/**
 * Opens a WebSocket and resolves with its close code and the local port it connected from,
 * so a test can find the server's side of that very connection.
 */
export function wsCloseWithPort(url: string, timeoutMs = 5000): Promise<{ code: number; localPort: number | null }> {
  return new Promise((resolve, reject) => {
    let localPort: number | null = null;
    const createConnection = (opts: net.NetConnectOpts) => {
      const s = net.connect(opts);
      s.once('connect', () => (localPort = s.localPort ?? null));
      return s;
    };
    const ws = new WebSocket(url, { createConnection } as unknown as ClientRequestArgs);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`${url}: socket did not close`));
    }, timeoutMs);
    ws.on('error', () => undefined);
    ws.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, localPort });
    });
  });
}
