/**
 * The Lua scripts, in one place. Each one is a single atomic step of the game: it guards
 * and counts; the rules that decide what to write stay in TypeScript (game/).
 */

/** KEYS: party, scores, tokens. ARGV: user, tokenHash. */
export const JOIN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'party_not_found' end
local st = redis.call('HMGET', KEYS[1], 'status', 'max_players')
if st[1] == 'finished' then return 'party_not_found' end
if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 'already_joined' end
if redis.call('ZCARD', KEYS[2]) >= tonumber(st[2]) then return 'party_full' end
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
return 'ok'
`;

/**
 * Compare-and-set of the phase: exactly one caller moving from (status, round) wins.
 * KEYS: party, answered. ARGV: fromStatus, fromRound, toStatus, toRound, openedAt, deadline, revealEndsAt, endedHow.
 */
export const TRANSITION = `
local ph = redis.call('HMGET', KEYS[1], 'status', 'round')
if ph[1] ~= ARGV[1] or ph[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[3], 'round', ARGV[4], 'opened_at', ARGV[5], 'deadline', ARGV[6], 'reveal_ends_at', ARGV[7], 'ended_how', ARGV[8])
redis.call('HDEL', KEYS[1], 'shown')
if ARGV[3] == 'question' then redis.call('DEL', KEYS[2]) end
return 1
`;

/**
 * Records one answer once, only while its round is open, and adds its points.
 * KEYS: party, scores, answers, answered. ARGV: round, user, answerJson, points, now.
 * Returns {'ok', newScore, answeredCount} or {code}.
 */
export const RECORD_ANSWER = `
local ph = redis.call('HMGET', KEYS[1], 'status', 'round', 'deadline')
if not ph[1] then return {'round_closed'} end
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then return {'not_a_player'} end
local deadline = tonumber(ph[3])
if ph[1] ~= 'question' or ph[2] ~= ARGV[1] or not deadline or tonumber(ARGV[5]) > deadline then return {'round_closed'} end
if redis.call('HSETNX', KEYS[3], ARGV[1] .. ':' .. ARGV[2], ARGV[3]) == 0 then return {'already_answered'} end
redis.call('SADD', KEYS[4], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('PEXPIRE', KEYS[4], ttl)
end
local score = redis.call('ZINCRBY', KEYS[2], ARGV[4], ARGV[2])
return {'ok', score, redis.call('SCARD', KEYS[4])}
`;

/**
 * Registers a connection; the first one lifts the lobby expiry of every party key.
 * KEYS: party, scores, tokens, presence, answers, answered. ARGV: member, expiresAt, now.
 * Returns the join code when the expiry was lifted (so the caller lifts the code's too), else ''.
 */
export const CONNECT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return '' end
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[2], ARGV[1])
redis.call('HDEL', KEYS[1], 'vacant_until')
if redis.call('PTTL', KEYS[1]) > 0 then
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  redis.call('PERSIST', KEYS[3])
  redis.call('PERSIST', KEYS[5])
  redis.call('PERSIST', KEYS[6])
  return redis.call('HGET', KEYS[1], 'join_code')
end
return ''
`;

/** KEYS: party. ARGV: until. Sets vacant_until unless set (never creates a missing party). */
export const MARK_VACANT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return ARGV[1] end
redis.call('HSETNX', KEYS[1], 'vacant_until', ARGV[1])
return redis.call('HGET', KEYS[1], 'vacant_until')
`;

/** KEYS: party. ARGV: tag. Marks a phase's state as published (never creates a missing party). */
export const MARK_SHOWN = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSET', KEYS[1], 'shown', ARGV[1])
`;

/** KEYS: joincode. ARGV: partyId. Deletes the code only if that party still holds it. */
export const RELEASE_CODE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
