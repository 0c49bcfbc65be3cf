import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareDatabase } from '../../src/adapters/index.js';
import { openPglite, type Database } from '../../src/adapters/postgres/db.js';
import { ENV_SCHEMA } from '../../src/config.js';
import { runImport, SKIPPED_SHOWN } from '../../scripts/import.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/import');
const fixture = (name: string) => path.join(FIXTURES, name);
const CATEGORY = 'Fixture Trivia';

async function fixtureQuestions(db: Database) {
  const { rows } = await db.query<{ question: string; answer: string; choice1: string; choice2: string; choice3: string }>(
    'SELECT question, answer, choice1, choice2, choice3 FROM questions WHERE category = $1 ORDER BY question',
    [CATEGORY],
  );
  return rows;
}

describe('runImport (embedded PostgreSQL)', () => {
  let db: Database;
  let lines: string[];
  const out = (line: string) => void lines.push(line);
  const run = (...files: string[]) => runImport(files.map(fixture), db, out);
  /** The output line reporting an invalid entry at `where` (e.g. "line 3", "index 1"). */
  const invalidLine = (where: string) => lines.find((l) => /invalid/.test(l) && new RegExp(`\\b${where}\\b`).test(l));

  beforeEach(async () => {
    lines = [];
    db = await openPglite(null);
    const { seeded } = await prepareDatabase(db);
    expect(seeded).toBeGreaterThan(0); // the bundled bank; fixtures use their own category
  });
  afterEach(async () => {
    await db?.close();
  });

  describe.each([
    { file: 'good.json', inserted: 6, skipped: 0 },
    { file: 'good.csv', inserted: 5, skipped: 0 },
    { file: 'good-opentdb.json', inserted: 4, skipped: 2 },
  ])('$file', ({ file, inserted, skipped }) => {
    it(`inserts ${inserted}, skips ${skipped}, finds nothing invalid, exits 0`, async () => {
      const r = await run(file);
      expect(r.exitCode).toBe(0);
      expect(r.totals).toMatchObject({ files: 1, inserted, skipped, invalid: 0, valid: inserted });
      expect(await fixtureQuestions(db)).toHaveLength(inserted);
      expect(lines.some((l) => l.includes(file) && l.includes(`${inserted} inserted, ${skipped} skipped, 0 invalid`))).toBe(true);
      expect(lines.at(-1)).toMatch(new RegExp(`total.*${inserted} inserted, ${skipped} skipped, 0 invalid`));
    });

    it('re-importing the same file skips every question as a duplicate and still exits 0', async () => {
      await run(file);
      lines = [];
      const r = await run(file);
      expect(r.exitCode).toBe(0);
      expect(r.totals).toMatchObject({ inserted: 0, skipped: inserted + skipped, invalid: 0, valid: inserted });
      const dups = r.files[0]!.skippedEntries.filter((s) => s.value === 'duplicate of an existing question');
      expect(dups).toHaveLength(inserted);
      expect(await fixtureQuestions(db)).toHaveLength(inserted);
      expect(lines.some((l) => l.includes(`skipped ${inserted} (duplicate of an existing question)`))).toBe(true);
    });
  });

  it('stores Open Trivia DB questions with their HTML entities decoded', async () => {
    await run('good-opentdb.json');
    const rows = await fixtureQuestions(db);
    const baker = rows.find((q) => q.question.startsWith('In the made-up film'));
    expect(baker).toEqual({
      question: 'In the made-up film "Crumbs & Castles", what is the baker\'s name?',
      answer: 'René Loaf',
      choice1: 'Bran & Butter',
      choice2: "Rye O'Malley",
      choice3: 'Sourdough Sam',
    });
  });

  it('stores CSV quoted fields with their commas and quotes', async () => {
    await run('good.csv');
    const rows = await fixtureQuestions(db);
    expect(rows.map((q) => q.question)).toContain('Who wrote the invented novel "The Quiet Teapot"?');
    expect(rows.find((q) => q.answer === 'Pebbles')?.choice3).toBe('Sticks, then Stones');
  });

  it('broken.json: 2 inserted, 1 skipped (duplicate inside the file), 6 invalid, each reported at its index', async () => {
    const r = await run('broken.json');
    expect(r.exitCode).toBe(0);
    expect(r.totals).toMatchObject({ inserted: 2, skipped: 1, invalid: 6, valid: 3 });
    for (const [where, reason] of [
      ['index 1', 'answer is missing or not a string'],
      ['index 3', 'answer is empty'],
      ['index 4', 'four different texts'],
      ['index 5', 'not an object'],
      ['index 6', 'control characters'],
      ['index 8', 'category is missing or not a string'],
    ]) {
      expect(invalidLine(where!), `no output line for ${where}`).toContain(reason!);
    }
    expect(lines.some((l) => l.includes('skipped 1 (duplicate of an existing question)') && l.includes('index 7'))).toBe(true);
    expect(invalidLine('index 0')).toBeUndefined();
  });

  it('broken.csv: 3 inserted, 1 skipped, 4 invalid, each reported at its line', async () => {
    const r = await run('broken.csv');
    expect(r.exitCode).toBe(0);
    expect(r.totals).toMatchObject({ inserted: 3, skipped: 1, invalid: 4, valid: 4 });
    expect(invalidLine('line 3')).toContain('expected 6 fields, found 4');
    expect(invalidLine('line 4')).toContain('question is empty');
    expect(invalidLine('line 7')).toContain('four different texts');
    expect(invalidLine('line 8')).toContain('expected 6 fields, found 7');
    expect(lines.some((l) => l.includes('skipped 1 (duplicate of an existing question)') && l.includes('line 10'))).toBe(true);
    expect(lines.filter((l) => /invalid: /.test(l))).toHaveLength(4);
  });

  it('broken-opentdb.json: 2 inserted, 1 skipped (boolean), 4 invalid, each reported at its index', async () => {
    const r = await run('broken-opentdb.json');
    expect(r.exitCode).toBe(0);
    expect(r.totals).toMatchObject({ inserted: 2, skipped: 1, invalid: 4, valid: 2 });
    for (const where of ['index 1', 'index 3', 'index 4', 'index 6']) expect(invalidLine(where), where).toBeDefined();
    expect(lines.some((l) => /skipped 1 \(type "boolean" is not multiple choice\): index 2$/.test(l))).toBe(true);
  });

  it('adds up several files, and a file imported twice in one run is all duplicates the second time', async () => {
    const r = await run('good.json', 'broken.csv', 'good-opentdb.json', 'good.json');
    expect(r.exitCode).toBe(0);
    expect(r.files.map((f) => f.inserted)).toEqual([6, 3, 4, 0]);
    expect(r.totals).toMatchObject({ files: 4, inserted: 13, skipped: 1 + 2 + 6, invalid: 4 });
    expect(lines.at(-1)).toBe('total (4 files): 13 inserted, 9 skipped, 4 invalid');
  });

  it('lists only the first few skipped locations, with a count', async () => {
    await run('good.json');
    lines = [];
    await run('good.json');
    const line = lines.find((l) => l.includes('skipped 6'))!;
    expect(line).toContain(`index ${SKIPPED_SHOWN - 1}`);
    expect(line).not.toContain(`index ${SKIPPED_SHOWN}`);
    expect(line).toContain(`${6 - SKIPPED_SHOWN} more`);
  });

  it.each(['nothing-valid.json', 'booleans-only-opentdb.json'])('%s: nothing valid, exits 1', async (file) => {
    const r = await run(file);
    expect(r.exitCode).toBe(1);
    expect(r.totals.inserted).toBe(0);
    expect(r.totals.valid).toBe(0);
    expect(await fixtureQuestions(db)).toEqual([]);
  });

  it('nothing-valid.json reports each invalid entry at its index', async () => {
    await run('nothing-valid.json');
    for (const where of ['index 0', 'index 1', 'index 2', 'index 3']) expect(invalidLine(where), where).toBeDefined();
  });

  it.each([
    ['truncated.json', /JSON/],
    ['unclosed.csv', /CSV/],
  ])('%s: unreadable as a whole, reported with its name, counted as invalid, exits 1', async (file, why) => {
    const r = await run(file);
    expect(r.exitCode).toBe(1);
    expect(r.totals).toMatchObject({ files: 1, unreadable: 1, inserted: 0, skipped: 0, invalid: 1, valid: 0 });
    const line = lines.find((l) => l.includes(file) && why.test(l));
    expect(line).toBeDefined();
    expect(await fixtureQuestions(db)).toEqual([]);
  });

  it('an unreadable or empty file beside a good one still exits 0', async () => {
    const r = await run('truncated.json', 'nothing-valid.json', 'good.csv');
    expect(r.exitCode).toBe(0);
    expect(r.totals).toMatchObject({ files: 3, unreadable: 1, inserted: 5, invalid: 1 + 4 });
  });

  it('no files: usage error, exit 2', async () => {
    const r = await runImport([], db, out);
    expect(r.exitCode).toBe(2);
    expect(lines.join('\n')).toMatch(/usage/);
  });

  it('a file that cannot be read: exit 2 and nothing imported, not even the readable files', async () => {
    const r = await run('good.json', 'does-not-exist.json');
    expect(r.exitCode).toBe(2);
    expect(lines.join('\n')).toContain('does-not-exist.json');
    expect(await fixtureQuestions(db)).toEqual([]);
    lines = [];
    expect((await runImport([FIXTURES], db, out)).exitCode).toBe(2); // a directory
  });
});

/** Runs the real command and collects its exit code and output. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = { ...process.env };
  for (const name of Object.keys(ENV_SCHEMA)) delete clean[name];
  return new Promise((resolve, reject) => {
    const child = spawn('npx', ['tsx', 'scripts/import.ts', ...args], { cwd: ROOT, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the import command (npx tsx scripts/import.ts)', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'quiz-import-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('imports into the embedded database under DATA_DIR and exits 0, 1 or 2', async () => {
    const first = await cli([fixture('good.json'), fixture('broken.csv')], { DATA_DIR: dataDir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(dataDir);
    expect(first.stdout).toMatch(/good\.json \(json\): 6 inserted, 0 skipped, 0 invalid/);
    expect(first.stdout).toMatch(/broken\.csv: line 3: expected 6 fields, found 4/);
    expect(first.stdout).toMatch(/total \(2 files\): 9 inserted, 1 skipped, 4 invalid/);

    // Same database: everything valid is now a duplicate; still a success.
    const again = await cli([fixture('good.json')], { DATA_DIR: dataDir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 inserted, 6 skipped, 0 invalid/);

    const nothing = await cli([fixture('nothing-valid.json')], { DATA_DIR: dataDir });
    expect(nothing.code).toBe(1);
    expect(nothing.stdout).toMatch(/nothing-valid\.json: index 2: not an object/);

    const usage = await cli([], { DATA_DIR: dataDir });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage/);

    const missing = await cli([fixture('missing.json')], { DATA_DIR: dataDir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.json');
  }, 120_000);
});
