/** Tokens and the admin token never reach the logs, even at the most verbose level. */
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeApp, testModes, type TestApp } from '../helpers/app.js';
import { client, closeCodeOf, setupParty } from '../helpers/clients.js';

const ADMIN = 'admin-token-that-is-long-enough-123';

describe.each(testModes())('log redaction (%s)', (mode) => {
  let t: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
    t = await makeApp(mode, { LOG_LEVEL: 'trace', ADMIN_TOKEN: ADMIN }, { logStream: stream });
    await t.listen();
  });
  afterAll(() => t?.close());

  it('logs requests but never a player token or the admin token', async () => {
    const p = await setupParty(t.url, { players: ['bea'], start_mode: 'host' });
    const c = client(t.url, p.partyId, p.tokens.bea);
    await c.connect();
    c.close();
    // A wrong token in the URL is logged redacted too.
    await closeCodeOf(`${t.url.replace('http', 'ws')}/ws/${p.partyId}?token=${encodeURIComponent(p.tokens.host!)}x`);
    await fetch(`${t.url}/api/questions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '[]' });
    await new Promise((r) => setTimeout(r, 100));
    const text = lines.join('\n');
    expect(text).toContain('/ws/');
    expect(text).toContain('token=[redacted]');
    for (const token of Object.values(p.tokens)) expect(text).not.toContain(token.split('.')[1]);
    expect(text).not.toContain(ADMIN);
  });
});
