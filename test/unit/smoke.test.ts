import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { makeApp, testModes, type TestApp } from '../helpers/app.js';

describe.each(testModes())('smoke (%s)', (mode) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeApp(mode);
  });
  afterAll(() => t?.close());
  it('creates a party', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/party/init', payload: { player_id: 'a', category: 'Science', rounds: 3 } });
    expect(res.statusCode).toBe(201);
  });
});
