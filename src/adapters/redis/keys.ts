/**
 * Every Redis key the server uses. A party's keys share the `{partyId}` hash tag so they
 * live in one cluster slot and one Lua script may touch them all.
 */
export const partyKeys = (partyId: string) => {
  const base = `party:{${partyId}}`;
  return {
    /** HASH: meta (JSON), status, round, opened_at, deadline, reveal_ends_at, max_players, join_code */
    party: base,
    /** ZSET: user_id -> score */
    scores: `${base}:scores`,
    /** HASH: user_id -> sha256(token) */
    tokens: `${base}:tokens`,
    /** HASH: `${round}:${user_id}` -> RecordedAnswer JSON */
    answers: `${base}:answers`,
    /** SET: user_ids with an answer in the current round */
    answered: `${base}:answered`,
    /** ZSET: `${connId}\t${user_id}` -> presence expiry (epoch ms) */
    presence: `${base}:presence`,
  };
};

export const joinCodeKey = (code: string) => `joincode:${code}`;
/** ZSET: party_id -> epoch ms of its next automatic transition. */
export const DEADLINES_KEY = 'deadlines';
/** Pub/sub channel of a party. */
export const partyChannel = (partyId: string) => `party:{${partyId}}:events`;
