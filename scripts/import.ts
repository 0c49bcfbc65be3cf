/**
 * `npm run import -- FILE...`: imports question files into the configured database.
 *
 * Formats (detected per file, see src/questions/formats.ts): our JSON (an array of
 * `{question, answer, choice1, choice2, choice3, category}` or `{"questions": [...]}`),
 * CSV with the header `question,answer,choice1,choice2,choice3,category`, and an Open
 * Trivia DB API response (`{"response_code": 0, "results": [...]}`; only `multiple`
 * questions are imported, HTML entities are decoded).
 *
 * The database is the server's: `DATABASE_URL` when set, otherwise the embedded PGlite
 * database under `DATA_DIR` (default ./data). Migrations run and the bundled bank is loaded
 * first if the database is new, exactly as at server start. In embedded mode stop the
 * server first: only one process may open a PGlite directory at a time (a running server
 * can import over HTTP instead: `POST /api/questions` with `ADMIN_TOKEN`).
 *
 * Output, per file and in total: inserted / skipped / invalid.
 *  - invalid: an entry that is not a valid question, one line each with where it is
 *    (`line N` in a CSV file, `index N` in a JSON array) and why. A file that cannot be
 *    read as a whole (truncated JSON, an unclosed CSV quote, …) is reported with its
 *    name and counts as one invalid entry.
 *  - skipped: a valid question already in the bank (same text, up to case, spacing and
 *    punctuation, in the same category), or an Open Trivia DB question that is not
 *    multiple choice. Counted per reason, with the first few locations.
 *
 * Exit status:
 *  - 0: at least one valid question was found across all the files. Valid questions that
 *       were all already in the bank (skipped as duplicates) count: re-running an import
 *       is not a failure, so the command is safe to repeat.
 *  - 1: no valid question at all in any file (every entry invalid or skipped as not
 *       multiple choice, every file unreadable, or the files are empty), or the
 *       database failed.
 *  - 2: usage error: no FILE given, a FILE that cannot be read (missing, a directory,
 *       no permission), or invalid configuration. Nothing is imported: every file is
 *       read before the database is touched.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig } from '../src/config.js';
import { openDatabase, prepareDatabase } from '../src/adapters/index.js';
import type { Database } from '../src/adapters/postgres/db.js';
import { FormatError, parseQuestionFile, type Located, type ParsedQuestions } from '../src/questions/formats.js';
import { importParsed } from '../src/questions/importer.js';

/** How many locations to list for each kind of skipped entry. */
export const SKIPPED_SHOWN = 5;

export interface ImportCounts {
  inserted: number;
  skipped: number;
  invalid: number;
  /** Valid questions found (inserted + skipped as duplicates). */
  valid: number;
}

export interface FileResult extends ImportCounts {
  file: string;
  /** null when the file could not be parsed at all. */
  format: ParsedQuestions['format'] | null;
  /** The FormatError message when the file could not be parsed at all. */
  unreadable: string | null;
  invalidEntries: Located<string>[];
  skippedEntries: Located<string>[];
}

export interface ImportTotals extends ImportCounts {
  files: number;
  unreadable: number;
}

export interface ImportOutcome {
  exitCode: 0 | 1 | 2;
  totals: ImportTotals;
  files: FileResult[];
}

export const USAGE = 'usage: npm run import -- FILE... (our JSON, CSV with a header, or an Open Trivia DB API response)';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const counts = (c: ImportCounts) => `${c.inserted} inserted, ${c.skipped} skipped, ${c.invalid} invalid`;

/** Removes the `file: ` prefix importParsed puts on every location. */
function localWhere(where: string, file: string): string {
  const prefix = `${file}: `;
  return where.startsWith(prefix) ? where.slice(prefix.length) : where;
}

/** Reads every file, or says which cannot be read. */
export async function readInputs(files: string[]): Promise<{ texts: string[] } | { problems: string[] }> {
  const texts: string[] = [];
  const problems: string[] = [];
  for (const file of files) {
    try {
      texts.push(await readFile(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      problems.push(`${file}: cannot read: ${why}`);
    }
  }
  return problems.length ? { problems } : { texts };
}

function emptyTotals(): ImportTotals {
  return { files: 0, unreadable: 0, inserted: 0, skipped: 0, invalid: 0, valid: 0 };
}

/**
 * Imports `files` into `db` and reports through `out`, one line per call.
 * Every file is read before anything is written, so a mistyped name imports nothing.
 */
export async function runImport(files: string[], db: Database, out: (line: string) => void): Promise<ImportOutcome> {
  const totals = emptyTotals();
  if (files.length === 0) {
    out(USAGE);
    return { exitCode: 2, totals, files: [] };
  }

  const read = await readInputs(files);
  if ('problems' in read) {
    for (const line of read.problems) out(line);
    out('nothing imported');
    return { exitCode: 2, totals, files: [] };
  }
  const texts = read.texts;

  const results: FileResult[] = [];
  for (const [i, file] of files.entries()) {
    let parsed: ParsedQuestions;
    try {
      parsed = parseQuestionFile(texts[i]!, path.basename(file));
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      const r: FileResult = {
        file, format: null, unreadable: err.message,
        inserted: 0, skipped: 0, invalid: 1, valid: 0,
        invalidEntries: [{ where: file, value: err.message }], skippedEntries: [],
      };
      results.push(r);
      out(`${file}: unreadable, ${counts(r)}`);
      out(`  invalid: ${file}: ${err.message}`);
      continue;
    }

    const report = await importParsed(db, parsed, file);
    const r: FileResult = {
      file,
      format: parsed.format,
      unreadable: null,
      inserted: report.inserted,
      skipped: report.skipped.length,
      invalid: report.invalid.length,
      valid: parsed.questions.length,
      invalidEntries: report.invalid,
      skippedEntries: report.skipped,
    };
    results.push(r);

    out(`${file} (${parsed.format}): ${counts(r)}`);
    for (const inv of report.invalid) out(`  invalid: ${inv.where}: ${inv.value}`);
    const byReason = new Map<string, string[]>();
    for (const s of report.skipped) {
      const list = byReason.get(s.value) ?? [];
      list.push(localWhere(s.where, file));
      byReason.set(s.value, list);
    }
    for (const [reason, wheres] of byReason) {
      const shown = wheres.slice(0, SKIPPED_SHOWN).join(', ');
      const more = wheres.length > SKIPPED_SHOWN ? `, … (${wheres.length - SKIPPED_SHOWN} more)` : '';
      out(`  skipped ${wheres.length} (${reason}): ${shown}${more}`);
    }
    if (parsed.questions.length === 0 && report.invalid.length === 0 && report.skipped.length === 0) {
      out('  (no entries)');
    }
  }

  for (const r of results) {
    totals.files += 1;
    if (r.unreadable !== null) totals.unreadable += 1;
    totals.inserted += r.inserted;
    totals.skipped += r.skipped;
    totals.invalid += r.invalid;
    totals.valid += r.valid;
  }
  const unreadableNote = totals.unreadable ? `, ${plural(totals.unreadable, 'unreadable file')}` : '';
  out(`total (${plural(totals.files, 'file')}${unreadableNote}): ${counts(totals)}`);
  if (totals.valid === 0) out('no valid question found in any file');
  return { exitCode: totals.valid === 0 ? 1 : 0, totals, files: results };
}

/** The command: parses arguments, opens the configured database and runs the import. */
export async function main(argv: string[], out = (l: string) => console.log(l), err = (l: string) => console.error(l)): Promise<number> {
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  if (args.some((a) => a === '-h' || a === '--help')) {
    out(USAGE);
    return 0;
  }
  if (args.length === 0) {
    err(USAGE);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      err(e.message);
      return 2;
    }
    throw e;
  }
  // Refuse unreadable files before opening (and perhaps creating) the database.
  const read = await readInputs(args);
  if ('problems' in read) {
    for (const line of read.problems) err(line);
    err('nothing imported');
    return 2;
  }

  let db: Database;
  try {
    db = await openDatabase(config);
  } catch (e) {
    err(`cannot open the database: ${(e as Error).message}`);
    return 1;
  }
  try {
    const { seeded } = await prepareDatabase(db);
    out(`importing into ${db.location}`);
    if (seeded) out(`the database was empty: loaded ${seeded} questions of the bundled bank first`);
    const { exitCode } = await runImport(args, db, out);
    return exitCode;
  } catch (e) {
    err(`import failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await db.close().catch(() => undefined);
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
