import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { normaliseText } from '../../src/game/questions.js';
import { BANK_DIR, readBank } from '../../src/questions/importer.js';

describe('bundled question bank (data/questions)', async () => {
  const bank = await readBank();
  const questions = bank.flatMap(({ file, parsed }) => parsed.questions.map((q) => ({ file, where: q.where, ...q.value })));
  const byCategory = new Map<string, typeof questions>();
  for (const q of questions) byCategory.set(q.category, [...(byCategory.get(q.category) ?? []), q]);

  it('is read from the data/questions directory of the project', async () => {
    expect(BANK_DIR.replaceAll('\\', '/')).toMatch(/\/data\/questions$/);
    const files = (await readdir(BANK_DIR)).filter((f) => /\.(json|csv)$/i.test(f));
    expect(bank.map((b) => b.file).sort()).toEqual(files.sort());
    expect(bank.length).toBeGreaterThan(0);
  });

  it('has at least 300 valid questions', () => {
    expect(questions.length).toBeGreaterThanOrEqual(300);
  });

  it('has no invalid or skipped entries', () => {
    const problems = bank.flatMap(({ file, parsed }) =>
      [...parsed.invalid, ...parsed.skipped].map((p) => `${file}: ${p.where}: ${p.value}`),
    );
    expect(problems).toEqual([]);
  });

  it('has at least 10 categories, each with at least 20 questions', () => {
    expect(byCategory.size).toBeGreaterThanOrEqual(10);
    const small = [...byCategory].filter(([, qs]) => qs.length < 20).map(([c, qs]) => `${c}: ${qs.length}`);
    expect(small).toEqual([]);
  });

  it('has no two questions with the same normalised text in a category', () => {
    const seen = new Map<string, string>();
    const dups: string[] = [];
    for (const q of questions) {
      const key = `${q.category}\u0000${normaliseText(q.question)}`;
      const at = `${q.file} ${q.where}`;
      if (seen.has(key)) dups.push(`${at} repeats ${seen.get(key)}: ${q.question}`);
      else seen.set(key, at);
    }
    expect(dups).toEqual([]);
  });

  it('never gives the answer away in the question text', () => {
    // Not a hard rule of the format, but an answer quoted in its own question is a broken question.
    const leaks = questions.filter((q) => q.answer.length > 3 && ` ${normaliseText(q.question)} `.includes(` ${normaliseText(q.answer)} `));
    expect(leaks.map((q) => `${q.file} ${q.where}: ${q.question} -> ${q.answer}`)).toEqual([]);
  });
});
