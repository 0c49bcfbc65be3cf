/**
 * Bus contract (src/ports.ts): one suite, run against the in-process bus and the Redis
 * pub/sub one. Each test gets a fresh bus (and, for Redis, fresh connections) and fresh
 * party ids, so nothing leaks between tests or into other files sharing the Redis database.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectRedis } from '../../src/adapters/index.js';
import { MemoryBus } from '../../src/adapters/memory/bus.js';
import { RedisBus } from '../../src/adapters/redis/bus.js';
import { partyChannel } from '../../src/adapters/redis/keys.js';
import type { Bus } from '../../src/ports.js';
import { type Implementation, services, skipReason, waitFor } from '../helpers/contract.js';

export interface BusHarness {
  bus: Bus;
  /** Another process's bus on the same backbone (Redis: its own connections), or null. */
  peer: Bus | null;
  /** How many subscriptions the backbone holds for the party (0 once released). */
  subscriptions(partyId: string): Promise<number>;
  cleanup(): Promise<void>;
}

/** Records what a handler received. */
function recorder() {
  const got: string[] = [];
  return { got, fn: (payload: Buffer) => void got.push(payload.toString('utf8')) };
}

const PAYLOADS = [
  '{"type":"state","n":1}',
  'Ünïcödé “quotes” — émoji 🎉🧠 中文 العربية',
  'line 1\nline 2\r\nline 3\n',
  'tab\there, NUL\u0000there, backslash \\ and "quotes"',
  '',
  'x'.repeat(256 * 1024),
];

/** `multiProcess`: the implementation spans processes, so `peer` is set and tested. */
export function busContract(name: string, make: () => Promise<BusHarness>, opts: { multiProcess: boolean }): void {
  let h: BusHarness;
  let bus: Bus;
  const unsubs: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    h = await make();
    bus = h.bus;
  });

  afterEach(async () => {
    for (const u of unsubs.splice(0)) await u().catch(() => undefined);
    await h.cleanup();
  });

  async function sub(partyId: string, fn: (p: Buffer) => void, on: Bus = bus): Promise<() => Promise<void>> {
    const u = await on.subscribe(partyId, fn);
    unsubs.push(u);
    return u;
  }

  /**
   * Proves a handler got nothing more: publishes a marker on a party `probe` listens to, waits for
   * it, then checks. Delivery is ordered per connection, so anything published earlier has landed.
   */
  async function settle(): Promise<void> {
    const probeParty = randomUUID();
    const probe = recorder();
    const u = await bus.subscribe(probeParty, probe.fn);
    await bus.publish(probeParty, 'marker');
    await waitFor(() => probe.got.includes('marker'), 'the marker message');
    await u();
  }

  describe(`${name}`, () => {
    it('subscribe resolves once active: a publish right after it is delivered', async () => {
      const p = randomUUID();
      const r = recorder();
      await sub(p, r.fn);
      await bus.publish(p, 'first');
      await waitFor(() => r.got.length === 1, 'the first message');
      expect(r.got).toEqual(['first']);
    });

    it('concurrent subscribes to one party each resolve only once active', async () => {
      const p = randomUUID();
      const a = recorder();
      const b = recorder();
      const first = sub(p, a.fn);
      await sub(p, b.fn); // must not resolve before the channel is really subscribed
      await bus.publish(p, 'hello');
      await first;
      await waitFor(() => b.got.length === 1, 'the message at the second subscriber', 1500);
      await waitFor(() => a.got.length === 1, 'the message at the first subscriber', 1500);
    });

    it('payloads arrive byte-identical', async () => {
      const p = randomUUID();
      const r = recorder();
      await sub(p, r.fn);
      for (const payload of PAYLOADS) await bus.publish(p, payload);
      await waitFor(() => r.got.length === PAYLOADS.length, 'every payload');
      expect(r.got).toEqual(PAYLOADS);
      r.got.forEach((g, i) => expect(Buffer.from(g, 'utf8').equals(Buffer.from(PAYLOADS[i]!, 'utf8'))).toBe(true));
    });

    it('every subscriber of the party receives, subscribers of other parties do not', async () => {
      const p = randomUUID();
      const other = randomUUID();
      const a = recorder();
      const b = recorder();
      const c = recorder();
      await sub(p, a.fn);
      await sub(p, b.fn);
      await sub(other, c.fn);
      await bus.publish(p, 'for p');
      await waitFor(() => a.got.length === 1 && b.got.length === 1, 'both subscribers');
      await settle();
      expect(a.got).toEqual(['for p']);
      expect(b.got).toEqual(['for p']);
      expect(c.got).toEqual([]);
    });

    it('one handler subscribed twice to two parties gets each party’s messages', async () => {
      const p = randomUUID();
      const q = randomUUID();
      const r = recorder();
      await sub(p, r.fn);
      await sub(q, r.fn);
      await bus.publish(p, 'p');
      await bus.publish(q, 'q');
      await waitFor(() => r.got.length === 2, 'both messages');
      expect(r.got.sort()).toEqual(['p', 'q']);
    });

    it('publishing to a party without subscribers is a no-op', async () => {
      await expect(bus.publish(randomUUID(), 'nobody listens')).resolves.toBeUndefined();
    });

    it('unsubscribe stops delivery to that handler only', async () => {
      const p = randomUUID();
      const a = recorder();
      const b = recorder();
      const ua = await sub(p, a.fn);
      await sub(p, b.fn);
      await bus.publish(p, 'one');
      await waitFor(() => a.got.length === 1 && b.got.length === 1, 'the first message');
      await ua();
      await bus.publish(p, 'two');
      await waitFor(() => b.got.length === 2, 'the second message');
      await settle();
      expect(a.got).toEqual(['one']);
      expect(b.got).toEqual(['one', 'two']);
      await ua(); // a second call is harmless
      expect(await h.subscriptions(p)).toBe(1);
    });

    it('the last unsubscribe releases the channel; subscribing again works', async () => {
      const p = randomUUID();
      const a = recorder();
      const b = recorder();
      const ua = await sub(p, a.fn);
      const ub = await sub(p, b.fn);
      expect(await h.subscriptions(p)).toBe(1);
      await ua();
      expect(await h.subscriptions(p)).toBe(1);
      await ub();
      expect(await h.subscriptions(p)).toBe(0);
      await bus.publish(p, 'lost');
      await settle();
      expect(a.got).toEqual([]);
      expect(b.got).toEqual([]);
      const c = recorder();
      await sub(p, c.fn);
      expect(await h.subscriptions(p)).toBe(1);
      await bus.publish(p, 'back');
      await waitFor(() => c.got.length === 1, 'the message after resubscribing');
      expect(c.got).toEqual(['back']);
    });

    it('calling an old unsubscribe again does not cancel a later subscription', async () => {
      const p = randomUUID();
      const a = recorder();
      const b = recorder();
      const ua = await sub(p, a.fn);
      await ua();
      await sub(p, b.fn);
      await ua(); // stale: a is long gone
      expect(await h.subscriptions(p)).toBe(1);
      await bus.publish(p, 'still here');
      await waitFor(() => b.got.length === 1, 'the message at the later subscriber', 1500);
      expect(a.got).toEqual([]);
    });

    it('messages of one publisher arrive in order', async () => {
      const p = randomUUID();
      const r = recorder();
      await sub(p, r.fn);
      const sent = Array.from({ length: 300 }, (_, i) => `m${i}`);
      await Promise.all(sent.map((m) => bus.publish(p, m))); // not awaited one by one
      await waitFor(() => r.got.length === sent.length, 'every message');
      expect(r.got).toEqual(sent);
    });

    it('a handler never receives a message published before it subscribed', async () => {
      const p = randomUUID();
      const early = recorder();
      await sub(p, early.fn);
      await bus.publish(p, 'before');
      await waitFor(() => early.got.length === 1, 'the early message');
      const late = recorder();
      await sub(p, late.fn);
      await bus.publish(p, 'after');
      await waitFor(() => late.got.length === 1, 'the late message');
      await settle();
      expect(late.got).toEqual(['after']);
    });

    if (opts.multiProcess) {
      it('another process (own connections) receives and publishes on the same party', async () => {
        const peer = h.peer!;
        const p = randomUUID();
        const here = recorder();
        const there = recorder();
        await sub(p, here.fn);
        await sub(p, there.fn, peer);
        await bus.publish(p, 'from here ✓\n');
        await peer.publish(p, 'from there ✓\n');
        await waitFor(() => here.got.length === 2 && there.got.length === 2, 'both messages in both processes');
        expect(here.got.sort()).toEqual(['from here ✓\n', 'from there ✓\n']);
        expect(there.got.sort()).toEqual(['from here ✓\n', 'from there ✓\n']);
      });

      it('another process sees one publisher’s messages in order, byte-identical', async () => {
        const peer = h.peer!;
        const p = randomUUID();
        const there = recorder();
        await sub(p, there.fn, peer);
        const sent = [...PAYLOADS, ...Array.from({ length: 200 }, (_, i) => `m${i} — ✓`)];
        await Promise.all(sent.map((m) => bus.publish(p, m)));
        await waitFor(() => there.got.length === sent.length, 'every message in the other process');
        expect(there.got).toEqual(sent);
      });
    }
  });
}

async function redisHarness(url: string): Promise<BusHarness> {
  const a: Redis = await connectRedis(url);
  const b: Redis = await connectRedis(url);
  const bus = new RedisBus(a);
  const peer = new RedisBus(b);
  return {
    bus,
    peer,
    async subscriptions(partyId) {
      // Subscriptions of this process only: the peer never subscribes in these tests except explicitly.
      const res = (await a.pubsub('NUMSUB', partyChannel(partyId))) as [string, number];
      return Number(res[1]);
    },
    async cleanup() {
      await bus.close();
      await peer.close();
      await a.quit();
      await b.quit();
    },
  };
}

const s = services();
const IMPLEMENTATIONS: (Implementation<BusHarness> & { multiProcess: boolean })[] = [
  {
    name: 'MemoryBus',
    multiProcess: false,
    make: async () => {
      const bus = new MemoryBus();
      const inner = (bus as unknown as { subscribers: Map<string, Set<unknown>> }).subscribers;
      return {
        bus,
        peer: null,
        subscriptions: async (partyId) => (inner.has(partyId) ? 1 : 0),
        cleanup: () => bus.close(),
      };
    },
  },
  { name: 'RedisBus', multiProcess: true, make: s ? () => redisHarness(s.redisUrl) : null },
];

describe.each(IMPLEMENTATIONS)('Bus contract: $name', ({ name, make, multiProcess }) => {
  if (!make) {
    it.skip(`skipped: ${skipReason()}`, () => undefined);
    return;
  }
  busContract(name, make, { multiProcess });
});
