/**
 * Fan-out over Redis pub/sub: one plain channel per party. A process subscribes only while
 * it holds sockets of that party; every message is handed on as the string it arrived as.
 */
import type { Redis } from 'ioredis';
import type { Bus } from '../../ports.js';
import { partyChannel } from './keys.js';

export class RedisBus implements Bus {
  private readonly sub: Redis;
  private readonly channels = new Map<string, { handlers: Set<(payload: string) => void>; ready: Promise<unknown> }>();

  constructor(private readonly pub: Redis) {
    this.sub = pub.duplicate();
    this.sub.on('error', () => undefined); // reconnects by itself; the command connection logs errors
    this.sub.on('message', (channel: string, message: string) => {
      const entry = this.channels.get(channel);
      if (entry) for (const fn of entry.handlers) fn(message);
    });
  }

  async publish(partyId: string, payload: string): Promise<void> {
    await this.pub.publish(partyChannel(partyId), payload);
  }

  async subscribe(partyId: string, onMessage: (payload: string) => void): Promise<() => Promise<void>> {
    const channel = partyChannel(partyId);
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), ready: this.sub.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    const mine = entry;
    mine.handlers.add(onMessage);
    const release = async () => {
      mine.handlers.delete(onMessage);
      if (!mine.handlers.size && this.channels.get(channel) === mine) {
        this.channels.delete(channel);
        await this.sub.unsubscribe(channel).catch(() => undefined);
      }
    };
    // Every subscriber waits for the channel's SUBSCRIBE to be confirmed, not just the first.
    try {
      await mine.ready;
    } catch (err) {
      await release();
      throw err;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      await release();
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
    await this.sub.quit().catch(() => this.sub.disconnect());
  }
}
