/** Results over HTTP: a player's per-category stats, the leaderboard, and finished games. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../app.js';
import { feedbackFor } from '../game/feedback.js';
import { gameRounds, leaderboard, playerStats } from '../adapters/postgres/results-repo.js';
import { getPartyByGame } from '../adapters/postgres/parties-repo.js';
import { canonicalUuid } from '../live/party-service.js';
import { HttpError } from './errors.js';
import { PlayerId } from './schemas.js';

const err = (description: string) => ({ $ref: 'Error#', description });
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

const StatsReply = Type.Object({
  user_id: Type.String(),
  categories: Type.Array(
    Type.Object({
      category: Type.String(),
      games: Type.Integer(),
      answered: Type.Integer(),
      correct: Type.Integer(),
      accuracy: Type.Number({ description: 'correct / answered, 0..1' }),
      avg_answer_ms: Type.Union([Type.Integer(), Type.Null()]),
      points: Type.Integer(),
    }),
  ),
  feedback: Type.Object({ strongest: Nullable(Type.String()), weakest: Nullable(Type.String()), message: Type.String() }),
});

const LeaderboardQuery = Type.Object({
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1..100, default 10' })),
});

const LeaderboardReply = Type.Array(
  Type.Object({
    rank: Type.Integer(),
    user_id: Type.String(),
    points: Type.Integer(),
    games: Type.Integer(),
    answered: Type.Integer(),
    correct: Type.Integer(),
    accuracy: Type.Number(),
  }),
);

const GameReply = Type.Object({
  game_id: Type.String(),
  party_id: Type.String(),
  category: Type.String(),
  status: Type.String({ description: 'finished, abandoned or expired' }),
  host: Type.String(),
  finished_at: Type.Union([Type.String(), Type.Null()]),
  ranking: Type.Array(Type.Object({ rank: Type.Integer(), user_id: Type.String(), score: Type.Integer() })),
  rounds: Type.Array(
    Type.Object({
      round: Type.Integer(),
      question: Type.String(),
      correct_answer: Type.String(),
      choices: Type.Array(Type.String()),
      answers: Type.Array(
        Type.Object({
          user_id: Type.String(),
          choice: Type.String(),
          correct: Type.Boolean(),
          points: Type.Integer(),
          answer_ms: Type.Integer(),
        }),
      ),
    }),
  ),
});

/** Competition ranking: equal scores share a rank (1, 2, 2, 4). */
function ranked<T extends object>(rows: T[], key: (r: T) => number): (T & { rank: number })[] {
  let rank = 0;
  let prev: number | null = null;
  return rows.map((r, i) => {
    const v = key(r);
    if (v !== prev) rank = i + 1;
    prev = v;
    return { ...r, rank };
  });
}

export const resultRoutes = (ctx: AppContext) => async (fastify: FastifyInstance) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const db = ctx.adapters.db;

  app.get('/api/players/:user_id/stats', {
    schema: {
      tags: ['results'],
      summary: "A player's performance per category, with feedback",
      params: Type.Object({ user_id: PlayerId('the player') }),
      response: { 200: StatsReply, 404: err('player_not_found'), 422: err('validation_error') },
    },
  }, async (req) => {
    const userId = req.params.user_id;
    const categories = await playerStats(db, userId);
    if (!categories.length) {
      const { rows } = await db.query('SELECT 1 FROM party_players WHERE user_id = $1 LIMIT 1', [userId]);
      if (!rows.length) throw new HttpError(404, 'player_not_found', 'no games recorded for this player');
    }
    return { user_id: userId, categories, feedback: feedbackFor(categories) };
  });

  app.get('/api/leaderboard', {
    schema: {
      tags: ['results'],
      summary: 'Top players by points, overall or in one category',
      querystring: LeaderboardQuery,
      response: { 200: LeaderboardReply, 422: err('validation_error') },
    },
  }, async (req) => {
    const rows = await leaderboard(db, { category: req.query.category, limit: req.query.limit ? Number(req.query.limit) : 10 });
    return ranked(rows, (r) => r.points);
  });

  app.get('/api/games/:game_id', {
    schema: {
      tags: ['results'],
      summary: "A finished game: final ranking, and each round's question, correct answer and answers",
      params: Type.Object({ game_id: Type.String({ description: 'a UUID; anything else is 404' }) }),
      response: { 200: GameReply, 404: err('game_not_found (unknown, malformed, or still being played)') },
    },
  }, async (req) => {
    const gameId = canonicalUuid(req.params.game_id);
    if (!gameId) throw new HttpError(404, 'game_not_found', 'no such game');
    const party = await getPartyByGame(db, gameId);
    if (!party) throw new HttpError(404, 'game_not_found', 'no such game');
    if (party.status === 'live') throw new HttpError(404, 'game_not_found', 'the game is still being played; results appear when it ends');
    const { rows: players } = await db.query<{ user_id: string; score: number }>(
      'SELECT user_id, score FROM party_players WHERE party_id = $1 ORDER BY score DESC, user_id',
      [party.party_id],
    );
    return {
      game_id: party.game_id,
      party_id: party.party_id,
      category: party.category,
      status: party.status,
      host: party.player_id,
      finished_at: party.finished_at ? party.finished_at.toISOString() : null,
      ranking: ranked(players, (p) => p.score),
      // Only the rounds that were asked: an abandoned game stops early, an expired one asked none.
      rounds: await gameRounds(db, party.party_id, party.question_ids.slice(0, party.rounds_played ?? party.rounds)),
    };
  });
};
