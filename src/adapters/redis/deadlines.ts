/** Deadlines in one sorted set shared by every process: the backstop that closes rounds nobody times locally. */
import type { Redis } from 'ioredis';
import type { Deadlines } from '../../ports.js';
import { DEADLINES_KEY } from './keys.js';

const CANCEL_IF = `
if ARGV[2] == '' or redis.call('ZSCORE', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
`;

export class RedisDeadlines implements Deadlines {
  constructor(private readonly redis: Redis) {
    if (typeof (redis as unknown as { quizCancelDeadline?: unknown }).quizCancelDeadline !== 'function') {
      redis.defineCommand('quizCancelDeadline', { numberOfKeys: 1, lua: CANCEL_IF });
    }
  }

  async schedule(partyId: string, at: number): Promise<void> {
    await this.redis.zadd(DEADLINES_KEY, at, partyId);
  }

  async cancel(partyId: string, at?: number): Promise<void> {
    await (this.redis as unknown as { quizCancelDeadline(k: string, m: string, at: string): Promise<number> }).quizCancelDeadline(
      DEADLINES_KEY,
      partyId,
      at === undefined ? '' : String(at),
    );
  }

  async due(now: number, limit: number): Promise<{ partyId: string; at: number }[]> {
    const flat = await this.redis.zrangebyscore(DEADLINES_KEY, '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit);
    const out: { partyId: string; at: number }[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ partyId: flat[i]!, at: Number(flat[i + 1]) });
    return out;
  }

  async close(): Promise<void> {}
}
