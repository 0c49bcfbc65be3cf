-- Questions, with a dense per-category position so a random draw is an index lookup
-- (category, category_seq) instead of a scan sorted by random().
CREATE TABLE questions (
  id            SERIAL PRIMARY KEY,
  question      TEXT NOT NULL,
  answer        TEXT NOT NULL,
  choice1       TEXT NOT NULL,
  choice2       TEXT NOT NULL,
  choice3       TEXT NOT NULL,
  category      TEXT NOT NULL,
  category_seq  INTEGER NOT NULL,
  question_norm TEXT NOT NULL,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX questions_category_seq ON questions (category, category_seq);
CREATE UNIQUE INDEX questions_category_norm ON questions (category, question_norm);

-- One row per category holding how many questions it has: the upper bound of the
-- random positions, and the source of GET /api/categories.
CREATE TABLE categories (
  category       TEXT PRIMARY KEY,
  question_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE parties (
  party_id       UUID PRIMARY KEY,
  game_id        UUID NOT NULL,
  player_id      TEXT NOT NULL,
  category       TEXT NOT NULL,
  rounds         INTEGER NOT NULL,
  timeout_s      INTEGER NOT NULL,
  reveal_seconds INTEGER NOT NULL,
  max_players    INTEGER NOT NULL,
  start_mode     TEXT NOT NULL,
  visibility     TEXT NOT NULL,
  join_code      TEXT NOT NULL,
  question_ids   INTEGER[] NOT NULL,
  status         TEXT NOT NULL DEFAULT 'live',   -- live | finished | abandoned | expired
  created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at    TIMESTAMPTZ
);
CREATE UNIQUE INDEX parties_game_id ON parties (game_id);
CREATE INDEX parties_live_created ON parties (created_at DESC) WHERE status = 'live';

CREATE TABLE party_players (
  party_id   UUID NOT NULL REFERENCES parties (party_id) ON DELETE CASCADE,
  user_id    TEXT NOT NULL,
  score      INTEGER NOT NULL DEFAULT 0,
  token_hash TEXT,
  joined_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (party_id, user_id)
);
CREATE INDEX party_players_user ON party_players (user_id);

-- One row per accepted answer, written when the game ends.
CREATE TABLE answers (
  party_id    UUID NOT NULL REFERENCES parties (party_id) ON DELETE CASCADE,
  round       INTEGER NOT NULL,
  user_id     TEXT NOT NULL,
  question_id INTEGER NOT NULL REFERENCES questions (id),
  choice      TEXT NOT NULL,
  correct     BOOLEAN NOT NULL,
  points      INTEGER NOT NULL,
  answer_ms   INTEGER NOT NULL,
  PRIMARY KEY (party_id, round, user_id)
);

-- Running totals per player and category, updated once per finished game.
CREATE TABLE player_category_stats (
  user_id         TEXT NOT NULL,
  category        TEXT NOT NULL,
  games           INTEGER NOT NULL DEFAULT 0,
  answered        INTEGER NOT NULL DEFAULT 0,
  correct         INTEGER NOT NULL DEFAULT 0,
  total_answer_ms BIGINT NOT NULL DEFAULT 0,
  points          BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, category)
);
CREATE INDEX player_category_stats_points ON player_category_stats (category, points DESC);
