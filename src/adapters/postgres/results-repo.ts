/** Game results in PostgreSQL: the idempotent end-of-game write, stats, leaderboard, game records. */
import type { CategoryStats } from '../../game/feedback.js';
import type { PlayerScore, RecordedAnswer } from '../../game/types.js';
import type { Database, Queryable } from './db.js';

export interface GameOutcome {
  partyId: string;
  category: string;
  /** finished: played to the end; abandoned: everyone left; expired: never started. */
  how: 'finished' | 'abandoned' | 'expired';
  /** Rounds that were opened (0 for a lobby that never started); unknown = all. */
  roundsPlayed?: number;
  players: PlayerScore[];
  answers: RecordedAnswer[];
}

/**
 * Writes a concluded game in one transaction: final scores, one row per answer and the
 * per-category stats. Guarded by the party's `live` status, so a second finisher or a retry
 * changes nothing. Returns true when this call did the write.
 */
export async function recordGame(db: Database, g: GameOutcome): Promise<boolean> {
  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      "UPDATE parties SET status = $2, finished_at = now(), rounds_played = $3 WHERE party_id = $1 AND status = 'live'",
      [g.partyId, g.how, g.roundsPlayed ?? null],
    );
    if (claimed.rowCount !== 1) return false;
    if (g.players.length) {
      await tx.query(
        `INSERT INTO party_players (party_id, user_id, score)
         SELECT $1, u, s FROM unnest($2::text[], $3::int[]) AS t(u, s)
         ON CONFLICT (party_id, user_id) DO UPDATE SET score = EXCLUDED.score`,
        [g.partyId, g.players.map((p) => p.userId), g.players.map((p) => p.score)],
      );
    }
    if (g.answers.length) {
      const a = g.answers;
      await tx.query(
        `INSERT INTO answers (party_id, round, user_id, question_id, choice, correct, points, answer_ms)
         SELECT $1, * FROM unnest($2::int[], $3::text[], $4::int[], $5::text[], $6::bool[], $7::int[], $8::int[])
         ON CONFLICT DO NOTHING`,
        [
          g.partyId,
          a.map((x) => x.round),
          a.map((x) => x.userId),
          a.map((x) => x.questionId),
          a.map((x) => x.choice),
          a.map((x) => x.correct),
          a.map((x) => x.points),
          a.map((x) => Math.round(x.ms)),
        ],
      );
    }
    if (g.how !== 'expired' && g.players.length) {
      // Every player of a started game played it, answers or not.
      await tx.query(
        `INSERT INTO player_category_stats AS s (user_id, category, games, answered, correct, total_answer_ms, points)
         SELECT p.user_id, $2, 1,
                count(a.user_id)::int,
                count(a.user_id) FILTER (WHERE a.correct)::int,
                coalesce(sum(a.answer_ms), 0)::bigint,
                coalesce(sum(a.points), 0)::bigint
           FROM party_players p
           LEFT JOIN answers a ON a.party_id = p.party_id AND a.user_id = p.user_id
          WHERE p.party_id = $1
          GROUP BY p.user_id
         ON CONFLICT (user_id, category) DO UPDATE SET
           games = s.games + EXCLUDED.games,
           answered = s.answered + EXCLUDED.answered,
           correct = s.correct + EXCLUDED.correct,
           total_answer_ms = s.total_answer_ms + EXCLUDED.total_answer_ms,
           points = s.points + EXCLUDED.points`,
        [g.partyId, g.category],
      );
    }
    return true;
  });
}

export async function playerStats(db: Queryable, userId: string): Promise<CategoryStats[]> {
  const { rows } = await db.query<CategoryStats>(
    `SELECT category, games, answered, correct,
            CASE WHEN answered > 0 THEN round(correct::numeric / answered, 4)::float8 ELSE 0 END AS accuracy,
            CASE WHEN answered > 0 THEN round(total_answer_ms::numeric / answered)::int ELSE NULL END AS avg_answer_ms,
            points::float8 AS points
       FROM player_category_stats WHERE user_id = $1
      ORDER BY points DESC, category`,
    [userId],
  );
  return rows.map((r) => ({ ...r, points: Number(r.points) }));
}

export async function leaderboard(
  db: Queryable,
  opts: { category?: string; limit: number },
): Promise<{ user_id: string; points: number; games: number; correct: number; answered: number; accuracy: number }[]> {
  const params: unknown[] = [opts.limit];
  let where = '';
  if (opts.category !== undefined) {
    params.push(opts.category);
    where = 'WHERE category = $2';
  }
  const { rows } = await db.query<{ user_id: string; points: number; games: number; correct: number; answered: number }>(
    `SELECT user_id, sum(points)::float8 AS points, sum(games)::int AS games, sum(correct)::int AS correct, sum(answered)::int AS answered
       FROM player_category_stats ${where}
      GROUP BY user_id ORDER BY points DESC, user_id LIMIT $1`,
    params,
  );
  return rows.map((r) => ({
    ...r,
    points: Number(r.points),
    accuracy: r.answered > 0 ? Math.round((r.correct / r.answered) * 10000) / 10000 : 0,
  }));
}

export interface RoundRecord {
  round: number;
  question: string;
  correct_answer: string;
  choices: string[];
  answers: { user_id: string; choice: string; correct: boolean; points: number; answer_ms: number }[];
}

export async function gameRounds(db: Queryable, partyId: string, questionIds: number[]): Promise<RoundRecord[]> {
  const { rows: qs } = await db.query<{ id: number; question: string; answer: string; choice1: string; choice2: string; choice3: string }>(
    'SELECT id, question, answer, choice1, choice2, choice3 FROM questions WHERE id = ANY($1::int[])',
    [questionIds],
  );
  const byId = new Map(qs.map((q) => [q.id, q]));
  const { rows: answers } = await db.query<{ round: number; user_id: string; choice: string; correct: boolean; points: number; answer_ms: number }>(
    'SELECT round, user_id, choice, correct, points, answer_ms FROM answers WHERE party_id = $1 ORDER BY round, answer_ms, user_id',
    [partyId],
  );
  return questionIds.map((id, i) => {
    const q = byId.get(id);
    return {
      round: i + 1,
      question: q?.question ?? '',
      correct_answer: q?.answer ?? '',
      choices: q ? [q.answer, q.choice1, q.choice2, q.choice3] : [],
      answers: answers.filter((a) => a.round === i + 1).map(({ round: _r, ...rest }) => rest),
    };
  });
}
