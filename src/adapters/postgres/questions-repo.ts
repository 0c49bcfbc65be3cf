/** The question bank in PostgreSQL: insert without duplicates, and draw at random by index. */
import { distinctPositions, normaliseText, type QuestionInput } from '../../game/questions.js';
import type { Database, Queryable } from './db.js';

export interface QuestionRow {
  id: number;
  question: string;
  answer: string;
  choice1: string;
  choice2: string;
  choice3: string;
  category: string;
}

export interface InsertOutcome {
  inserted: number;
  /** Indexes (into the input) skipped because the same text is already in that category. */
  duplicates: number[];
}

/**
 * Inserts questions, skipping those whose normalised text already exists in their category.
 * Each category's counter row is locked while its positions are handed out, so concurrent
 * imports keep `category_seq` dense (1..question_count), which the random draw relies on.
 * One statement per category, so loading the bank at first start stays quick.
 */
export async function insertQuestions(db: Database, items: QuestionInput[]): Promise<InsertOutcome> {
  const byCategory = new Map<string, number[]>();
  items.forEach((q, i) => {
    const list = byCategory.get(q.category) ?? [];
    list.push(i);
    byCategory.set(q.category, list);
  });
  const duplicates: number[] = [];
  let inserted = 0;
  await db.transaction(async (tx) => {
    // Lock categories in a fixed order so two imports cannot deadlock.
    for (const category of [...byCategory.keys()].sort()) {
      await tx.query('INSERT INTO categories (category) VALUES ($1) ON CONFLICT DO NOTHING', [category]);
      const { rows } = await tx.query<{ n: number }>(
        'SELECT question_count AS n FROM categories WHERE category = $1 FOR UPDATE',
        [category],
      );
      const base = rows[0]!.n;
      // Repeats inside this batch are duplicates too; keep the first of each.
      const firstOf = new Map<string, number>();
      for (const index of byCategory.get(category)!) {
        const norm = normaliseText(items[index]!.question);
        if (firstOf.has(norm)) duplicates.push(index);
        else firstOf.set(norm, index);
      }
      const batch = [...firstOf].map(([norm, index]) => ({ norm, q: items[index]!, index }));
      // With the category row locked nobody else inserts into it, so numbering the rows
      // that are not already present keeps category_seq dense.
      const res = await tx.query<{ question_norm: string }>(
        `WITH input AS (
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int[])
                    AS t(question, answer, choice1, choice2, choice3, norm, ord)
         ), fresh AS (
           SELECT * FROM input
            WHERE NOT EXISTS (SELECT 1 FROM questions q WHERE q.category = $8 AND q.question_norm = input.norm)
         )
         INSERT INTO questions (question, answer, choice1, choice2, choice3, category, category_seq, question_norm)
         SELECT question, answer, choice1, choice2, choice3, $8, $9 + row_number() OVER (ORDER BY ord), norm FROM fresh
         RETURNING question_norm`,
        [
          batch.map((b) => b.q.question),
          batch.map((b) => b.q.answer),
          batch.map((b) => b.q.choice1),
          batch.map((b) => b.q.choice2),
          batch.map((b) => b.q.choice3),
          batch.map((b) => b.norm),
          batch.map((_, i) => i),
          category,
          base,
        ],
      );
      const added = new Set(res.rows.map((r) => r.question_norm));
      for (const b of batch) if (!added.has(b.norm)) duplicates.push(b.index);
      inserted += added.size;
      await tx.query('UPDATE categories SET question_count = $2 WHERE category = $1', [category, base + added.size]);
    }
  });
  duplicates.sort((a, b) => a - b);
  return { inserted, duplicates };
}

export async function countQuestions(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM questions');
  return rows[0]!.n;
}

export async function listCategories(db: Queryable): Promise<{ category: string; questions: number }[]> {
  const { rows } = await db.query<{ category: string; questions: number }>(
    'SELECT category, question_count AS questions FROM categories WHERE question_count > 0 ORDER BY category',
  );
  return rows;
}

/** Question counts per category, per database, kept briefly so a draw is one round trip. */
const categorySizes = new WeakMap<Queryable, Map<string, { n: number; at: number }>>();
const COUNT_CACHE_MS = 5_000;

/**
 * Draws `count` distinct random questions of a category, or null when it has fewer.
 * Picks random positions in 1..question_count and fetches them through the
 * (category, category_seq) index: O(count · log n), whatever the size of the table.
 */
export async function drawQuestions(
  db: Queryable,
  category: string,
  count: number,
  random: () => number = Math.random,
): Promise<QuestionRow[] | null> {
  let total = categorySizes.get(db)?.get(category);
  // Counts only grow, so a cached one is safe to draw from; re-read it when it looks too small.
  if (total === undefined || total.at < Date.now() - COUNT_CACHE_MS || total.n < count) {
    const { rows: cat } = await db.query<{ n: number }>('SELECT question_count AS n FROM categories WHERE category = $1', [
      category,
    ]);
    total = { n: cat[0]?.n ?? 0, at: Date.now() };
    let sizes = categorySizes.get(db);
    if (!sizes) categorySizes.set(db, (sizes = new Map()));
    if (sizes.size > 10_000) sizes.clear();
    sizes.set(category, total);
  }
  if (total.n < count) return null;
  const positions = distinctPositions(total.n, count, random);
  const { rows } = await db.query<QuestionRow & { seq: number }>(
    `SELECT id, question, answer, choice1, choice2, choice3, category, category_seq AS seq
       FROM questions WHERE category = $1 AND category_seq = ANY($2::int[])`,
    [category, positions],
  );
  if (rows.length < count) return null; // positions go missing only if rows were deleted by hand
  // Keep the random order of the drawn positions rather than the index order.
  const order = new Map(positions.map((p, i) => [p, i]));
  rows.sort((a, b) => order.get(a.seq)! - order.get(b.seq)!);
  return rows.map(({ seq: _seq, ...q }) => q);
}
