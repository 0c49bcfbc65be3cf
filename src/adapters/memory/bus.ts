/** In-process fan-out for embedded mode: delivery on a later microtask, like a network would. */
import type { Bus } from '../../ports.js';

export class MemoryBus implements Bus {
  private readonly subscribers = new Map<string, Set<(payload: Buffer) => void>>();

  async publish(partyId: string, payload: string): Promise<void> {
    const subs = this.subscribers.get(partyId);
    if (!subs) return;
    const bytes = Buffer.from(payload);
    for (const fn of [...subs]) queueMicrotask(() => fn(bytes));
  }

  async subscribe(partyId: string, onMessage: (payload: Buffer) => void): Promise<() => Promise<void>> {
    let subs = this.subscribers.get(partyId);
    if (!subs) this.subscribers.set(partyId, (subs = new Set()));
    subs.add(onMessage);
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      subs.delete(onMessage);
      if (!subs.size && this.subscribers.get(partyId) === subs) this.subscribers.delete(partyId);
    };
  }

  async close(): Promise<void> {
    this.subscribers.clear();
  }
}
