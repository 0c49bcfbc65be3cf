/** Turns parsed question files into rows: inserts the valid ones and reports the rest. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '../adapters/postgres/db.js';
import { countQuestions, insertQuestions } from '../adapters/postgres/questions-repo.js';
import type { Located, ParsedQuestions } from './formats.js';
import { parseQuestionFile } from './formats.js';

export interface ImportReport {
  inserted: number;
  skipped: Located<string>[];
  invalid: Located<string>[];
}

export async function importParsed(db: Database, parsed: ParsedQuestions, source = ''): Promise<ImportReport> {
  const prefix = source ? `${source}: ` : '';
  const at = (l: Located<string>) => ({ where: `${prefix}${l.where}`, value: l.value });
  const outcome = parsed.questions.length
    ? await insertQuestions(db, parsed.questions.map((q) => q.value))
    : { inserted: 0, duplicates: [] };
  return {
    inserted: outcome.inserted,
    skipped: [
      ...parsed.skipped.map(at),
      ...outcome.duplicates.map((i) => at({ where: parsed.questions[i]!.where, value: 'duplicate of an existing question' })),
    ],
    invalid: parsed.invalid.map(at),
  };
}

/** data/questions at the project root. */
export const BANK_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../data/questions');

export async function readBank(dir = BANK_DIR): Promise<{ file: string; parsed: ParsedQuestions }[]> {
  const files = (await readdir(dir)).filter((f) => /\.(json|csv)$/i.test(f)).sort();
  return Promise.all(
    files.map(async (file) => ({ file, parsed: parseQuestionFile(await readFile(path.join(dir, file), 'utf8'), file) })),
  );
}

/** Loads the bundled bank when the table is empty; returns how many questions were inserted. */
export async function seedBankIfEmpty(db: Database, dir = BANK_DIR): Promise<number> {
  if ((await countQuestions(db)) > 0) return 0;
  let inserted = 0;
  for (const { file, parsed } of await readBank(dir)) inserted += (await importParsed(db, parsed, file)).inserted;
  return inserted;
}
