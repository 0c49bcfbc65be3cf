/**
 * Fan-out over Redis pub/sub: one plain channel per party. A process subscribes only while
 * it holds sockets of that party; every message is handed on as the string it arrived as.
 */
import type { Redis } from 'ioredis';
import type { Bus } from '../../ports.js';
import { partyChannel } from './keys.js';

export class RedisBus implements Bus {
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Set<(payload: string) => void>>();

  constructor(private readonly pub: Redis) {
    this.sub = pub.duplicate();
    this.sub.on('error', () => undefined); // reconnects by itself; the command connection logs errors
    this.sub.on('message', (channel: string, message: string) => {
      const set = this.handlers.get(channel);
      if (set) for (const fn of set) fn(message);
    });
  }

  async publish(partyId: string, payload: string): Promise<void> {
    await this.pub.publish(partyChannel(partyId), payload);
  }

  async subscribe(partyId: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const channel = partyChannel(partyId);
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      await this.sub.subscribe(channel);
    }
    set.add(onMessage);
    return async () => {
      const current = this.handlers.get(channel);
      if (!current) return;
      current.delete(onMessage);
      if (!current.size) {
        this.handlers.delete(channel);
        await this.sub.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
