/** Progress lines on stderr, stamped with the seconds since the benchmark started. */
import os from 'node:os';
import { performance } from 'node:perf_hooks';

export function progressLog(): { progress: (msg: string) => void; loadAtStart: number[]; started: number } {
  const started = performance.now();
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100);
  const progress = (msg: string) => {
    const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
    process.stderr.write(`[${s}s] ${msg}\n`);
  };
  return { progress, loadAtStart, started };
}
