/**
 * Deadlines contract (src/ports.ts): one suite, run against the in-process index and the Redis
 * sorted set. The Redis key is global (`deadlines`) and shared with every other test file of the
 * run, whose apps sweep `due(Date.now())` and cancel whatever party they do not know. So each
 * test uses fresh party ids and times in a window of its own far in the future (no sweep ever
 * sees them), looks only at its own ids, and cancels what it scheduled.
 */
import { randomInt, randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/adapters/index.js';
import { MemoryDeadlines } from '../../src/adapters/memory/deadlines.js';
import { RedisDeadlines } from '../../src/adapters/redis/deadlines.js';
import type { Deadlines } from '../../src/ports.js';
import { type Implementation, services, skipReason } from '../helpers/contract.js';

export interface DeadlinesHarness {
  deadlines: Deadlines;
  /** Another process's view of the same index (Redis: own connection); memory: the same object. */
  peer: Deadlines;
  cleanup(): Promise<void>;
}

export function deadlinesContract(name: string, make: () => Promise<DeadlinesHarness>): void {
  let h: DeadlinesHarness;
  let d: Deadlines;
  const mine: string[] = [];

  beforeAll(async () => {
    h = await make();
    d = h.deadlines;
  });

  afterEach(async () => {
    for (const id of mine.splice(0)) await d.cancel(id);
  });

  afterAll(async () => {
    await h?.cleanup();
  });

  /**
   * A window of times of this test alone: integers from 4e12 (year 2096) on, a million apart
   * from other tests' windows, far after the real deadlines other files schedule and sweep.
   */
  const window = () => 4_000_000_000_000 + randomInt(1, 1_000_000) * 1_000_000;

  const ids = (n: number) => {
    const out = Array.from({ length: n }, () => randomUUID());
    mine.push(...out);
    return out;
  };

  const ownDue = async (now: number, limit = 10_000) => {
    const set = new Set(mine);
    return (await d.due(now, limit)).filter((x) => set.has(x.partyId));
  };

  describe(name, () => {
    it('schedule, then due returns the party at or after its time, not before', async () => {
      const t = window();
      const [p] = ids(1);
      await d.schedule(p!, t);
      expect(await ownDue(t - 1)).toEqual([]);
      expect(await ownDue(t)).toEqual([{ partyId: p, at: t }]);
      expect(await ownDue(t + 60_000)).toEqual([{ partyId: p, at: t }]);
      expect(await h.peer.due(t, 10_000)).toContainEqual({ partyId: p, at: t });
    });

    it('due does not consume: the party stays until cancelled', async () => {
      const t = window();
      const [p] = ids(1);
      await d.schedule(p!, t);
      expect(await ownDue(t)).toHaveLength(1);
      expect(await ownDue(t)).toHaveLength(1);
    });

    it('schedule replaces the earlier deadline of the party (later or earlier)', async () => {
      const t = window();
      const [p] = ids(1);
      await d.schedule(p!, t);
      await d.schedule(p!, t + 5000);
      expect(await ownDue(t + 4999)).toEqual([]);
      expect(await ownDue(t + 5000)).toEqual([{ partyId: p, at: t + 5000 }]);
      await h.peer.schedule(p!, t + 1000);
      expect(await ownDue(t + 10_000)).toEqual([{ partyId: p, at: t + 1000 }]);
    });

    it('due lists oldest first and respects the limit', async () => {
      const t = window();
      const ps = ids(6);
      const times = [t + 500, t + 100, t + 400, t + 300, t + 600, t + 200];
      await Promise.all(ps.map((p, i) => d.schedule(p, times[i]!)));
      const expected = ps.map((p, i) => ({ partyId: p, at: times[i]! })).sort((a, b) => a.at - b.at);
      expect(await ownDue(t + 1000)).toEqual(expected);
      expect(await ownDue(t + 350)).toEqual(expected.slice(0, 3));
      // The limit applies to the whole index: the answer is the head of the full, ordered list.
      // Other files add and remove real deadlines meanwhile, so that is checked against a
      // snapshot that stayed the same around the limited call (retried a few times).
      const ascending = (xs: { at: number }[]) => xs.every((x, i) => i === 0 || xs[i - 1]!.at <= x.at);
      for (const limit of [1, 2, 4]) {
        for (let attempt = 0; attempt < 10; attempt++) {
          const before = await d.due(t + 1000, 100_000);
          const limited = await d.due(t + 1000, limit);
          const after = await d.due(t + 1000, 100_000);
          expect(limited).toHaveLength(limit); // at least six entries are due
          expect(ascending(limited)).toBe(true);
          expect(ascending(after)).toBe(true);
          if (JSON.stringify(before) !== JSON.stringify(after)) continue;
          expect(limited).toEqual(before.slice(0, limit));
          break;
        }
      }
      expect(await d.due(t + 1000, 0)).toEqual([]);
    });

    it('times round-trip exactly as numbers', async () => {
      const t = window();
      const [a, b] = ids(2);
      await d.schedule(a!, t + 1);
      await d.schedule(b!, t + 2.5);
      const got = await ownDue(t + 10);
      expect(got).toEqual([
        { partyId: a, at: t + 1 },
        { partyId: b, at: t + 2.5 },
      ]);
      for (const x of got) expect(typeof x.at).toBe('number');
    });

    it('cancel forgets the deadline; cancelling an unknown party is a no-op', async () => {
      const t = window();
      const [p, q] = ids(2);
      await d.schedule(p!, t);
      await d.schedule(q!, t + 1);
      await d.cancel(p!);
      expect(await ownDue(t + 10)).toEqual([{ partyId: q, at: t + 1 }]);
      await expect(d.cancel(randomUUID())).resolves.toBeUndefined();
      await expect(d.cancel(randomUUID(), t)).resolves.toBeUndefined();
    });

    it('cancel(partyId, at) removes only when `at` is still the scheduled time', async () => {
      const t = window();
      const [p] = ids(1);
      await d.schedule(p!, t);
      await d.cancel(p!, t + 1);
      expect(await ownDue(t)).toEqual([{ partyId: p, at: t }]);
      await d.schedule(p!, t + 2000); // rescheduled meanwhile: the stale cancel must not remove it
      await h.peer.cancel(p!, t);
      expect(await ownDue(t + 5000)).toEqual([{ partyId: p, at: t + 2000 }]);
      await d.cancel(p!, t + 2000);
      expect(await ownDue(t + 5000)).toEqual([]);
    });

    it('cancel(partyId, at) matches real epoch-millisecond times exactly', async () => {
      const [p] = ids(1);
      // A real deadline, but still only this test's id: other files never see it as theirs.
      const at = Date.now() + 3_600_000 + randomInt(0, 1000);
      await d.schedule(p!, at);
      await d.cancel(p!, at - 1);
      expect((await d.due(at, 100_000)).some((x) => x.partyId === p)).toBe(true);
      await d.cancel(p!, at);
      expect((await d.due(at, 100_000)).some((x) => x.partyId === p)).toBe(false);
    });
  });
}

async function redisHarness(url: string): Promise<DeadlinesHarness> {
  const a: Redis = await connectRedis(url);
  const b: Redis = await connectRedis(url);
  const deadlines = new RedisDeadlines(a);
  const peer = new RedisDeadlines(b);
  return {
    deadlines,
    peer,
    async cleanup() {
      await deadlines.close();
      await peer.close();
      await a.quit();
      await b.quit();
    },
  };
}

const s = services();
const IMPLEMENTATIONS: Implementation<DeadlinesHarness>[] = [
  {
    name: 'MemoryDeadlines',
    make: async () => {
      const deadlines = new MemoryDeadlines();
      return { deadlines, peer: deadlines, cleanup: () => deadlines.close() };
    },
  },
  { name: 'RedisDeadlines', make: s ? () => redisHarness(s.redisUrl) : null },
];

describe.each(IMPLEMENTATIONS)('Deadlines contract: $name', ({ name, make }) => {
  if (!make) {
    it.skip(`skipped: ${skipReason()}`, () => undefined);
    return;
  }
  deadlinesContract(name, make);
});
