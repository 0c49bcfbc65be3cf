import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  QUESTION_LIMITS,
  distinctPositions,
  hasControlChars,
  normaliseText,
  shuffle,
  validateQuestion,
  type QuestionInput,
} from '../../src/game/questions.js';

const GOOD: QuestionInput = {
  question: 'Which fictional moon orbits Planet Testa?',
  answer: 'Teal Moon',
  choice1: 'Crimson Moon',
  choice2: 'Ochre Moon',
  choice3: 'Violet Moon',
  category: 'Fixture Trivia',
};
const FIELDS = ['question', 'answer', 'choice1', 'choice2', 'choice3', 'category'] as const;

function reason(raw: unknown): string {
  const v = validateQuestion(raw);
  if (v.ok) throw new Error(`expected ${JSON.stringify(raw)} to be invalid`);
  return v.reason;
}

/** A seeded PRNG (mulberry32): values in [0, 1). */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A "random" source replaying the given values in [0, 1), then a seeded PRNG. */
function replay(values: number[], seed = 1): () => number {
  const rest = seeded(seed);
  let i = 0;
  return () => (i < values.length ? values[i++]! : rest());
}

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('validateQuestion', () => {
  it('accepts a well-formed question and returns exactly the six fields', () => {
    const v = validateQuestion({ ...GOOD, id: 7, extra: 'ignored' });
    expect(v).toEqual({ ok: true, value: GOOD });
  });

  it('trims and collapses spaces', () => {
    const v = validateQuestion({ ...GOOD, question: '  Which   fictional moon\u00a0 orbits?  ', answer: ' Teal  Moon ' });
    expect(v.ok && v.value.question).toBe('Which fictional moon orbits?');
    expect(v.ok && v.value.answer).toBe('Teal Moon');
  });

  it.each([
    ['null', null],
    ['a string', 'Which moon?'],
    ['a number', 42],
    ['an array', [GOOD]],
    ['undefined', undefined],
  ])('rejects %s as "not an object"', (_label, raw) => {
    expect(reason(raw)).toBe('not an object');
  });

  it.each(FIELDS)('rejects a missing %s', (f) => {
    const raw: Record<string, unknown> = { ...GOOD };
    delete raw[f];
    expect(reason(raw)).toBe(`${f} is missing or not a string`);
  });

  it.each(FIELDS)('rejects a non-string %s', (f) => {
    expect(reason({ ...GOOD, [f]: 12 })).toBe(`${f} is missing or not a string`);
    expect(reason({ ...GOOD, [f]: null })).toBe(`${f} is missing or not a string`);
    expect(reason({ ...GOOD, [f]: ['x'] })).toBe(`${f} is missing or not a string`);
  });

  it.each(FIELDS)('rejects an empty or blank %s', (f) => {
    expect(reason({ ...GOOD, [f]: '' })).toBe(`${f} is empty`);
    expect(reason({ ...GOOD, [f]: '   ' })).toBe(`${f} is empty`);
  });

  it.each(FIELDS)('rejects control characters in %s', (f) => {
    for (const c of ['\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009f']) {
      expect(reason({ ...GOOD, [f]: `a${c}b` })).toBe(`${f} contains control characters`);
    }
  });

  it.each(FIELDS)('rejects an over-long %s and accepts one at the limit', (f) => {
    const max = f === 'question' ? QUESTION_LIMITS.question : f === 'category' ? QUESTION_LIMITS.category : QUESTION_LIMITS.option;
    // Distinct texts so that the four options stay different.
    const text = (n: number) => `${f}-${'x'.repeat(n - f.length - 1)}`;
    expect(text(max)).toHaveLength(max);
    expect(validateQuestion({ ...GOOD, [f]: text(max) }).ok).toBe(true);
    expect(reason({ ...GOOD, [f]: text(max + 1) })).toBe(`${f} is longer than ${max} characters`);
  });

  it('uses the documented limits', () => {
    expect(QUESTION_LIMITS).toEqual({ question: 1000, option: 200, category: 64 });
  });

  it.each([
    ['answer = choice1', { choice1: GOOD.answer }],
    ['choice2 = choice3', { choice2: 'Same', choice3: 'Same' }],
    ['options differing only by case', { choice3: GOOD.answer.toUpperCase() }],
    ['options differing only by spacing', { choice1: ' Teal   Moon ' }],
  ])('rejects repeated options: %s', (_label, over) => {
    expect(reason({ ...GOOD, ...over })).toBe('answer and the three choices must be four different texts');
  });

  it('never accepts a non-whitespace control character inside any field', () => {
    const controls = [
      ...Array.from({ length: 0x20 }, (_, i) => i).filter((c) => c < 0x09 || c > 0x0d),
      ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...FIELDS), fc.string({ maxLength: 20 }), fc.constantFrom(...controls), (field, s, code) => {
        const v = validateQuestion({ ...GOOD, [field]: `${s}x${String.fromCharCode(code)}y` });
        expect(v.ok).toBe(false);
      }),
    );
  });

  it('turns a line break or tab inside a field into a single space (multi-line CSV cells)', () => {
    const v = validateQuestion({ ...GOOD, question: 'Which fictional moon\norbits\r\n\tPlanet Testa?', choice3: 'Violet\nMoon' });
    expect(v).toEqual({ ok: true, value: { ...GOOD, question: 'Which fictional moon orbits Planet Testa?' } });
  });
});

describe('hasControlChars', () => {
  it('detects C0, DEL and C1 but not ordinary or non-Latin text', () => {
    expect(hasControlChars('tab\there')).toBe(true);
    expect(hasControlChars('del\u007f')).toBe(true);
    expect(hasControlChars('c1\u0090')).toBe(true);
    expect(hasControlChars('Café Øresund — 東京 😀')).toBe(false);
  });
});

describe('normaliseText', () => {
  it('ignores case, spacing and punctuation', () => {
    expect(normaliseText('  What IS the   Capital,  of France?! ')).toBe('what is the capital of france');
    expect(normaliseText('What is the capital of France')).toBe(normaliseText('what is the capital of france???'));
  });
  it('keeps letters and digits of every script', () => {
    expect(normaliseText('Café 東京 2024!')).toBe('café 東京 2024');
    expect(normaliseText('Ελλάδα; Россия.')).toBe('ελλάδα россия');
  });
  it('treats composed and decomposed accents, ligatures and full-width forms alike (NFKC)', () => {
    expect(normaliseText('Cafe\u0301')).toBe(normaliseText('Caf\u00e9'));
    expect(normaliseText('\ufb01sh')).toBe('fish');
    expect(normaliseText('ＡＢＣ１２３')).toBe('abc123');
  });
  it('turns text with no letters or digits into the empty string', () => {
    expect(normaliseText(' ?!… ')).toBe('');
  });
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        const once = normaliseText(s);
        expect(normaliseText(once)).toBe(once);
        expect(once).toBe(once.trim());
        expect(once).not.toMatch(/ {2}/);
      }),
    );
  });
});

describe('shuffle', () => {
  it('keeps every element (a permutation) and leaves its input alone', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 60 }), fc.integer(), (items, seed) => {
        const copy = [...items];
        const out = shuffle(items, seeded(seed));
        expect(items).toEqual(copy);
        expect(out).not.toBe(items);
        expect([...out].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
      }),
    );
  });

  it('keeps every element for any source of randomness in [0, 1)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string(), { maxLength: 20 }), fc.array(unit, { maxLength: 20 }), (items, values) => {
        const out = shuffle(items, replay(values));
        expect(new Set(out)).toEqual(new Set(items));
        expect(out).toHaveLength(items.length);
      }),
    );
  });

  it('can produce every order of three elements', () => {
    const seen = new Set<string>();
    const random = seeded(42);
    for (let i = 0; i < 300; i++) seen.add(shuffle(['a', 'b', 'c'], random).join(''));
    expect(seen).toEqual(new Set(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']));
  });

  it('is roughly uniform over positions', () => {
    const random = seeded(7);
    const counts = Array.from({ length: 4 }, () => [0, 0, 0, 0]);
    const N = 8000;
    for (let i = 0; i < N; i++) shuffle([0, 1, 2, 3], random).forEach((v, pos) => counts[v]![pos]!++);
    for (const row of counts) for (const c of row) expect(Math.abs(c - N / 4)).toBeLessThan(N / 4 / 5);
  });

  it('handles empty and single-element lists', () => {
    expect(shuffle([], Math.random)).toEqual([]);
    expect(shuffle(['only'], Math.random)).toEqual(['only']);
  });
});

describe('distinctPositions', () => {
  const nAndCount = fc.integer({ min: 0, max: 400 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n })));

  it('gives `count` distinct integers in 1..n (property)', () => {
    fc.assert(
      fc.property(nAndCount, fc.integer(), ([n, count], seed) => {
        const out = distinctPositions(n, count, seeded(seed));
        expect(out).toHaveLength(count);
        expect(new Set(out).size).toBe(count);
        for (const p of out) {
          expect(Number.isInteger(p)).toBe(true);
          expect(p).toBeGreaterThanOrEqual(1);
          expect(p).toBeLessThanOrEqual(n);
        }
      }),
    );
  });

  it('stays in range even for a random source returning values just below 1 or exactly 0', () => {
    fc.assert(
      fc.property(
        nAndCount,
        fc.array(fc.constantFrom(0, 1 - Number.EPSILON, 0.5), { maxLength: 5 }),
        ([n, count], values) => {
          const out = distinctPositions(n, count, replay(values));
          expect(new Set(out).size).toBe(count);
          for (const p of out) expect(p >= 1 && p <= n).toBe(true);
        },
      ),
    );
  });

  it('sparse branch (count <= n/2): draws by rejection', () => {
    // The first two draws collide (same position); the set keeps them distinct.
    const out = distinctPositions(100, 3, replay([0.5, 0.505, 0.0, 0.999]));
    expect(out).toEqual([51, 1, 100]);
  });

  it('dense branch (count > n/2): takes a prefix of a shuffled 1..n', () => {
    const random = seeded(3);
    const expected = shuffle(
      Array.from({ length: 10 }, (_, i) => i + 1),
      seeded(3),
    ).slice(0, 6);
    expect(distinctPositions(10, 6, random)).toEqual(expected);
    const all = distinctPositions(10, 10, seeded(9));
    expect([...all].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('covers the whole range over many draws', () => {
    const random = seeded(11);
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) for (const p of distinctPositions(20, 3, random)) seen.add(p);
    expect(seen.size).toBe(20);
  });

  it('returns nothing for count 0 and refuses count > n', () => {
    expect(distinctPositions(0, 0)).toEqual([]);
    expect(distinctPositions(5, 0)).toEqual([]);
    expect(() => distinctPositions(3, 4)).toThrow(RangeError);
  });
});
