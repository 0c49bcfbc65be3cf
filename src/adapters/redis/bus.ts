/**
 * Fan-out over Redis pub/sub: one plain channel per party. A process subscribes only while
 * it holds sockets of that party; every message is handed on as the string it arrived as.
 */
import type { Redis } from 'ioredis';
import type { Bus } from '../../ports.js';
import { partyChannel } from './keys.js';

export class RedisBus implements Bus {
  private readonly sub: Redis;
  private readonly connected: Promise<unknown>;
  private readonly channels = new Map<string, { handlers: Set<(payload: Buffer) => void>; ready: Promise<unknown> }>();

  constructor(private readonly pub: Redis) {
    // The subscriber connects before its first SUBSCRIBE and skips the INFO ready check:
    // on a slow start the check could otherwise run after SUBSCRIBE put the connection in
    // subscriber mode, fail, and drop the connection.
    this.sub = pub.duplicate({ enableReadyCheck: false, enableAutoPipelining: false, lazyConnect: true });
    this.connected = this.sub.connect().catch(() => undefined);
    this.sub.on('error', () => undefined); // reconnects by itself; the command connection logs errors
    // Bytes in, bytes out: the payload is never decoded here.
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const entry = this.channels.get(channel.toString());
      if (entry) for (const fn of entry.handlers) fn(message);
    });
  }

  async publish(partyId: string, payload: string): Promise<void> {
    await this.pub.publish(partyChannel(partyId), payload);
  }

  async subscribe(partyId: string, onMessage: (payload: Buffer) => void): Promise<() => Promise<void>> {
    const channel = partyChannel(partyId);
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { handlers: new Set(), ready: this.connected.then(() => this.sub.subscribe(channel)) };
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
