/**
 * Request and response schemas of the HTTP API. The same objects validate requests,
 * serialise responses and generate the OpenAPI document at /docs.
 */
import { Type } from 'typebox';

/** Printable text: no control characters, not blank. */
const TEXT_PATTERN = '^(?=[\\s\\S]*\\S)[^\\u0000-\\u001F\\u007F-\\u009F]*$';

export const PlayerId = (description: string) =>
  Type.String({ minLength: 1, maxLength: 64, pattern: TEXT_PATTERN, description });

export const ErrorBody = Type.Object(
  {
    detail: Type.String({ description: 'what went wrong, for humans' }),
    code: Type.String({ description: 'stable machine-readable code' }),
  },
  { $id: 'Error', description: 'Every error response has this shape.' },
);

export const InitBody = Type.Object({
  player_id: PlayerId('the host; also the first player'),
  category: Type.String({ minLength: 1, maxLength: 64, pattern: TEXT_PATTERN, description: 'see GET /api/categories' }),
  rounds: Type.Integer({ minimum: 1, maximum: 50 }),
  timeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 600, default: 30, description: 'seconds each question stays open' })),
  start_mode: Type.Optional(
    Type.Union([Type.Literal('auto'), Type.Literal('host')], {
      default: 'auto',
      description: 'auto: round 1 opens when the first WebSocket client connects; host: when the host sends start',
    }),
  ),
  reveal_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, default: 3 })),
  max_players: Type.Optional(Type.Integer({ minimum: 2, maximum: 2000, default: 500 })),
  visibility: Type.Optional(Type.Union([Type.Literal('public'), Type.Literal('private')], { default: 'public' })),
});

export const InitReply = Type.Object({
  party_id: Type.String({ format: 'uuid' }),
  game_id: Type.String({ format: 'uuid' }),
  join_code: Type.String({ pattern: '^[0-9]{6}$' }),
  token: Type.String({ description: "the host's player token: pass it to /ws/{party_id}" }),
});

export const PartyIdParams = Type.Object({
  party_id: Type.String({ description: 'a UUID; anything else is 404' }),
});

export const JoinBody = Type.Object({ user_id: PlayerId('the joining player') });

export const JoinReply = Type.Object({
  message: Type.Literal('Joined party successfully'),
  game_id: Type.String({ format: 'uuid' }),
  token: Type.String({ description: "this player's token: pass it to /ws/{party_id}" }),
});

export const PartyState = Type.Object(
  {
    party_id: Type.String(),
    game_id: Type.String(),
    join_code: Type.String(),
    host: Type.String(),
    category: Type.String(),
    rounds: Type.Integer(),
    timeout: Type.Integer(),
    start_mode: Type.String(),
    status: Type.Union([Type.Literal('lobby'), Type.Literal('question'), Type.Literal('reveal'), Type.Literal('finished')]),
    current_round: Type.Integer(),
    question: Type.Union([Type.String(), Type.Null()]),
    choices: Type.Array(Type.String()),
    deadline: Type.Union([Type.Integer(), Type.Null()], { description: 'epoch ms when the open question closes' }),
    time_left_ms: Type.Union([Type.Integer(), Type.Null()]),
    correct_answer: Type.Optional(Type.String({ description: 'only in reveal and finished' })),
    players: Type.Array(
      Type.Object({ user_id: Type.String(), score: Type.Integer(), connected: Type.Boolean(), answered: Type.Boolean() }),
      { description: 'by score, descending' },
    ),
  },
  { $id: 'PartyState' },
);

export const JoinCodeParams = Type.Object({ join_code: Type.String({ description: 'six digits; anything else is 404' }) });

export const PartiesQuery = Type.Object({
  status: Type.Optional(Type.Union([Type.Literal('lobby'), Type.Literal('question'), Type.Literal('reveal')])),
  category: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: TEXT_PATTERN })),
  limit: Type.Optional(Type.String({ pattern: '^(100|[1-9][0-9]?)$', description: '1..100, default 20' })),
});

export const PartyListing = Type.Array(
  Type.Object({
    party_id: Type.String(),
    join_code: Type.String(),
    host: Type.String(),
    category: Type.String(),
    rounds: Type.Integer(),
    timeout: Type.Integer(),
    status: Type.String(),
    players: Type.Integer(),
    max_players: Type.Integer(),
  }),
);

export const Categories = Type.Array(Type.Object({ category: Type.String(), questions: Type.Integer() }));

export const QuestionItem = Type.Object({
  question: Type.String(),
  answer: Type.String(),
  choice1: Type.String(),
  choice2: Type.String(),
  choice3: Type.String(),
  category: Type.String(),
});

export const ImportReply = Type.Object({
  inserted: Type.Integer(),
  skipped: Type.Array(Type.Object({ where: Type.String(), reason: Type.String() })),
  invalid: Type.Array(Type.Object({ where: Type.String(), reason: Type.String() })),
});
