/**
 * Property-based fuzzing of every HTTP route, in both modes. SPEC: "Malformed JSON, wrong
 * types, unknown message types, non-UUID ids, ids with control characters, huge strings: a
 * clear 4xx ..., never a 500, never a crash, never a change to any other party."
 *
 * For every generated request: the status is below 500, and every 4xx is a JSON
 * `{detail: string, code: string}`. After the run, a control party created up front is
 * exactly as it was.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { makeApp, testModes, type TestApp } from '../helpers/app.js';

const ADMIN_TOKEN = randomBytes(16).toString('hex');
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const fcParams = { numRuns: NUM_RUNS, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }) };
const HUGE = 64 * 1024;

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

// ---------------------------------------------------------------- encoders

/** Percent-encodes any JS string, lone surrogates included (as their WTF-8 bytes). */
function encodeSegment(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const bytes = [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
      out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    } else out += encodeURIComponent(ch);
  }
  return out;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? 'null';
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------- arbitraries

/** Raw (already encoded) path-segment garbage: broken escapes, dot segments, encoded slashes. */
const rawGarbage = fc.constantFrom('%', '%2', '%zz', '%ff', '%C0%AF', '%E0%A4%A', '%ED%A0%80', '..', '.', '%2F', 'a%2Fb', '%00', '%0A', '%7F', '%C2%85');

const strings = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: fc.constantFrom('\u0000', '\u0001', '\n', '\r', '\t', '\u007f', '\u0085', '\u009f', '\u200b', '\ufeff', ' ', 'a') }),
);

/** Anything one could put where an id goes, already encoded for a URL path. */
const idSegment = fc.oneof(
  fc.uuid().map(encodeSegment),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.tuple(fc.uuid(), fc.constantFrom('%00', '%0A', '%1F', '%7F', '%20', '%C2%85', 'x', '0')).map(([u, tail]) => `${u}${tail}`),
  strings.map(encodeSegment),
  fc.string({ minLength: 90, maxLength: 400 }).map(encodeSegment),
  fc.constantFrom("' OR 1=1 --", '1; DROP TABLE parties', '../../etc/passwd', 'null', 'undefined', '__proto__', 'constructor', '0', '-1').map(encodeSegment),
  fc.array(fc.oneof(rawGarbage, fc.string().map(encodeSegment)), { maxLength: 4 }).map((parts) => parts.join('')),
);

/** Join codes: the right shape (likely unknown), near misses, and garbage. */
const codeSegment = fc.oneof(
  fc.stringMatching(/^[0-9]{6}$/),
  fc.stringMatching(/^[0-9]{0,12}$/),
  fc.integer().map(String),
  idSegment,
);

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'application/json;;',
    'APPLICATION/JSON',
    'text/plain',
    'text/csv',
    'text/csv; charset=latin1',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/xml',
    'application/octet-stream',
    '*/*',
    '',
  ),
  fc.string(), // printable ASCII: what an HTTP header can actually carry
);

const deepNesting = fc.integer({ min: 1, max: 30_000 }).chain((n) =>
  fc.constantFrom('['.repeat(n) + ']'.repeat(n), '{"a":'.repeat(n) + '1' + '}'.repeat(n), '['.repeat(n)),
);

/** Strings near and over the 64 KiB body limit. */
const hugeBody = fc
  .tuple(fc.integer({ min: HUGE - 200, max: HUGE + 4096 }), fc.constantFrom('player_id', 'user_id', 'category', 'question', 'pad'))
  .map(([n, key]) => JSON.stringify({ [key]: 'x'.repeat(n), category: 'Science', rounds: 3 }));

const protoBodies = fc.constantFrom(
  '{"__proto__":{"polluted":"yes"},"player_id":"p","category":"Science","rounds":1}',
  '{"constructor":{"prototype":{"polluted":"yes"}},"user_id":"u"}',
  '[{"__proto__":{"polluted":"yes"}}]',
  '{"questions":[{"__proto__":{"polluted":"yes"}}]}',
);

/** Bodies that are not specific to one route. */
const genericBody = fc.oneof(
  fc.json(),
  fc.anything().map(safeStringify),
  fc.jsonValue().map(safeStringify),
  fc.tuple(fc.json(), fc.nat()).map(([s, n]) => s.slice(0, n % (s.length + 1))), // truncated JSON
  strings,
  hugeBody,
  deepNesting,
  protoBodies,
  fc.constant(''),
);

const intish = fc.oneof(
  fc.integer({ min: -5, max: 2100 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, 1, 2, 30, 50, 51, 600, 601, 2000, 2001, -0, 1e309 as number, Number.MAX_SAFE_INTEGER + 2),
  fc.string(),
  fc.constant(null),
  fc.boolean(),
);

const textish = fc.oneof(
  fc.string({ maxLength: 70 }),
  strings,
  fc.string({ minLength: 60, maxLength: 70 }),
  fc.constant(null),
  fc.integer(),
  fc.array(fc.string(), { maxLength: 2 }),
);

/** Mostly a valid value, sometimes anything. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 4, arbitrary: valid as fc.Arbitrary<T | U> }, { weight: 1, arbitrary: other as fc.Arbitrary<T | U> });

const validText = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim().length > 0);

/** init bodies close to valid, so the fuzzer also gets past validation and creates parties. */
const initFields = {
  player_id: mostly(validText, textish),
  category: mostly(fc.constantFrom('Science', 'History', 'Art'), fc.oneof(fc.constantFrom('Nope', 'science', ''), textish)),
  rounds: mostly(fc.integer({ min: 1, max: 10 }), intish),
  timeout: mostly(fc.integer({ min: 1, max: 600 }), intish),
  start_mode: mostly(fc.constantFrom('auto', 'host'), fc.oneof(fc.constantFrom('later', 'AUTO'), textish)),
  reveal_seconds: mostly(fc.integer({ min: 0, max: 30 }), intish),
  max_players: mostly(fc.integer({ min: 2, max: 2000 }), intish),
  visibility: mostly(fc.constantFrom('public', 'private'), fc.oneof(fc.constant('secret'), textish)),
  extra: fc.anything(),
};
const initBody = mostly(
  fc.record(initFields, { requiredKeys: ['player_id', 'category', 'rounds'] }),
  fc.record(initFields, { requiredKeys: [] }),
).map(safeStringify);

const joinBody = fc.record({ user_id: mostly(validText, textish), extra: fc.anything() }, { requiredKeys: [] }).map(safeStringify);

/** Question rows, mostly valid; the category keeps a fuzz prefix so no real category is touched. */
const questionRow = fc.record(
  {
    question: mostly(validText.map((s) => `fuzz question ${s}?`), textish),
    answer: mostly(validText.map((s) => `A ${s}`), textish),
    choice1: mostly(validText.map((s) => `B ${s}`), textish),
    choice2: mostly(validText.map((s) => `C ${s}`), textish),
    choice3: mostly(validText.map((s) => `D ${s}`), textish),
    category: mostly(fc.constantFrom('fuzz category', 'fuzz other'), fc.oneof(fc.string({ maxLength: 70 }).map((s) => `fuzz ${s}`), textish)),
  },
  { requiredKeys: ['question', 'answer', 'choice1', 'choice2', 'choice3', 'category'] },
).chain((row) => fc.constantFrom(row, { ...row, answer: undefined }, { ...row, choice2: row.answer }));

const questionBody = fc.oneof(
  fc.array(questionRow, { maxLength: 5 }).map(safeStringify),
  fc.array(questionRow, { maxLength: 5 }).map((questions) => safeStringify({ questions })),
  fc
    .array(
      fc.record(
        {
          type: fc.constantFrom('multiple', 'boolean', 'other'),
          category: fc.string().map((s) => `fuzz &amp; ${s}`),
          question: textish,
          correct_answer: textish,
          incorrect_answers: fc.oneof(fc.array(textish, { maxLength: 4 }), textish),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    )
    .map((results) => safeStringify({ response_code: 0, results })),
  fc
    .array(
      mostly(
        fc.tuple(validText, validText).map(([q, a]) => [`fuzz csv ${q}?`, `A ${a}`, `B ${a}`, `C ${a}`, `D ${a}`, 'fuzz csv'].map((f) => `"${f.replaceAll('"', '""')}"`)),
        fc.array(fc.oneof(fc.string(), fc.constant('"'), fc.constant('fuzz csv')), { maxLength: 7 }),
      ),
      { maxLength: 4 },
    )
    .map((rows) => ['question,answer,choice1,choice2,choice3,category', ...rows.map((r) => r.join(','))].join('\n')),
  genericBody,
);

const queryValue = fc.oneof(
  fc.constantFrom('lobby', 'question', 'reveal', 'finished', 'bogus', 'Science', '', '0', '1', '20', '100', '101', '-1', '1.5', '1e2', ' 5', '05'),
  fc.integer().map(String),
  strings.map(encodeSegment),
  rawGarbage,
);
const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('status', 'category', 'limit', 'token', '__proto__', 'constructor'), fc.string().map(encodeSegment)), queryValue), {
    maxLength: 5,
  })
  .map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));

const extraHeaders = fc.dictionary(
  fc.constantFrom('accept', 'accept-encoding', 'content-encoding', 'x-forwarded-for', 'origin', 'cookie', 'accept-language', 'user-agent', 'x-request-id'),
  fc.string(),
  { maxKeys: 3 },
);

const authHeader = fc.option(
  fc.oneof(
    fc.string(),
    fc.string().map((s) => `Bearer ${s}`),
    fc.constantFrom('Bearer', 'Bearer ', `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, `Bearer ${ADMIN_TOKEN}0`, `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN),
  ),
  { nil: undefined },
);

// ---------------------------------------------------------------- checks

function describeRequest(opts: InjectOptions): string {
  const body = typeof opts.payload === 'string' ? opts.payload : '';
  return `${opts.method} ${String(opts.url).slice(0, 300)} ct=${JSON.stringify(opts.headers?.['content-type'])} body=${JSON.stringify(body.slice(0, 300))}${body.length > 300 ? `…(${body.length})` : ''}`;
}

/** SPEC: never a 500, and every error is `{detail, code}`. */
function checkResponse(opts: InjectOptions, res: LightMyRequestResponse): void {
  const where = `${describeRequest(opts)} -> ${res.statusCode} ${res.body.slice(0, 300)}`;
  if (res.statusCode >= 500) throw new Error(`server error: ${where}`);
  if (res.statusCode >= 400 && opts.method !== 'HEAD') {
    if (!/^application\/json/.test(String(res.headers['content-type']))) throw new Error(`error is not JSON: ${where}`);
    let body: unknown;
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new Error(`error body does not parse: ${where}`);
    }
    const b = body as Record<string, unknown>;
    if (typeof b !== 'object' || b === null || Array.isArray(b) || typeof b.detail !== 'string' || typeof b.code !== 'string') {
      throw new Error(`error body is not {detail, code}: ${where}`);
    }
    const keys = Object.keys(b).sort().join(',');
    if (keys !== 'code,detail') throw new Error(`error body has other fields (${keys}): ${where}`);
  }
}

// ---------------------------------------------------------------- suites

describe.each(testModes())('HTTP fuzz (%s)', (mode) => {
  let t: TestApp;
  let control: { party_id: string; join_code: string };
  let controlState: string;
  let controlRows: unknown[];
  let target: string;

  async function send(opts: InjectOptions): Promise<LightMyRequestResponse> {
    const res = await t.app.inject(opts);
    checkResponse(opts, res);
    return res;
  }

  const post = (url: string, payload: string, contentType: string | null, headers: Record<string, string> = {}) =>
    send({
      method: 'POST',
      url,
      payload,
      headers: { ...headers, ...(contentType === null ? {} : { 'content-type': contentType }) },
    });

  const bodyAndType = (body: fc.Arbitrary<string>) =>
    fc.tuple(
      fc.oneof({ weight: 3, arbitrary: body }, { weight: 1, arbitrary: genericBody }),
      fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 2, arbitrary: contentTypes }, { weight: 1, arbitrary: fc.constant(null) }),
      extraHeaders,
    );

  async function playersOf(partyId: string) {
    const { rows } = await t.ctx.adapters.db.query(
      'SELECT user_id, score, token_hash FROM party_players WHERE party_id = $1 ORDER BY user_id',
      [partyId],
    );
    return rows;
  }

  beforeAll(async () => {
    t = await makeApp(mode, { ADMIN_TOKEN });
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/party/init',
      payload: { player_id: 'control-host', category: 'Science', rounds: 5, max_players: 4 },
    });
    expect(created.statusCode).toBe(201);
    control = created.json();
    for (const u of ['control-a', 'control-b']) {
      const res = await t.app.inject({ method: 'POST', url: `/api/party/${control.party_id}/join`, payload: { user_id: u } });
      expect(res.statusCode).toBe(200);
    }
    controlState = (await t.app.inject({ method: 'GET', url: `/api/party/${control.party_id}/question_data` })).body;
    controlRows = await playersOf(control.party_id);

    const tgt = await t.app.inject({
      method: 'POST',
      url: '/api/party/init',
      payload: { player_id: 'target-host', category: 'History', rounds: 3, max_players: 2000, visibility: 'private' },
    });
    expect(tgt.statusCode).toBe(201);
    target = (tgt.json() as { party_id: string }).party_id;
  });
  afterAll(() => t?.close());

  it('POST /api/party/init', async () => {
    await fc.assert(
      fc.asyncProperty(bodyAndType(initBody), queryString, async ([body, ct, headers], query) => {
        const res = await post(`/api/party/init${query}`, body, ct, headers);
        if (res.statusCode === 201) expect(Object.keys(res.json() as object).sort()).toEqual(['game_id', 'join_code', 'party_id', 'token']);
      }),
      fcParams,
    );
  });

  it('POST /api/party/{id}/join with random ids', async () => {
    await fc.assert(
      fc.asyncProperty(idSegment, bodyAndType(joinBody), async (id, [body, ct, headers]) => {
        const res = await post(`/api/party/${id}/join`, body, ct, headers);
        expect(res.statusCode).not.toBe(200); // no random id is a party
      }),
      fcParams,
    );
  });

  it('POST /api/party/{id}/join with random bodies into a real party', async () => {
    await fc.assert(
      fc.asyncProperty(bodyAndType(joinBody), async ([body, ct, headers]) => {
        const res = await post(`/api/party/${target}/join`, body, ct, headers);
        expect([200, 400, 404, 409, 413, 415, 422]).toContain(res.statusCode);
      }),
      fcParams,
    );
  });

  it('GET /api/party/{id}/question_data', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(idSegment, fc.constantFrom(target, control.party_id, control.party_id.toUpperCase(), target.toUpperCase())), queryString, async (id, query) => {
        const res = await send({ method: 'GET', url: `/api/party/${id}/question_data${query}` });
        if (res.statusCode === 200) expect(res.body).not.toContain('correct_answer');
      }),
      fcParams,
    );
  });

  it('GET /api/party/code/{code}', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(codeSegment, fc.constant(control.join_code)), queryString, async (code, query) => {
        const res = await send({ method: 'GET', url: `/api/party/code/${code}${query}` });
        expect([200, 400, 404, 414, 422]).toContain(res.statusCode);
      }),
      fcParams,
    );
  });

  it('GET /api/parties', async () => {
    await fc.assert(
      fc.asyncProperty(queryString, extraHeaders, async (query, headers) => {
        const res = await send({ method: 'GET', url: `/api/parties${query}`, headers });
        if (res.statusCode === 200) {
          const list = res.json() as unknown[];
          expect(Array.isArray(list)).toBe(true);
          expect(list.length).toBeLessThanOrEqual(100);
        } else expect([400, 422]).toContain(res.statusCode);
      }),
      fcParams,
    );
  });

  it('GET /api/categories', async () => {
    await fc.assert(
      fc.asyncProperty(queryString, extraHeaders, genericBody, async (query, headers, body) => {
        const res = await send({ method: 'GET', url: `/api/categories${query}`, headers, payload: body });
        expect(res.statusCode).toBe(200);
      }),
      fcParams,
    );
  });

  it('POST /api/questions without the admin token: always 401', async () => {
    await fc.assert(
      fc.asyncProperty(bodyAndType(questionBody), authHeader, async ([body, ct, headers], auth) => {
        const res = await post('/api/questions', body, ct, { ...headers, ...(auth === undefined ? {} : { authorization: auth }) });
        expect(res.statusCode).toBe(401);
      }),
      fcParams,
    );
  });

  it('POST /api/questions with the admin token', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          fc.oneof({ weight: 3, arbitrary: questionBody }, { weight: 1, arbitrary: genericBody }),
          fc.oneof({ weight: 8, arbitrary: fc.constantFrom('application/json', 'text/csv', 'text/plain') }, { weight: 2, arbitrary: contentTypes }, { weight: 1, arbitrary: fc.constant(null) }),
          extraHeaders,
        ),
        async ([body, ct, headers]) => {
          const res = await post('/api/questions', body, ct, { ...headers, authorization: `Bearer ${ADMIN_TOKEN}` });
          if (res.statusCode === 201) {
            expect(Object.keys(res.json() as object).sort()).toEqual(['inserted', 'invalid', 'skipped']);
          } else expect([400, 413, 415, 422]).toContain(res.statusCode);
        },
      ),
      fcParams,
    );
  });

  it('GET /healthz and /readyz', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('/healthz', '/readyz'), queryString, extraHeaders, async (path, query, headers) => {
        const res = await send({ method: 'GET', url: `${path}${query}`, headers });
        expect(res.statusCode).toBe(200);
      }),
      fcParams,
    );
  });

  it('any method on any route', async () => {
    const paths = fc.oneof(
      fc.constantFrom('/api/party/init', '/api/parties', '/api/categories', '/api/questions', '/healthz', '/readyz', '/metrics', '/api/party', '/api', '/'),
      idSegment.map((id) => `/api/party/${id}/join`),
      idSegment.map((id) => `/api/party/${id}/question_data`),
      codeSegment.map((c) => `/api/party/code/${c}`),
      fc.array(fc.oneof(idSegment, rawGarbage), { minLength: 1, maxLength: 4 }).map((segs) => `/api/${segs.join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Method>('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
        paths,
        queryString,
        fc.option(genericBody, { nil: undefined }),
        fc.option(contentTypes, { nil: undefined }),
        async (method, path, query, body, ct) => {
          await send({
            method,
            url: `${path}${query}`,
            ...(body === undefined ? {} : { payload: body }),
            headers: ct === undefined ? {} : { 'content-type': ct },
          });
        },
      ),
      fcParams,
    );
  });

  it('left the control party and the process untouched', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/api/party/${control.party_id}/question_data` });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual(JSON.parse(controlState));
    expect(await playersOf(control.party_id)).toEqual(controlRows);
    const code = await t.app.inject({ method: 'GET', url: `/api/party/code/${control.join_code}` });
    expect(code.json()).toEqual({ party_id: control.party_id });
    const { rows } = await t.ctx.adapters.db.query<{ status: string }>('SELECT status FROM parties WHERE party_id = $1', [control.party_id]);
    expect(rows).toEqual([{ status: 'live' }]);
    // No prototype pollution from `__proto__` / `constructor` bodies or query keys.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await t.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
  });
});
