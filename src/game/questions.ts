/** Question records: validation, normalisation for duplicate detection, and choice shuffling. */

export interface QuestionInput {
  question: string;
  answer: string;
  choice1: string;
  choice2: string;
  choice3: string;
  category: string;
}

export const QUESTION_LIMITS = { question: 1000, option: 200, category: 64 } as const;

// Control characters (C0, DEL, C1) never belong in quiz text.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlChars(s: string): boolean {
  return CONTROL.test(s);
}

/** Same text up to case, spacing and punctuation counts as a duplicate. */
export function normaliseText(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Checks one raw record; returns the cleaned question or the reason it is invalid. */
export function validateQuestion(raw: unknown): { ok: true; value: QuestionInput } | { ok: false; reason: string } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, reason: 'not an object' };
  const r = raw as Record<string, unknown>;
  const fields = ['question', 'answer', 'choice1', 'choice2', 'choice3', 'category'] as const;
  const out: Record<string, string> = {};
  for (const f of fields) {
    const v = r[f];
    if (typeof v !== 'string') return { ok: false, reason: `${f} is missing or not a string` };
    // Line breaks and tabs (multi-line CSV cells) are spacing, not control characters.
    const t = v.replace(/\s+/g, ' ').trim();
    if (!t) return { ok: false, reason: `${f} is empty` };
    if (hasControlChars(t)) return { ok: false, reason: `${f} contains control characters` };
    const max = f === 'question' ? QUESTION_LIMITS.question : f === 'category' ? QUESTION_LIMITS.category : QUESTION_LIMITS.option;
    if (t.length > max) return { ok: false, reason: `${f} is longer than ${max} characters` };
    out[f] = t;
  }
  const options = [out.answer!, out.choice1!, out.choice2!, out.choice3!].map((o) => o.toLowerCase());
  if (new Set(options).size !== 4) return { ok: false, reason: 'answer and the three choices must be four different texts' };
  return { ok: true, value: out as unknown as QuestionInput };
}

/** Fisher–Yates with an injectable source of randomness (tests pass a seeded one). */
export function shuffle<T>(items: readonly T[], random: () => number = Math.random): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** `count` distinct integers from 1..n, uniformly, in O(count) expected time for count << n. */
export function distinctPositions(n: number, count: number, random: () => number = Math.random): number[] {
  if (count > n) throw new RangeError(`cannot draw ${count} distinct positions from ${n}`);
  if (count > n / 2) return shuffle(Array.from({ length: n }, (_, i) => i + 1), random).slice(0, count);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(1 + Math.floor(random() * n));
  return [...picked];
}
