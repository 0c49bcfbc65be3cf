/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time per function
 * (from the sample time deltas) and per module (a file of src/, a package of
 * node_modules, node internals, GC, idle).
 */
import { readFileSync } from 'node:fs';

interface CpuNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile { nodes: CpuNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** `percent` is of the busy (non-idle) time. */
export interface ProfileEntry { name: string; where: string; selfMs: number; percent: number }
export interface ProfileSummary {
  file: string;
  /** The window summarised (monotonic microseconds), if any. */
  window: { fromUs: number; toUs: number } | null;
  totalMs: number;
  /** Time not idle (everything but "(idle)"). */
  busyMs: number;
  top: ProfileEntry[];
  modules: ProfileEntry[];
  /** For the heaviest native functions (writev, ...): who called them (nearest JS frames). */
  nativeCallers: { name: string; selfMs: number; callers: { chain: string; ms: number; percent: number }[] }[];
}

function moduleOf(url: string, name: string): string {
  if (!url) {
    if (name === '(garbage collector)' || name === '(idle)' || name === '(program)') return name;
    return '(native)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return `node_modules/${rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return 'node: internals';
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + 1);
  const src = url.indexOf('/src/');
  if (src >= 0) return url.slice(src + 1);
  return url.replace(/^file:\/\//, '');
}

/** Monotonic clock in microseconds: the clock V8 stamps profile samples with. */
export const monotonicMicros = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time by function and by module. With `window` (monotonic microseconds, see
 * monotonicMicros), only samples taken inside it count: the measured part of a phase,
 * without the server's start-up.
 */
export function summarizeProfile(file: string, topN = 20, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; attribute it to sample i's node.
  let at = prof.startTime;
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    const delta = prof.timeDeltas[i] ?? 0;
    at += delta;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    self.set(id, (self.get(id) ?? 0) + delta);
  }
  const fn = new Map<string, ProfileEntry>();
  const mod = new Map<string, ProfileEntry>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const ms = us / 1000;
    total += ms;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') idle += ms;
    // tsx compiles each .ts file to one line: a line number there says nothing.
    const file = shortUrl(node.callFrame.url);
    const where = !file ? '' : file.endsWith('.ts') ? file : `${file}:${node.callFrame.lineNumber + 1}`;
    const key = `${name}\u0000${where}`;
    const e = fn.get(key) ?? { name, where, selfMs: 0, percent: 0 };
    e.selfMs += ms;
    fn.set(key, e);
    const mname = moduleOf(node.callFrame.url, name);
    const me = mod.get(mname) ?? { name: mname, where: '', selfMs: 0, percent: 0 };
    me.selfMs += ms;
    mod.set(mname, me);
  }
  // Percentages are of the busy (non-idle) time; idle is left out of the lists.
  const busy = total - idle;
  const finish = (list: ProfileEntry[]) =>
    list
      .filter((e) => e.name !== '(idle)')
      .sort((a, b) => b.selfMs - a.selfMs)
      .map((e) => ({ ...e, selfMs: Math.round(e.selfMs), percent: busy ? Math.round((e.selfMs / busy) * 1000) / 10 : 0 }));
  // Native entries (no script URL) are attributed to the chain of the nearest two named
  // JavaScript frames above them, outside node internals: e.g. writev <- ws sendFrame.
  const natives = finish([...fn.values()]).filter((e) => !e.where && !e.name.startsWith('(')).slice(0, 4);
  const nativeCallers = natives.map((e) => {
    const chains = new Map<string, number>();
    let sum = 0;
    for (const [id, us] of self) {
      const node = byId.get(id);
      if (!node || (node.callFrame.functionName || '(anonymous)') !== e.name || node.callFrame.url) continue;
      const frames: string[] = [];
      let cur = parentOf.get(id);
      while (cur !== undefined && frames.length < 2) {
        const f = byId.get(cur)!.callFrame;
        if (f.url && !f.url.startsWith('node:') && f.functionName) frames.push(`${f.functionName} (${shortUrl(f.url).replace(/:\d+$/, '')})`);
        cur = parentOf.get(cur);
      }
      const chain = frames.join(' <- ') || '(no JS caller)';
      chains.set(chain, (chains.get(chain) ?? 0) + us / 1000);
      sum += us / 1000;
    }
    const callers = [...chains.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([chain, ms]) => ({ chain, ms: Math.round(ms), percent: sum ? Math.round((ms / sum) * 1000) / 10 : 0 }));
    return { name: e.name, selfMs: e.selfMs, callers };
  });
  return {
    file,
    window: window ?? null,
    nativeCallers,
    totalMs: Math.round(total),
    busyMs: Math.round(total - idle),
    top: finish([...fn.values()]).slice(0, topN),
    modules: finish([...mod.values()]).slice(0, topN),
  };
}
