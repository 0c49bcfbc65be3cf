/** In-process deadline index for embedded mode (the Redis version is a sorted set). */
import type { Deadlines } from '../../ports.js';

export class MemoryDeadlines implements Deadlines {
  private readonly at = new Map<string, number>();

  async schedule(partyId: string, at: number): Promise<void> {
    this.at.set(partyId, at);
  }

  async cancel(partyId: string, at?: number): Promise<void> {
    if (at === undefined || this.at.get(partyId) === at) this.at.delete(partyId);
  }

  async due(now: number, limit: number): Promise<{ partyId: string; at: number }[]> {
    const out: { partyId: string; at: number }[] = [];
    for (const [partyId, at] of this.at) if (at <= now) out.push({ partyId, at });
    return out.sort((a, b) => a.at - b.at).slice(0, limit);
  }

  async close(): Promise<void> {
    this.at.clear();
  }
}
