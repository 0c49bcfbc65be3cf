/**
 * What travels on a party's bus channel: a small JSON header for the engines of every
 * process (the phase to time, the connected-player count), a newline, then the client
 * frame, serialised once and handed on byte for byte (empty for engine-only messages).
 */
import { partyView } from '../game/rules.js';
import type { ServerMessage, StateEvent } from '../game/protocol.js';
import type { Phase } from '../game/types.js';
import type { PartySnapshot } from '../ports.js';

export interface Header {
  k: 'state' | 'score' | 'presence';
  phase?: Phase;
  /** Connected players of the party, any process. */
  cp?: number;
}

// Scores are the bulk of the traffic: a constant header that needs no parsing.
const SCORE_HEADER = '{"k":"score"}\n';

export function stateFrame(event: StateEvent, snap: PartySnapshot, now: number): string {
  return JSON.stringify({ type: 'state', event, ...partyView({ ...snap, now }) });
}

export function statePayload(event: StateEvent, snap: PartySnapshot, now: number): string {
  const header: Header = { k: 'state', phase: snap.phase, cp: snap.connected.size };
  return `${JSON.stringify(header)}\n${stateFrame(event, snap, now)}`;
}

export function presencePayload(snap: PartySnapshot): string {
  const header: Header = { k: 'presence', cp: snap.connected.size };
  return `${JSON.stringify(header)}\n`;
}

export function scorePayload(msg: Extract<ServerMessage, { type: 'score' }>): string {
  return SCORE_HEADER + JSON.stringify(msg);
}

const SCORE_HEADER_BYTES = Buffer.from(SCORE_HEADER);
const NEWLINE = 0x0a;

/** Splits a received payload; the frame stays bytes, ready to write to sockets. */
export function openPayload(payload: Buffer): { header: Header | null; frame: Buffer } {
  const n = SCORE_HEADER_BYTES.length;
  if (payload.length >= n && payload.compare(SCORE_HEADER_BYTES, 0, n, 0, n) === 0) {
    return { header: null, frame: payload.subarray(n) };
  }
  const nl = payload.indexOf(NEWLINE);
  return { header: JSON.parse(payload.toString('utf8', 0, nl)) as Header, frame: payload.subarray(nl + 1) };
}
