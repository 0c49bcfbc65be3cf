/** Parties and their players in PostgreSQL: the durable record of every game. */
import type { PartyMeta } from '../../game/types.js';
import type { Database, Queryable } from './db.js';

export interface PartyRow {
  party_id: string;
  game_id: string;
  player_id: string;
  category: string;
  rounds: number;
  timeout_s: number;
  reveal_seconds: number;
  max_players: number;
  start_mode: 'auto' | 'host';
  visibility: 'public' | 'private';
  join_code: string;
  question_ids: number[];
  status: 'live' | 'finished' | 'abandoned' | 'expired';
  rounds_played: number | null;
  created_at: Date;
  finished_at: Date | null;
}

const PARTY_COLUMNS = `party_id::text AS party_id, game_id::text AS game_id, player_id, category, rounds, timeout_s,
  reveal_seconds, max_players, start_mode, visibility, join_code, question_ids, status, rounds_played, created_at, finished_at`;

/** Writes the party and its host's `party_players` row in one transaction. */
export async function insertParty(db: Database, meta: PartyMeta, hostTokenHash: string): Promise<void> {
  const s = meta.settings;
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO parties (party_id, game_id, player_id, category, rounds, timeout_s, reveal_seconds, max_players,
                            start_mode, visibility, join_code, question_ids, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::int[], to_timestamp($13::float8 / 1000))`,
      [
        meta.partyId, meta.gameId, meta.host, s.category, s.rounds, s.timeoutSeconds, s.revealSeconds, s.maxPlayers,
        s.startMode, s.visibility, meta.joinCode, meta.questions.map((q) => q.id), meta.createdAt,
      ],
    );
    await tx.query('INSERT INTO party_players (party_id, user_id, score, token_hash) VALUES ($1, $2, 0, $3)', [
      meta.partyId, meta.host, hostTokenHash,
    ]);
  });
}

/** Removes a party whose live state could not be created (compensation for a failed init). */
export async function deleteParty(db: Queryable, partyId: string): Promise<void> {
  await db.query('DELETE FROM parties WHERE party_id = $1', [partyId]);
}

/**
 * Group commit for joins: inserts requested in the same turn of the event loop go to
 * PostgreSQL as one statement, so a burst of joins costs a few round trips, not one each.
 * Each caller still learns whether its own row was new.
 */
export class PlayerWriter {
  private pending: { partyId: string; userId: string; tokenHash: string; done: (added: boolean) => void; fail: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly db: Queryable,
    private readonly maxBatch = 500,
  ) {}

  insert(partyId: string, userId: string, tokenHash: string): Promise<boolean> {
    return new Promise((done, fail) => {
      this.pending.push({ partyId, userId, tokenHash, done, fail });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    this.db
      .query<{ party_id: string; user_id: string }>(
        `INSERT INTO party_players (party_id, user_id, score, token_hash)
         SELECT p, u, 0, h FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(p, u, h)
         ON CONFLICT DO NOTHING RETURNING party_id::text AS party_id, user_id`,
        [batch.map((b) => b.partyId), batch.map((b) => b.userId), batch.map((b) => b.tokenHash)],
      )
      .then(
        ({ rows }) => {
          const added = new Set(rows.map((r) => `${r.party_id}\t${r.user_id}`));
          for (const b of batch) {
            const key = `${b.partyId}\t${b.userId}`;
            b.done(added.delete(key)); // only the first of repeated requests gets true
          }
        },
        (err: unknown) => {
          for (const b of batch) b.fail(err);
        },
      );
  }
}

export async function getParty(db: Queryable, partyId: string): Promise<PartyRow | null> {
  const { rows } = await db.query<PartyRow>(`SELECT ${PARTY_COLUMNS} FROM parties WHERE party_id = $1`, [partyId]);
  return rows[0] ?? null;
}

export async function getPartyByGame(db: Queryable, gameId: string): Promise<PartyRow | null> {
  const { rows } = await db.query<PartyRow>(`SELECT ${PARTY_COLUMNS} FROM parties WHERE game_id = $1`, [gameId]);
  return rows[0] ?? null;
}

export async function getPlayers(
  db: Queryable,
  partyId: string,
): Promise<{ user_id: string; score: number; token_hash: string | null }[]> {
  const { rows } = await db.query<{ user_id: string; score: number; token_hash: string | null }>(
    'SELECT user_id, score, token_hash FROM party_players WHERE party_id = $1 ORDER BY score DESC, user_id',
    [partyId],
  );
  return rows;
}

/** Marks a party that is no longer live; only the first caller changes anything. */
export async function markEnded(db: Queryable, partyId: string, status: 'expired' | 'abandoned' | 'finished'): Promise<boolean> {
  const res = await db.query(
    "UPDATE parties SET status = $2, finished_at = now(), rounds_played = coalesce(rounds_played, 0) WHERE party_id = $1 AND status = 'live'",
    [partyId, status],
  );
  return res.rowCount === 1;
}

/** Parties still `live` in PostgreSQL created before `before`: candidates for lobby expiry. */
export async function staleLiveParties(
  db: Queryable,
  before: Date,
  limit: number,
  after: { createdAt: Date; partyId: string } | null = null,
): Promise<{ partyId: string; createdAt: Date }[]> {
  const { rows } = await db.query<{ party_id: string; created_at: Date }>(
    `SELECT party_id::text AS party_id, created_at FROM parties
      WHERE status = 'live' AND created_at < $1
        AND ($3::timestamptz IS NULL OR (created_at, party_id) > ($3::timestamptz, $4::uuid))
      ORDER BY created_at, party_id LIMIT $2`,
    [before, limit, after?.createdAt ?? null, after?.partyId ?? null],
  );
  return rows.map((r) => ({ partyId: r.party_id, createdAt: r.created_at }));
}

/** Live public parties, newest first, optionally of one category. */
export async function listLivePublic(
  db: Queryable,
  opts: { category?: string; limit: number; before?: Date },
): Promise<PartyRow[]> {
  const params: unknown[] = [opts.limit];
  let where = "status = 'live' AND visibility = 'public'";
  if (opts.category !== undefined) {
    params.push(opts.category);
    where += ` AND category = $${params.length}`;
  }
  if (opts.before) {
    params.push(opts.before);
    where += ` AND created_at < $${params.length}`;
  }
  const { rows } = await db.query<PartyRow>(
    `SELECT ${PARTY_COLUMNS} FROM parties WHERE ${where} ORDER BY created_at DESC LIMIT $1`,
    params,
  );
  return rows;
}

export async function questionTexts(
  db: Queryable,
  ids: number[],
): Promise<Map<number, { question: string; answer: string; choices: string[] }>> {
  const { rows } = await db.query<{ id: number; question: string; answer: string; choice1: string; choice2: string; choice3: string }>(
    'SELECT id, question, answer, choice1, choice2, choice3 FROM questions WHERE id = ANY($1::int[])',
    [ids],
  );
  // The per-party shuffle is not kept; alphabetical order gives nothing away.
  return new Map(rows.map((r) => [r.id, { question: r.question, answer: r.answer, choices: [r.answer, r.choice1, r.choice2, r.choice3].sort() }]));
}
