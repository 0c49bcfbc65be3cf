/**
 * Question file formats: our JSON (an array of table rows, or `{questions: [...]}`),
 * CSV with the header `question,answer,choice1,choice2,choice3,category`, and the
 * Open Trivia DB API response. Parsing is pure; the importer writes the result.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import he from 'he';
import { validateQuestion, type QuestionInput } from '../game/questions.js';

export type Format = 'json' | 'csv' | 'opentdb';

export interface Located<T> {
  /** Where in the source: `line 7` (CSV) or `index 3` (JSON). */
  where: string;
  value: T;
}

export interface ParsedQuestions {
  format: Format;
  questions: Located<QuestionInput>[];
  invalid: Located<string>[];
  /** Entries deliberately not imported (e.g. Open Trivia DB true/false questions). */
  skipped: Located<string>[];
}

export class FormatError extends Error {}

const CSV_HEADER = ['question', 'answer', 'choice1', 'choice2', 'choice3', 'category'];

export function detectFormat(text: string, filename?: string): Format {
  if (filename && /\.csv$/i.test(filename)) return 'csv';
  const head = text.trimStart();
  if (head.startsWith('{') || head.startsWith('[')) {
    try {
      const doc = JSON.parse(text) as unknown;
      return isOpenTdb(doc) ? 'opentdb' : 'json';
    } catch {
      return 'json'; // reported as a parse error by parseJson
    }
  }
  return 'csv';
}

function isOpenTdb(doc: unknown): doc is { results: unknown[] } {
  return typeof doc === 'object' && doc !== null && !Array.isArray(doc) && Array.isArray((doc as { results?: unknown }).results);
}

function collect(format: Format, entries: { where: string; raw: unknown }[]): ParsedQuestions {
  const out: ParsedQuestions = { format, questions: [], invalid: [], skipped: [] };
  for (const { where, raw } of entries) {
    const v = validateQuestion(raw);
    if (v.ok) out.questions.push({ where, value: v.value });
    else out.invalid.push({ where, value: v.reason });
  }
  return out;
}

export function parseJsonQuestions(doc: unknown): ParsedQuestions {
  const list = Array.isArray(doc)
    ? doc
    : typeof doc === 'object' && doc !== null && Array.isArray((doc as { questions?: unknown }).questions)
      ? (doc as { questions: unknown[] }).questions
      : null;
  if (!list) throw new FormatError('expected a JSON array of questions or an object with a "questions" array');
  return collect('json', list.map((raw, i) => ({ where: `index ${i}`, raw })));
}

export function parseOpenTdb(doc: { results: unknown[] }): ParsedQuestions {
  const entries: { where: string; raw: unknown }[] = [];
  const skipped: Located<string>[] = [];
  doc.results.forEach((r, i) => {
    const where = `index ${i}`;
    const item = r as Record<string, unknown> | null;
    if (typeof item !== 'object' || item === null) {
      entries.push({ where, raw: item });
      return;
    }
    if (item.type !== 'multiple') {
      skipped.push({ where, value: `type ${JSON.stringify(item.type ?? null)} is not multiple choice` });
      return;
    }
    const wrong = Array.isArray(item.incorrect_answers) ? item.incorrect_answers : [];
    const decode = (v: unknown) => (typeof v === 'string' ? he.decode(v) : v);
    entries.push({
      where,
      raw: {
        question: decode(item.question),
        answer: decode(item.correct_answer),
        choice1: decode(wrong[0]),
        choice2: decode(wrong[1]),
        choice3: decode(wrong[2]),
        category: decode(item.category),
      },
    });
  });
  const out = collect('opentdb', entries);
  out.skipped = skipped;
  return out;
}

export function parseCsvQuestions(text: string): ParsedQuestions {
  let records: { record: string[]; raw: string; info: { lines: number } }[];
  try {
    records = parseCsv(text, {
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: false,
    }) as unknown as { record: string[]; raw: string; info: { lines: number } }[];
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    throw new FormatError(`CSV is malformed${line ? ` at line ${line}` : ''}: ${(err as Error).message}`);
  }
  const first = records[0]?.record.map((c) => c.trim().toLowerCase());
  const hasHeader = first !== undefined && CSV_HEADER.every((h, i) => first[i] === h);
  const entries = records.slice(hasHeader ? 1 : 0).map(({ record, raw, info }) => {
    // info.lines is where a record ends; report where it starts (quoted cells may span lines).
    const body = raw.replace(/^(?:\r\n|\r|\n)+/, '').replace(/(?:\r\n|\r|\n)$/, '');
    const where = `line ${info.lines - (body.match(/\r\n|\r|\n/g)?.length ?? 0)}`;
    if (record.length !== CSV_HEADER.length) {
      return { where, raw: `expected ${CSV_HEADER.length} fields, found ${record.length}` };
    }
    return { where, raw: Object.fromEntries(CSV_HEADER.map((h, i) => [h, record[i]])) };
  });
  const out = collect('csv', entries.filter((e) => typeof e.raw !== 'string'));
  for (const e of entries) if (typeof e.raw === 'string') out.invalid.push({ where: e.where, value: e.raw });
  out.invalid.sort((a, b) => Number(a.where.split(' ')[1]) - Number(b.where.split(' ')[1]));
  return out;
}

/** Parses a file of any supported format; throws FormatError when the file as a whole is unreadable. */
export function parseQuestionFile(input: string, filename?: string): ParsedQuestions {
  const text = input.replace(/^\uFEFF/, '');
  const format = detectFormat(text, filename);
  if (format === 'csv') return parseCsvQuestions(text);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new FormatError(`not valid JSON: ${(err as Error).message}`);
  }
  return isOpenTdb(doc) ? parseOpenTdb(doc) : parseJsonQuestions(doc);
}
