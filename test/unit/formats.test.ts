import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FormatError,
  detectFormat,
  parseCsvQuestions,
  parseJsonQuestions,
  parseQuestionFile,
  type ParsedQuestions,
} from '../../src/questions/formats.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/import');
const text = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const parse = (name: string) => parseQuestionFile(text(name), name);
const wheres = (list: { where: string }[]) => list.map((l) => l.where);
const byWhere = (p: ParsedQuestions, where: string) => p.questions.find((q) => q.where === where)?.value;

describe('our JSON format', () => {
  it('good.json: every entry is a valid question, located by index', () => {
    const p = parse('good.json');
    expect(p.format).toBe('json');
    expect(wheres(p.questions)).toEqual(['index 0', 'index 1', 'index 2', 'index 3', 'index 4', 'index 5']);
    expect(p.invalid).toEqual([]);
    expect(p.skipped).toEqual([]);
    expect(p.questions.every((q) => q.value.category === 'Fixture Trivia')).toBe(true);
    expect(byWhere(p, 'index 4')).toEqual({
      question: 'What is the capital of the imaginary island of Café Øresund?',
      answer: 'Porto Nébula',
      choice1: 'San Crumpet',
      choice2: 'Fjordby',
      choice3: 'Lumenhaven',
      category: 'Fixture Trivia',
    });
    expect(byWhere(p, 'index 5')?.question).toBe('Which fictional composer wrote the "Symphony of Spoons"?');
  });

  it('broken.json: valid entries kept, each invalid one reported at its index with a reason', () => {
    const p = parse('broken.json');
    expect(p.format).toBe('json');
    expect(wheres(p.questions)).toEqual(['index 0', 'index 2', 'index 7']);
    expect(p.invalid).toEqual([
      { where: 'index 1', value: 'answer is missing or not a string' },
      { where: 'index 3', value: 'answer is empty' },
      { where: 'index 4', value: 'answer and the three choices must be four different texts' },
      { where: 'index 5', value: 'not an object' },
      { where: 'index 6', value: 'question contains control characters' },
      { where: 'index 8', value: 'category is missing or not a string' },
    ]);
    expect(p.skipped).toEqual([]);
    // Duplicates are the importer's business: index 7 repeats index 0 and still parses.
    expect(byWhere(p, 'index 7')?.question).toBe('WHAT does the fictional Zorblax engine run on');
  });

  it('nothing-valid.json: no questions, every entry invalid', () => {
    const p = parse('nothing-valid.json');
    expect(p.questions).toEqual([]);
    expect(wheres(p.invalid)).toEqual(['index 0', 'index 1', 'index 2', 'index 3']);
  });

  it('accepts {"questions": [...]} as well as a bare array', () => {
    const rows = JSON.parse(text('good.json')) as unknown[];
    const p = parseQuestionFile(JSON.stringify({ questions: rows }), 'wrapped.json');
    expect(p.format).toBe('json');
    expect(p.questions).toHaveLength(6);
  });

  it('an empty array is readable and holds nothing', () => {
    expect(parseQuestionFile('[]', 'empty.json')).toEqual({ format: 'json', questions: [], invalid: [], skipped: [] });
  });

  it('truncated.json is unreadable as a whole: FormatError', () => {
    expect(() => parse('truncated.json')).toThrow(FormatError);
    expect(() => parse('truncated.json')).toThrow(/JSON/);
  });

  it.each([
    ['a bare string', '"questions"'],
    ['an object without questions or results', '{"items": []}'],
    ['a number', '42'],
    ['null', 'null'],
  ])('JSON that is not a list of questions is a FormatError: %s', (_label, body) => {
    // Detection falls back to CSV for text that does not start with [ or {, so parse it as JSON directly.
    expect(() => parseJsonQuestions(JSON.parse(body))).toThrow(FormatError);
  });

  it('an object without questions or results is a FormatError through parseQuestionFile', () => {
    expect(() => parseQuestionFile('{"items": []}', 'x.json')).toThrow(FormatError);
  });
});

describe('CSV format', () => {
  it('good.csv: quoted fields with commas and doubled quotes, located by line', () => {
    const p = parse('good.csv');
    expect(p.format).toBe('csv');
    expect(p.invalid).toEqual([]);
    expect(wheres(p.questions)).toEqual(['line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
    expect(byWhere(p, 'line 3')).toEqual({
      question: 'In the made-up game Pebbles, Sticks and Stones, which piece moves first?',
      answer: 'Pebbles',
      choice1: 'Sticks',
      choice2: 'Stones',
      choice3: 'Sticks, then Stones',
      category: 'Fixture Trivia',
    });
    expect(byWhere(p, 'line 4')).toMatchObject({
      question: 'Who wrote the invented novel "The Quiet Teapot"?',
      choice1: 'Morris "Mo" Finch',
    });
    expect(byWhere(p, 'line 6')?.question).toBe('Which imaginary planet has rings made of ice, dust, and glitter?');
  });

  it('broken.csv: invalid rows reported by line (header is line 1, blank lines counted)', () => {
    const p = parse('broken.csv');
    expect(wheres(p.questions)).toEqual(['line 2', 'line 6', 'line 9', 'line 10']);
    expect(p.invalid).toEqual([
      { where: 'line 3', value: 'expected 6 fields, found 4' },
      { where: 'line 4', value: 'question is empty' },
      { where: 'line 7', value: 'answer and the three choices must be four different texts' },
      { where: 'line 8', value: 'expected 6 fields, found 7' },
    ]);
    expect(byWhere(p, 'line 6')?.question).toBe('Which fictional inventor built the "Clockwork Kettle"?');
  });

  it('multiline.csv: a line break inside a quoted field is kept as a space', () => {
    const p = parse('multiline.csv');
    expect(p.invalid.map((i) => i.value)).toHaveLength(1);
    expect(p.questions).toHaveLength(3);
    expect(p.questions[0]!.value.question).toBe('Which fictional lighthouse keeper wrote the "Logbook of Gulls"?');
    expect(p.questions[1]!.value).toMatchObject({ question: 'In the invented language Blorvish, what does "snib" mean?', choice2: 'Knife, sharp' });
    expect(p.questions[2]!.value.question).toBe('Which invented comet returns every 13 years?');
  });

  it('multiline.csv: a record spanning several lines is located at the line where it starts', () => {
    const p = parse('multiline.csv');
    // Records start at lines 2, 4, 7 and 9; the one at line 7 has an empty answer.
    expect([...wheres(p.questions), ...wheres(p.invalid)].sort()).toEqual(['line 2', 'line 4', 'line 7', 'line 9']);
    expect(wheres(p.invalid)).toEqual(['line 7']);
  });

  it('multiline.csv: a single-line record after multi-line ones keeps its true line number', () => {
    const p = parse('multiline.csv');
    const comet = p.questions.find((q) => q.value.question.startsWith('Which invented comet'));
    expect(comet?.where).toBe('line 9');
  });

  it('unclosed.csv (a quote never closed) is unreadable as a whole: FormatError', () => {
    expect(() => parse('unclosed.csv')).toThrow(FormatError);
    expect(() => parse('unclosed.csv')).toThrow(/CSV is malformed/);
  });

  it('works without a header, with CRLF line ends and a byte-order mark', () => {
    const body = '\ufeffWhich fixture uses CRLF?,This one,That one,Another,None,Fixture Trivia\r\nSecond fixture row?,Yes,No,Maybe,Never,Fixture Trivia\r\n';
    const p = parseCsvQuestions(body);
    expect(wheres(p.questions)).toEqual(['line 1', 'line 2']);
    expect(p.questions[0]!.value.question).toBe('Which fixture uses CRLF?');
    expect(p.questions[1]!.value.category).toBe('Fixture Trivia');
  });

  it('recognises the header in any letter case', () => {
    const p = parseCsvQuestions('Question,Answer,Choice1,Choice2,Choice3,Category\nQ?,a,b,c,d,Fixture Trivia\n');
    expect(wheres(p.questions)).toEqual(['line 2']);
    expect(p.invalid).toEqual([]);
  });

  it('a header-only file holds nothing', () => {
    expect(parseCsvQuestions('question,answer,choice1,choice2,choice3,category\n')).toEqual({
      format: 'csv',
      questions: [],
      invalid: [],
      skipped: [],
    });
  });
});

describe('Open Trivia DB format', () => {
  it('good-opentdb.json: multiple-choice questions imported, booleans skipped and counted', () => {
    const p = parse('good-opentdb.json');
    expect(p.format).toBe('opentdb');
    expect(wheres(p.questions)).toEqual(['index 0', 'index 2', 'index 3', 'index 5']);
    expect(p.invalid).toEqual([]);
    expect(p.skipped).toEqual([
      { where: 'index 1', value: 'type "boolean" is not multiple choice' },
      { where: 'index 4', value: 'type "boolean" is not multiple choice' },
    ]);
  });

  it('decodes HTML entities in the question, the answers and the category', () => {
    const p = parse('good-opentdb.json');
    expect(byWhere(p, 'index 0')).toEqual({
      question: 'In the made-up film "Crumbs & Castles", what is the baker\'s name?',
      answer: 'René Loaf',
      choice1: 'Bran & Butter',
      choice2: "Rye O'Malley",
      choice3: 'Sourdough Sam',
      category: 'Fixture Trivia',
    });
    expect(byWhere(p, 'index 2')?.question).toBe('Which invented element has the symbol "Fx"?');
    // Numeric and named spaces decode and collapse; &lt; &gt; become text, not markup.
    expect(byWhere(p, 'index 3')?.question).toBe('Which fictional mountain is taller than 10 000 m <in legend>?');
    for (const q of p.questions) expect(JSON.stringify(q.value)).not.toMatch(/&(?:quot|amp|#0?39|eacute|nbsp|lt|gt);/);
    const cat = parseQuestionFile(
      JSON.stringify({
        response_code: 0,
        results: [
          { type: 'multiple', category: 'Entertainment: Books &amp; Comics', question: 'Q?', correct_answer: 'a', incorrect_answers: ['b', 'c', 'd'] },
        ],
      }),
    );
    expect(cat.questions[0]?.value.category).toBe('Entertainment: Books & Comics');
  });

  it('broken-opentdb.json: invalid entries by index, booleans skipped, valid ones kept', () => {
    const p = parse('broken-opentdb.json');
    expect(p.format).toBe('opentdb');
    expect(wheres(p.questions)).toEqual(['index 0', 'index 5']);
    expect(p.invalid).toEqual([
      { where: 'index 1', value: 'choice3 is missing or not a string' },
      { where: 'index 3', value: 'not an object' },
      { where: 'index 4', value: 'question is empty' },
      // "Fish &amp; Chips" decodes to the same text as a wrong answer.
      { where: 'index 6', value: 'answer and the three choices must be four different texts' },
    ]);
    expect(p.skipped).toEqual([{ where: 'index 2', value: 'type "boolean" is not multiple choice' }]);
    expect(byWhere(p, 'index 0')?.question).toBe('Which fictional knight guards the Bridge of "Maybe"?');
    expect(byWhere(p, 'index 5')?.question).toBe('Which invented sea creature has 5 hearts?');
  });

  it('booleans-only-opentdb.json: nothing to import, everything skipped', () => {
    const p = parse('booleans-only-opentdb.json');
    expect(p.questions).toEqual([]);
    expect(p.invalid).toEqual([]);
    expect(wheres(p.skipped)).toEqual(['index 0', 'index 1']);
  });
});

describe('detectFormat', () => {
  it('goes by the .csv extension, then by content', () => {
    expect(detectFormat('[]', 'x.CSV')).toBe('csv');
    expect(detectFormat(text('good.json'), 'good.json')).toBe('json');
    expect(detectFormat(text('good-opentdb.json'), 'good-opentdb.json')).toBe('opentdb');
    expect(detectFormat(text('good-opentdb.json'))).toBe('opentdb');
    expect(detectFormat(text('good.csv'))).toBe('csv');
    expect(detectFormat('  \n[{"question": 1}]')).toBe('json');
    expect(detectFormat('[{"broken"')).toBe('json');
  });
});
