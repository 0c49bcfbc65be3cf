/** Turns per-category stats into a strongest / weakest category and one line of advice. */

/** One player's record in one category, as GET /api/players/{user_id}/stats reports it. */
export interface CategoryStats {
  category: string;
  games: number;
  answered: number;
  correct: number;
  /** correct / answered, 0..1 */
  accuracy: number;
  avg_answer_ms: number | null;
  points: number;
}

/** What the feedback needs of a category's record. */
export type CategoryLine = Omit<CategoryStats, 'games'>;

export interface Feedback {
  strongest: string | null;
  weakest: string | null;
  message: string;
}

/** The body of GET /api/players/{user_id}/stats. */
export interface PlayerStats {
  user_id: string;
  categories: CategoryStats[];
  feedback: Feedback;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** Ranks categories by accuracy, then points; categories never answered in are left out. */
export function feedbackFor(lines: CategoryLine[]): Feedback {
  const rated = lines.filter((l) => l.answered > 0);
  if (!rated.length) {
    return { strongest: null, weakest: null, message: 'Answer a few questions in a finished game to see where you shine.' };
  }
  const ranked = [...rated].sort((a, b) => b.accuracy - a.accuracy || b.points - a.points || a.category.localeCompare(b.category));
  const best = ranked[0]!;
  const worst = ranked[ranked.length - 1]!;
  if (ranked.length === 1) {
    return {
      strongest: best.category,
      weakest: best.category,
      message: `${pct(best.accuracy)} correct in ${best.category} so far; play another category to compare.`,
    };
  }
  const advice =
    worst.accuracy < 0.5
      ? `a round of ${worst.category} a day would lift your ${pct(worst.accuracy)}.`
      : `${worst.category} is your weakest at ${pct(worst.accuracy)}; answering a little faster there earns more points.`;
  return {
    strongest: best.category,
    weakest: worst.category,
    message: `Strongest in ${best.category} (${pct(best.accuracy)} correct); ${advice}`,
  };
}
