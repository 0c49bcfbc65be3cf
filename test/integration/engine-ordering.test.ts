/** A state built before a newer transition, arriving late on the bus, must not roll clients back. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, testModes, type TestApp } from '../helpers/app.js';
import { client, inPhase, seen, setupParty } from '../helpers/clients.js';
import { scorePayload, statePayload } from '../../src/live/envelope.js';

describe.each(testModes())('bus ordering (%s)', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp(mode);
    await t.listen();
  });
  afterAll(() => t?.close());

  it('drops a late state of an earlier phase and keeps the newer one', async () => {
    const p = await setupParty(t.url, { players: ['late'], rounds: 3, timeout: 1, reveal_seconds: 0 });
    const c = client(t.url, p.partyId, p.tokens.late);
    await c.connect();
    await seen(c, inPhase('question', 1));
    const { store, bus } = t.ctx.adapters;
    const old = (await store.load(p.partyId, Date.now()))!;
    expect(old.phase.status).toBe('question');
    await seen(c, inPhase('question', 2), 5000);
    const before = c.messages.length;
    // The stale state, then a marker from the same publisher: once the marker is in, so was it.
    await bus.publish(p.partyId, statePayload('player_joined', old, Date.now()));
    await bus.publish(p.partyId, scorePayload({ type: 'score', user_id: 'marker', score: 0, round: 2 }));
    await c.waitFor((m) => m.type === 'score' && m.user_id === 'marker', 5000);
    const after = c.messages.slice(before);
    expect(after.some((m) => m.type === 'state' && m.current_round === 1)).toBe(false);
    // The room's timer still follows the real phase: the game goes on to the end.
    await seen(c, inPhase('finished'), 10_000);
    c.close();
  });
});
