/** PartyStore on Redis: one hash-tagged key family per party, Lua for every atomic step. */
import type { Redis } from 'ioredis';
import type { EndedHow, PartyMeta, Phase, PartyStatus, RecordedAnswer } from '../../game/types.js';
import type { AnswerOutcome, JoinOutcome, PartySnapshot, PartyStore, PartySummary } from '../../ports.js';
import { joinCodeKey, partyKeys } from './keys.js';
import { CONNECT, JOIN, MARK_SHOWN, MARK_VACANT, RECORD_ANSWER, RELEASE_CODE, TRANSITION } from './scripts.js';

type Scripted = Redis & {
  quizJoin(k1: string, k2: string, k3: string, user: string, hash: string): Promise<string>;
  quizTransition(k1: string, k2: string, ...argv: string[]): Promise<number>;
  quizRecordAnswer(k1: string, k2: string, k3: string, k4: string, ...argv: string[]): Promise<[string, string?, number?]>;
  quizConnect(k1: string, k2: string, k3: string, k4: string, k5: string, k6: string, ...argv: string[]): Promise<string>;
  quizMarkVacant(k1: string, now: string): Promise<string>;
  quizMarkShown(k1: string, tag: string): Promise<number>;
  quizReleaseCode(k1: string, partyId: string): Promise<number>;
};

function defineScripts(redis: Redis): Scripted {
  const r = redis as Scripted;
  if (typeof r.quizJoin !== 'function') {
    redis.defineCommand('quizJoin', { numberOfKeys: 3, lua: JOIN });
    redis.defineCommand('quizTransition', { numberOfKeys: 2, lua: TRANSITION });
    redis.defineCommand('quizRecordAnswer', { numberOfKeys: 4, lua: RECORD_ANSWER });
    redis.defineCommand('quizConnect', { numberOfKeys: 6, lua: CONNECT });
    redis.defineCommand('quizMarkVacant', { numberOfKeys: 1, lua: MARK_VACANT });
    redis.defineCommand('quizMarkShown', { numberOfKeys: 1, lua: MARK_SHOWN });
    redis.defineCommand('quizReleaseCode', { numberOfKeys: 1, lua: RELEASE_CODE });
  }
  return r;
}

const num = (s: string | null | undefined): number | null => (s ? Number(s) : null);
const str = (n: number | null): string => (n === null ? '' : String(n));

function parsePhase(ph: (string | null)[]): Phase {
  return {
    status: ph[0] as PartyStatus,
    round: Number(ph[1]),
    openedAt: num(ph[2]),
    deadline: num(ph[3]),
    revealEndsAt: num(ph[4]),
    ...(ph[5] ? { endedHow: ph[5] as EndedHow } : {}),
  };
}

/** Immutable party metadata is parsed once per process and kept in a bounded cache. */
const META_CACHE_MAX = 20_000;

export class RedisPartyStore implements PartyStore {
  private readonly redis: Scripted;
  private readonly metaCache = new Map<string, PartyMeta>();

  constructor(redis: Redis) {
    this.redis = defineScripts(redis);
  }

  async claimJoinCode(code: string, partyId: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(joinCodeKey(code), partyId, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async releaseJoinCode(code: string, partyId: string): Promise<void> {
    await this.redis.quizReleaseCode(joinCodeKey(code), partyId);
  }

  async resolveJoinCode(code: string): Promise<string | null> {
    const partyId = await this.redis.get(joinCodeKey(code));
    if (!partyId) return null;
    return (await this.redis.exists(partyKeys(partyId).party)) ? partyId : null;
  }

  async create(meta: PartyMeta, hostTokenHash: string, ttlMs: number): Promise<void> {
    const k = partyKeys(meta.partyId);
    await this.redis
      .multi()
      .hset(k.party, {
        meta: JSON.stringify(meta),
        status: 'lobby',
        round: '1',
        opened_at: '',
        deadline: '',
        reveal_ends_at: '',
        max_players: String(meta.settings.maxPlayers),
        join_code: meta.joinCode,
      })
      .zadd(k.scores, 0, meta.host)
      .hset(k.tokens, meta.host, hostTokenHash)
      .pexpire(k.party, ttlMs)
      .pexpire(k.scores, ttlMs)
      .pexpire(k.tokens, ttlMs)
      .exec();
    this.remember(meta);
  }

  private remember(meta: PartyMeta): void {
    if (this.metaCache.size >= META_CACHE_MAX) {
      const oldest = this.metaCache.keys().next().value;
      if (oldest !== undefined) this.metaCache.delete(oldest);
    }
    this.metaCache.set(meta.partyId, meta);
  }

  async meta(partyId: string): Promise<PartyMeta | null> {
    const cached = this.metaCache.get(partyId);
    if (cached) return cached;
    const raw = await this.redis.hget(partyKeys(partyId).party, 'meta');
    if (!raw) return null;
    const meta = JSON.parse(raw) as PartyMeta;
    this.remember(meta);
    return meta;
  }

  async load(partyId: string, now: number): Promise<PartySnapshot | null> {
    const k = partyKeys(partyId);
    const res = await this.redis
      .multi()
      .hmget(k.party, 'status', 'round', 'opened_at', 'deadline', 'reveal_ends_at', 'ended_how', 'vacant_until', 'shown')
      .zrange(k.scores, 0, -1, 'WITHSCORES')
      .smembers(k.answered)
      .zrangebyscore(k.presence, `(${now}`, '+inf')
      .exec();
    if (!res) return null;
    const [ph, scores, answered, presence] = res.map(([err, v]) => {
      if (err) throw err;
      return v;
    }) as [(string | null)[], string[], string[], string[]];
    if (!ph[0]) {
      this.metaCache.delete(partyId);
      return null;
    }
    const meta = await this.meta(partyId);
    if (!meta) return null;
    const players = [];
    for (let i = 0; i < scores.length; i += 2) players.push({ userId: scores[i]!, score: Number(scores[i + 1]) });
    const connected = new Set<string>();
    for (const member of presence) {
      const userId = member.slice(member.indexOf('\t') + 1);
      if (userId) connected.add(userId);
    }
    return {
      meta,
      phase: parsePhase(ph),
      players,
      answered: new Set(answered),
      connected,
      connections: presence.length,
      vacantUntil: num(ph[6]),
      shown: ph[7] || null,
    };
  }

  async summaries(partyIds: string[]): Promise<PartySummary[]> {
    if (!partyIds.length) return [];
    const pipe = this.redis.pipeline();
    for (const id of partyIds) {
      const k = partyKeys(id);
      pipe.hget(k.party, 'status').zcard(k.scores);
    }
    const res = (await pipe.exec()) ?? [];
    const out: PartySummary[] = [];
    partyIds.forEach((partyId, i) => {
      const status = res[2 * i]?.[1] as string | null;
      if (status) out.push({ partyId, status: status as PartyStatus, players: Number(res[2 * i + 1]?.[1] ?? 0) });
    });
    return out;
  }

  async join(partyId: string, userId: string, tokenHash: string): Promise<JoinOutcome> {
    const k = partyKeys(partyId);
    return (await this.redis.quizJoin(k.party, k.scores, k.tokens, userId, tokenHash)) as JoinOutcome;
  }

  async removePlayer(partyId: string, userId: string): Promise<void> {
    const k = partyKeys(partyId);
    await this.redis.multi().zrem(k.scores, userId).hdel(k.tokens, userId).exec();
  }

  async tokenHash(partyId: string, userId: string): Promise<string | null> {
    return this.redis.hget(partyKeys(partyId).tokens, userId);
  }

  async transition(partyId: string, from: Pick<Phase, 'status' | 'round'>, to: Phase): Promise<boolean> {
    const k = partyKeys(partyId);
    const won = await this.redis.quizTransition(
      k.party,
      k.answered,
      from.status,
      String(from.round),
      to.status,
      String(to.round),
      str(to.openedAt),
      str(to.deadline),
      str(to.revealEndsAt),
      to.endedHow ?? '',
    );
    return won === 1;
  }

  async recordAnswerOnce(partyId: string, answer: RecordedAnswer, now: number): Promise<AnswerOutcome> {
    const k = partyKeys(partyId);
    const [code, score, count] = await this.redis.quizRecordAnswer(
      k.party,
      k.scores,
      k.answers,
      k.answered,
      String(answer.round),
      answer.userId,
      JSON.stringify(answer),
      String(answer.points),
      String(now),
    );
    if (code !== 'ok') return { ok: false, code: code as 'round_closed' | 'already_answered' | 'not_a_player' };
    return { ok: true, score: Number(score), answeredCount: Number(count) };
  }

  async phase(partyId: string): Promise<Phase | null> {
    const ph = await this.redis.hmget(partyKeys(partyId).party, 'status', 'round', 'opened_at', 'deadline', 'reveal_ends_at', 'ended_how');
    if (!ph[0]) return null;
    return parsePhase(ph);
  }

  async answers(partyId: string): Promise<RecordedAnswer[]> {
    const all = await this.redis.hvals(partyKeys(partyId).answers);
    return all.map((v) => JSON.parse(v) as RecordedAnswer);
  }

  async markConnected(partyId: string, connId: string, userId: string | null, expiresAt: number): Promise<void> {
    const k = partyKeys(partyId);
    const code = await this.redis.quizConnect(
      k.party,
      k.scores,
      k.tokens,
      k.presence,
      k.answers,
      k.answered,
      `${connId}\t${userId ?? ''}`,
      String(expiresAt),
      String(Date.now()),
    );
    if (code) await this.redis.persist(joinCodeKey(code));
  }

  async markDisconnected(partyId: string, connId: string, userId: string | null): Promise<void> {
    await this.redis.zrem(partyKeys(partyId).presence, `${connId}\t${userId ?? ''}`);
  }

  async markShown(partyId: string, tag: string): Promise<void> {
    await this.redis.quizMarkShown(partyKeys(partyId).party, tag);
  }

  async markVacant(partyId: string, until: number): Promise<number> {
    return Number(await this.redis.quizMarkVacant(partyKeys(partyId).party, String(until)));
  }

  async delete(partyId: string): Promise<void> {
    const k = partyKeys(partyId);
    const code = await this.redis.hget(k.party, 'join_code');
    await this.redis.del(k.party, k.scores, k.tokens, k.answers, k.answered, k.presence);
    if (code) await this.releaseJoinCode(code, partyId);
    this.metaCache.delete(partyId);
  }
}
