/**
 * Benchmark: drawing random questions from a large bank.
 *
 * Creates a scratch database (quiz_bench_<random>) on BENCH_DATABASE_URL, applies the
 * project's migrations and bundled bank (openPostgres + prepareDatabase), fills it up to
 * --rows questions with set-based SQL, then times, on one category of --category-size
 * questions:
 *   draw           drawQuestions(db, category, 10)   (random positions, index lookup)
 *   naive/category SELECT ... WHERE category = $1 ORDER BY random() LIMIT 10
 *   naive/table    SELECT ... ORDER BY random() LIMIT 10   (whole table, no filter)
 * Every draw is checked: 10 distinct ids, all of the category asked for.
 * The scratch database is dropped at the end, on error, on SIGINT/SIGTERM and on timeout.
 *
 *   npm run bench:questions -- [--rows N] [--category-size N] [--draw-iterations N]
 *     [--naive-iterations N] [--draw-warmup N] [--naive-warmup N] [--max-seconds N]
 *     [--layout clustered|interleaved] [--json]
 *
 * Progress goes to stderr; the table (and, with --json, one JSON object as the last line)
 * goes to stdout.
 */
import { progressLog } from './lib/progress.js';
import { redactUrl } from '../src/redact.js';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPostgres, type Database } from '../src/adapters/postgres/db.js';
import { prepareDatabase } from '../src/adapters/index.js';
import { drawQuestions, type QuestionRow } from '../src/adapters/postgres/questions-repo.js';

const DRAW_COUNT = 10;
const STATEMENT_TIMEOUT_MS = 180_000;

// ---------------------------------------------------------------------------------------
// Options

const HELP = `Usage: npm run bench:questions -- [options]
  --rows N              total questions in the scratch database (default 1000000)
  --category-size N     questions per synthetic category; the measured one has this many (default 50000)
  --draw-iterations N   timed drawQuestions calls (default 300)
  --naive-iterations N  timed ORDER BY random() queries, for each naive variant (default 30)
  --draw-warmup N       untimed drawQuestions calls first (default 30)
  --naive-warmup N      untimed naive queries first, for each variant (default 3)
  --max-seconds N       abort (and drop the scratch database) after this long (default 900)
  --layout L            physical order of the generated rows: clustered (default; one category
                        after another, as insertQuestions writes an import) or interleaved
                        (categories mixed row by row, as many small imports over time would)
  --json                also print one JSON object as the last line of stdout
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)`;

const { values: flags } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rows: { type: 'string', default: '1000000' },
    'category-size': { type: 'string', default: '50000' },
    'draw-iterations': { type: 'string', default: '300' },
    'naive-iterations': { type: 'string', default: '30' },
    'draw-warmup': { type: 'string', default: '30' },
    'naive-warmup': { type: 'string', default: '3' },
    'max-seconds': { type: 'string', default: '900' },
    layout: { type: 'string', default: 'clustered' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

if (flags.help) {
  process.stdout.write(`${HELP}\n`);
  process.exit(0);
}

function intFlag(name: keyof typeof flags, min: number): number {
  const raw = String(flags[name]).replaceAll('_', '');
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be an integer >= ${min} (got ${JSON.stringify(flags[name])})\n`);
    process.exit(2);
  }
  return n;
}

const opts = {
  rows: intFlag('rows', 1),
  categorySize: intFlag('category-size', DRAW_COUNT),
  drawIterations: intFlag('draw-iterations', 1),
  naiveIterations: intFlag('naive-iterations', 1),
  drawWarmup: intFlag('draw-warmup', 0),
  naiveWarmup: intFlag('naive-warmup', 0),
  maxSeconds: intFlag('max-seconds', 1),
  json: flags.json === true,
  layout: flags.layout as 'clustered' | 'interleaved',
};
if (opts.layout !== 'clustered' && opts.layout !== 'interleaved') {
  process.stderr.write(`--layout must be clustered or interleaved (got ${JSON.stringify(flags.layout)})\n`);
  process.exit(2);
}

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

// ---------------------------------------------------------------------------------------
// Progress and cleanup

const { progress, loadAtStart } = progressLog();

const scratch = {
  name: `quiz_bench_${randomBytes(5).toString('hex')}`,
  created: false,
  db: null as Database | null,
};
let stopping: string | null = null;
let stopCode = 1;
let cleanupPromise: Promise<void> | null = null;

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function cancelRunningQueries(): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  admin.on('error', () => undefined);
  try {
    await admin.connect();
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(*) FILTER (WHERE pg_cancel_backend(pid))::int AS n
         FROM pg_stat_activity WHERE datname = $1 AND state <> 'idle' AND pid <> pg_backend_pid()`,
      [scratch.name],
    );
    if (rows[0]!.n) {
      progress(`cancelled ${rows[0]!.n} running quer${rows[0]!.n === 1 ? 'y' : 'ies'}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch {
    // DROP ... WITH (FORCE) below still ends every session.
  } finally {
    await admin.end().catch(() => undefined);
  }
}

/** Drops the scratch database (forcing its sessions off) and closes the pool; runs once. */
function cleanup(): Promise<void> {
  cleanupPromise ??= (async () => {
    const closePool = async () => {
      if (!scratch.db) return;
      const db = scratch.db;
      scratch.db = null;
      await withTimeout(db.close().catch(() => undefined), 5000);
    };
    // When interrupted, a query may be running: cancel it so its client goes back to the
    // pool in good order, then close the pool, then drop (FORCE evicts any straggler).
    if (stopping && scratch.created) await cancelRunningQueries();
    await closePool();
    if (scratch.created) {
      const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
      admin.on('error', () => undefined);
      try {
        await admin.connect();
        // FORCE (PostgreSQL 13+) terminates the bench's own sessions, even mid-query.
        await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(scratch.name)} WITH (FORCE)`);
        scratch.created = false;
        progress(`dropped scratch database ${scratch.name}`);
      } catch (err) {
        process.stderr.write(
          `!! could not drop scratch database ${scratch.name}: ${(err as Error).message}\n` +
            `!! drop it by hand: DROP DATABASE ${scratch.name} WITH (FORCE);\n`,
        );
      } finally {
        await admin.end().catch(() => undefined);
      }
    }
  })();
  return cleanupPromise;
}

function abort(reason: string, code: number): void {
  if (stopping) return;
  stopping = reason;
  stopCode = code;
  process.stderr.write(`\n${reason}: stopping and dropping the scratch database\n`);
  void cleanup().finally(() => process.exit(code));
}

// A pooled client whose session ends while checked out emits 'error' with no listener;
// while stopping that is expected, otherwise it is a failure: clean up either way.
process.on('uncaughtException', (err) => {
  if (stopping || cleanupPromise) return;
  process.stderr.write(`\nbench failed: ${err.stack ?? String(err)}\n`);
  abort('uncaught exception', 1);
});
process.on('SIGINT', () => abort('interrupted (SIGINT)', 130));
process.on('SIGTERM', () => abort('terminated (SIGTERM)', 143));
const deadline = setTimeout(() => abort(`time limit of ${opts.maxSeconds}s reached (--max-seconds)`, 1), opts.maxSeconds * 1000);
deadline.unref();

function checkNotStopping(): void {
  if (stopping) throw new Error(stopping);
}

// ---------------------------------------------------------------------------------------
// Statistics and checks

interface Stats {
  iterations: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles, in milliseconds. */
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return {
    iterations: s.length,
    p50: round(at(0.5)),
    p99: round(at(0.99)),
    max: round(s[s.length - 1]!),
    mean: round(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

let checks = 0;
function checkDraw(label: string, rows: QuestionRow[] | null, category: string | null): void {
  checks += 1;
  if (!rows) throw new Error(`${label}: returned null (category too small or positions missing)`);
  if (rows.length !== DRAW_COUNT) throw new Error(`${label}: returned ${rows.length} rows, expected ${DRAW_COUNT}`);
  const ids = new Set(rows.map((r) => r.id));
  if (ids.size !== DRAW_COUNT) throw new Error(`${label}: ids not distinct: ${rows.map((r) => r.id).join(',')}`);
  if (category !== null) {
    const wrong = rows.filter((r) => r.category !== category);
    if (wrong.length) throw new Error(`${label}: ids ${wrong.map((r) => r.id).join(',')} are not in category ${category}`);
  }
}

async function measure<T>(
  label: string,
  warmup: number,
  iterations: number,
  run: () => Promise<T>,
  check: (result: T, phase: string) => void,
): Promise<Stats> {
  progress(`${label}: ${warmup} warm-up + ${iterations} timed iterations`);
  for (let i = 0; i < warmup; i++) {
    checkNotStopping();
    check(await run(), `${label} warm-up #${i + 1}`);
  }
  const samples: number[] = [];
  let lastReport = performance.now();
  for (let i = 0; i < iterations; i++) {
    checkNotStopping();
    const t0 = performance.now();
    const result = await run();
    samples.push(performance.now() - t0);
    check(result, `${label} #${i + 1}`);
    if (performance.now() - lastReport > 5000) {
      lastReport = performance.now();
      progress(`${label}: ${i + 1}/${iterations}`);
    }
  }
  const st = stats(samples);
  progress(`${label}: p50 ${st.p50.toFixed(3)} ms, p99 ${st.p99.toFixed(3)} ms, max ${st.max.toFixed(3)} ms`);
  return st;
}

// ---------------------------------------------------------------------------------------
// Fill

/**
 * Inserts, for each category c in $1 (with final size $2), the positions $3..min($4, size),
 * ordered by (position, category): with one category per call the rows are stored one
 * category after another; with every category per call they are interleaved.
 * question_norm follows normaliseText (lower case, runs of non-alphanumerics → one space).
 */
const FILL_SQL = `
INSERT INTO questions (question, answer, choice1, choice2, choice3, category, category_seq, question_norm)
SELECT q.question,
       'Answer ' || substr(h.h, 1, 8),
       'Choice ' || substr(h.h, 9, 8),
       'Choice ' || substr(h.h, 17, 8),
       'Choice ' || substr(h.h, 25, 8),
       c.category,
       g,
       trim(regexp_replace(lower(q.question), '[^a-z0-9]+', ' ', 'g'))
  FROM unnest($1::text[], $2::int[]) AS c(category, n)
 CROSS JOIN LATERAL generate_series($3::int, least($4::int, c.n)) AS g
 CROSS JOIN LATERAL (SELECT md5(c.category || ':' || g) AS h) AS h
 CROSS JOIN LATERAL (SELECT format('%s question %s: which answer goes with code %s?', c.category, g, substr(h.h, 1, 10)) AS question) AS q
 ORDER BY g, c.category`;

interface Fill {
  seeded: number;
  categories: { category: string; questions: number }[];
  total: number;
  seconds: number;
}

async function fill(db: Database, target: number): Promise<Fill> {
  const t0 = performance.now();
  const { rows: seededRows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM questions');
  const seeded = seededRows[0]!.n;
  let remaining = target - seeded;
  if (remaining < DRAW_COUNT) {
    throw new Error(`--rows ${target} leaves no room for a bench category: the bundled bank already has ${seeded} questions`);
  }
  const plan: { category: string; questions: number }[] = [];
  const nCategories = Math.ceil(remaining / opts.categorySize);
  const width = String(nCategories).length < 2 ? 2 : String(nCategories).length;
  for (let i = 1; remaining > 0; i++) {
    const questions = Math.min(opts.categorySize, remaining);
    plan.push({ category: `Bench ${String(i).padStart(width, '0')}`, questions });
    remaining -= questions;
  }
  progress(
    `filling ${target - seeded} questions into ${plan.length} categories, ${opts.layout} ` +
      `(bundled bank: ${seeded})`,
  );
  const names = plan.map((c) => c.category);
  const sizes = plan.map((c) => c.questions);
  await db.query('INSERT INTO categories (category, question_count) SELECT * FROM unnest($1::text[], $2::int[])', [
    names,
    sizes.map(() => 0),
  ]);
  // Each step inserts some rows and moves question_count along in the same transaction,
  // so category_seq stays dense 1..question_count after every commit.
  const steps: { names: string[]; sizes: number[]; lo: number; hi: number; label: string }[] = [];
  if (opts.layout === 'clustered') {
    for (const c of plan) steps.push({ names: [c.category], sizes: [c.questions], lo: 1, hi: c.questions, label: c.category });
  } else {
    const largest = Math.max(...sizes);
    const span = Math.max(1, Math.floor(50_000 / plan.length));
    for (let lo = 1; lo <= largest; lo += span) {
      const hi = Math.min(largest, lo + span - 1);
      steps.push({ names, sizes, lo, hi, label: `positions ${lo}..${hi}` });
    }
  }
  let total = seeded;
  for (const [i, step] of steps.entries()) {
    checkNotStopping();
    const added = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL synchronous_commit = off');
      const res = await tx.query(FILL_SQL, [step.names, step.sizes, step.lo, step.hi]);
      await tx.query(
        `UPDATE categories c SET question_count = least(p.n, $3::int)
           FROM unnest($1::text[], $2::int[]) AS p(category, n) WHERE c.category = p.category`,
        [step.names, step.sizes, step.hi],
      );
      return res.rowCount;
    });
    total += added;
    progress(`  ${step.label}: ${added} questions (${i + 1}/${steps.length}, ${total} in total)`);
  }
  progress('ANALYZE');
  await db.query('ANALYZE');

  // The draw relies on category_seq being dense (1..question_count) in every category.
  const { rows: bad } = await db.query<{ category: string }>(`
    SELECT coalesce(c.category, q.category) AS category
      FROM categories c
      FULL JOIN (SELECT category, count(*)::int AS n, min(category_seq) AS lo, max(category_seq) AS hi
                   FROM questions GROUP BY category) q ON q.category = c.category
     WHERE q.n IS DISTINCT FROM c.question_count OR (q.n > 0 AND (q.lo <> 1 OR q.hi <> q.n))`);
  if (bad.length) throw new Error(`category_seq not dense / question_count out of sync in: ${bad.map((b) => b.category).join(', ')}`);
  const { rows: countRows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM questions');
  const count = countRows[0]!.n;
  if (count !== target) throw new Error(`expected ${target} questions after the fill, found ${count}`);
  const seconds = (performance.now() - t0) / 1000;
  progress(`filled and verified: ${count} questions, every category dense, in ${seconds.toFixed(1)}s`);
  return { seeded, categories: plan, total: count, seconds };
}

// ---------------------------------------------------------------------------------------
// Main

const COLUMNS = 'id, question, answer, choice1, choice2, choice3, category';

async function main(): Promise<void> {
  progress(`server ${redactUrl(ADMIN_URL)}; creating scratch database ${scratch.name}`);
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  let serverVersion = '';
  try {
    serverVersion = (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(scratch.name)}`);
    scratch.created = true;
  } finally {
    await admin.end();
  }
  checkNotStopping();

  const url = new URL(ADMIN_URL);
  url.pathname = `/${scratch.name}`;
  url.searchParams.set('statement_timeout', String(STATEMENT_TIMEOUT_MS));
  const db = await openPostgres(url.toString(), {
    max: 4,
    onError: (err) => {
      if (!stopping && !cleanupPromise) progress(`idle PostgreSQL client error: ${err.message}`);
    },
  });
  scratch.db = db;
  checkNotStopping();

  progress('running migrations and seeding the bundled bank (prepareDatabase)');
  const prepared = await prepareDatabase(db);
  progress(`prepareDatabase: ${prepared.migrations} migration(s), ${prepared.seeded} bundled questions`);
  checkNotStopping();

  const filled = await fill(db, opts.rows);
  const measured = filled.categories[0]!;
  const category = measured.category;
  const categorySize = measured.questions;
  checkNotStopping();

  const draw = await measure(
    `drawQuestions(db, '${category}', ${DRAW_COUNT})`,
    opts.drawWarmup,
    opts.drawIterations,
    () => drawQuestions(db, category, DRAW_COUNT),
    (rows, phase) => checkDraw(phase, rows, category),
  );
  const naiveCategory = await measure(
    `naive ORDER BY random(), category '${category}'`,
    opts.naiveWarmup,
    opts.naiveIterations,
    async () =>
      (
        await db.query<QuestionRow>(`SELECT ${COLUMNS} FROM questions WHERE category = $1 ORDER BY random() LIMIT ${DRAW_COUNT}`, [
          category,
        ])
      ).rows,
    (rows, phase) => checkDraw(phase, rows, category),
  );
  const naiveTable = await measure(
    'naive ORDER BY random(), whole table',
    opts.naiveWarmup,
    opts.naiveIterations,
    async () => (await db.query<QuestionRow>(`SELECT ${COLUMNS} FROM questions ORDER BY random() LIMIT ${DRAW_COUNT}`)).rows,
    (rows, phase) => checkDraw(phase, rows, null),
  );

  // Query plans, for the record (not timed).
  const plan = async (sql: string, params: unknown[] = []) =>
    (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN']);
  const plans = {
    draw: await plan(`SELECT ${COLUMNS} FROM questions WHERE category = $1 AND category_seq = ANY($2::int[])`, [
      category,
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    ]),
    naiveCategory: await plan(`SELECT ${COLUMNS} FROM questions WHERE category = $1 ORDER BY random() LIMIT ${DRAW_COUNT}`, [
      category,
    ]),
    naiveTable: await plan(`SELECT ${COLUMNS} FROM questions ORDER BY random() LIMIT ${DRAW_COUNT}`),
  };

  const ratio = (x: number) => Math.round((x / draw.p99) * 10) / 10;
  const result = {
    bench: 'questions',
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      postgres: serverVersion,
      // Other work on the machine skews the tails: 1/5/15-minute load averages.
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
    },
    config: {
      rows: filled.total,
      bundledQuestions: filled.seeded,
      benchCategories: filled.categories.length,
      category,
      categorySize,
      layout: opts.layout,
      drawCount: DRAW_COUNT,
      drawWarmup: opts.drawWarmup,
      drawIterations: opts.drawIterations,
      naiveWarmup: opts.naiveWarmup,
      naiveIterations: opts.naiveIterations,
      fillSeconds: Math.round(filled.seconds * 10) / 10,
    },
    results: { draw, naiveCategory, naiveTable },
    ratio: {
      naiveCategoryP99OverDrawP99: ratio(naiveCategory.p99),
      naiveTableP99OverDrawP99: ratio(naiveTable.p99),
      naiveCategoryP50OverDrawP50: Math.round((naiveCategory.p50 / draw.p50) * 10) / 10,
      naiveTableP50OverDrawP50: Math.round((naiveTable.p50 / draw.p50) * 10) / 10,
    },
    targets: {
      drawP99Under5ms: draw.p99 < 5,
      atLeast100xFasterThanNaiveCategory: naiveCategory.p99 / draw.p99 >= 100,
      atLeast100xFasterThanNaiveTable: naiveTable.p99 / draw.p99 >= 100,
    },
    correctness: { checkedDraws: checks, failures: 0 },
    plans,
  };

  // ---- readable report
  const out: string[] = [];
  out.push('');
  out.push(`Drawing ${DRAW_COUNT} random questions — ${filled.total.toLocaleString('en-US')} questions in total, ` +
    `category '${category}' of ${categorySize.toLocaleString('en-US')}, ${opts.layout} layout`);
  out.push(`${result.machine.cpus} CPUs (${result.machine.cpuModel}), Node ${process.version}, PostgreSQL ${serverVersion}`);
  out.push(`load average (1/5/15 min): ${loadAtStart.join(' / ')} at start, ${result.machine.loadAverageAtEnd.join(' / ')} at end`);
  out.push('');
  const header = ['query', 'iterations', 'p50 ms', 'p99 ms', 'max ms', 'p99 / draw p99'];
  const rowsOut: string[][] = [
    [`drawQuestions (category, ${DRAW_COUNT})`, String(draw.iterations), draw.p50.toFixed(3), draw.p99.toFixed(3), draw.max.toFixed(3), '1.0x'],
    ['ORDER BY random(), same category', String(naiveCategory.iterations), naiveCategory.p50.toFixed(3), naiveCategory.p99.toFixed(3),
      naiveCategory.max.toFixed(3), `${result.ratio.naiveCategoryP99OverDrawP99}x`],
    ['ORDER BY random(), whole table', String(naiveTable.iterations), naiveTable.p50.toFixed(3), naiveTable.p99.toFixed(3),
      naiveTable.max.toFixed(3), `${result.ratio.naiveTableP99OverDrawP99}x`],
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rowsOut.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  out.push(line(header));
  out.push(`|${widths.map((w, i) => (i === 0 ? `${'-'.repeat(w + 1)}-` : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rowsOut) out.push(line(r));
  out.push('');
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  out.push(`target: draw p99 < 5 ms ................................. ${verdict(result.targets.drawP99Under5ms)} (${draw.p99.toFixed(3)} ms)`);
  out.push(`target: >= 100x faster than ORDER BY random() (category) .. ${verdict(result.targets.atLeast100xFasterThanNaiveCategory)} (${result.ratio.naiveCategoryP99OverDrawP99}x)`);
  out.push(`         >= 100x faster than ORDER BY random() (table) ..... ${verdict(result.targets.atLeast100xFasterThanNaiveTable)} (${result.ratio.naiveTableP99OverDrawP99}x)`);
  out.push(`(at p50: ${result.ratio.naiveCategoryP50OverDrawP50}x same category, ${result.ratio.naiveTableP50OverDrawP50}x whole table)`);
  out.push(`correctness: ${checks} draws checked (${DRAW_COUNT} distinct ids of the right category), 0 failures`);
  out.push('');
  out.push('plans:');
  for (const [k, v] of Object.entries(plans)) out.push(`  ${k}:\n${v.map((l) => `    ${l}`).join('\n')}`);
  out.push('');
  process.stdout.write(`${out.join('\n')}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify(result)}\n`);
}

try {
  await main();
  await cleanup();
  clearTimeout(deadline);
  process.exit(0);
} catch (err) {
  if (stopping) {
    // The signal / timeout handler is dropping the database; wait for it, then exit.
    await cleanup();
    process.exit(stopCode);
  }
  process.stderr.write(`\nbench failed: ${(err as Error).stack ?? String(err)}\n`);
  await cleanup();
  process.exit(1);
}
