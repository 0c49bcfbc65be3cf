/**
 * Child processes of the benchmark: spawned with tsx and the guard preload, tracked so
 * that every one of them is killed (by its own pid) on exit, error, SIGINT or timeout.
 * Also /proc readers (RSS, CPU time) and small network helpers.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GUARD = pathToFileURL(path.join(ROOT, 'bench', 'lib', 'guard.ts')).href;

export interface Managed {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Last lines of stderr/stdout, for error messages. */
  tail: string[];
  /** JSON log lines at level error or worse (pino level >= 50), counted; the first few kept. */
  logErrors: { count: number; first: string[] };
  /** The inspector's WebSocket URL (with `inspect: true`). */
  inspector: () => string | null;
  exited: Promise<number | null>;
  exitCode(): number | null | undefined;
}

const managed = new Set<Managed>();
let deadlineMs = 0;

export function setDeadline(epochMs: number): void {
  deadlineMs = epochMs;
}

/** Soft and hard limits on open files, as a shell sees them. */
export function fileLimits(): { soft: number; hard: number } {
  const read = (flag: string) => {
    try {
      const v = execFileSync('/bin/sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
      return v === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(v);
    } catch {
      return NaN;
    }
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

export interface SpawnOptions {
  name: string;
  /** Script path relative to the repository root. */
  script: string;
  args?: string[];
  env?: Record<string, string>;
  /** Extra node flags before the script (e.g. --cpu-prof). */
  nodeFlags?: string[];
  ipc?: boolean;
  /** Raise the soft open-files limit to this (up to the hard limit) for the child. */
  nofile?: number;
  /** Forward the child's stderr to ours. */
  echoStderr?: boolean;
  /** Preload bench/lib/guard.ts (default true). */
  guard?: boolean;
  /** Open the inspector on 127.0.0.1, a random port (for collectGarbage). */
  inspect?: boolean;
}

export function spawnNode(opts: SpawnOptions): Managed {
  const guard = opts.guard === false ? [] : ['--import', GUARD];
  const inspect = opts.inspect ? ['--inspect=127.0.0.1:0'] : [];
  const nodeArgs = [...inspect, ...(opts.nodeFlags ?? []), '--import', 'tsx', ...guard, path.join(ROOT, opts.script), ...(opts.args ?? [])];
  const env = {
    ...process.env,
    ...opts.env,
    BENCH_PARENT_PID: String(process.pid),
    BENCH_DEADLINE_MS: String(deadlineMs),
  };
  const stdio: ('ignore' | 'pipe' | 'ipc')[] = ['ignore', 'pipe', 'pipe'];
  if (opts.ipc) stdio.push('ipc');
  let child: ChildProcess;
  if (opts.nofile) {
    // exec keeps the pid (and an IPC descriptor): the shell only raises the limit.
    const script = `ulimit -n ${opts.nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`;
    child = spawn('/bin/sh', ['-c', script, process.execPath, ...nodeArgs], { cwd: ROOT, env, stdio, serialization: 'advanced' });
  } else {
    child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env, stdio, serialization: 'advanced' });
  }
  const tail: string[] = [];
  const logErrors = { count: 0, first: [] as string[] };
  let inspectorUrl: string | null = null;
  const keep = (d: Buffer) => {
    for (const line of d.toString().split('\n')) {
      if (!line) continue;
      const dbg = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/[\w-]+)/.exec(line);
      if (dbg) inspectorUrl = dbg[1]!;
      tail.push(line);
      if (tail.length > 60) tail.shift();
      const level = /"level":(\d+)/.exec(line);
      if (level && Number(level[1]) >= 50) {
        logErrors.count += 1;
        if (logErrors.first.length < 5) logErrors.first.push(line.slice(0, 600));
      }
    }
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', (d: Buffer) => {
    keep(d);
    if (opts.echoStderr) process.stderr.write(`[${opts.name}] ${d}`);
  });
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? -1 : null);
      managed.delete(m);
      resolve(code);
    });
    child.on('error', () => {
      code = -2;
      managed.delete(m);
      resolve(-2);
    });
  });
  const m: Managed = { name: opts.name, child, pid: child.pid!, tail, logErrors, inspector: () => inspectorUrl, exited, exitCode: () => code };
  managed.add(m);
  return m;
}

/** Stops one process: `signal`, then SIGKILL after `graceMs`. */
export async function stop(m: Managed, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<number | null> {
  if (m.exitCode() !== undefined) return m.exitCode() ?? null;
  try {
    process.kill(m.pid, signal);
  } catch {
    /* already gone */
  }
  const timer = setTimeout(() => {
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, graceMs);
  const code = await m.exited;
  clearTimeout(timer);
  return code;
}

/** Stops every process this run started. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.all([...managed].map((m) => stop(m, 'SIGTERM', graceMs)));
}

/** Synchronous last resort (process 'exit' handler): SIGKILL whatever is left. */
export function killAllNow(): void {
  for (const m of managed) {
    try {
      process.kill(m.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export function liveChildren(): number {
  return managed.size;
}

/**
 * Runs a full garbage collection in a process started with `inspect: true` (through the
 * inspector protocol, HeapProfiler.collectGarbage), so that RSS measured right after it is
 * not blurred by garbage left from earlier work. Resolves false when it cannot.
 */
export async function collectGarbage(m: Managed, timeoutMs = 10_000): Promise<boolean> {
  const url = m.inspector();
  if (!url) return false;
  const { default: WebSocket } = await import('ws');
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; error?: unknown };
      if (msg.id === 1) done(!msg.error);
    });
    ws.on('error', () => done(false));
  });
}

/** Resident set size of a process in bytes (VmRSS), or null if it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

let clkTck = 0;
/** User + system CPU seconds a process has used, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number | null {
  try {
    if (!clkTck) {
      try {
        clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
      } catch {
        clkTck = 100;
      }
    }
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is state (field 3): utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / clkTck;
  } catch {
    return null;
  }
}

/**
 * CPU seconds, by pid, of every process whose command line contains `needle` (e.g. the
 * PostgreSQL backends serving the scratch database: "postgres: 15/main: postgres quiz_bench_x ...").
 */
export function cpuSecondsMatching(needle: string): Map<number, number> | null {
  const out = new Map<number, number>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (!readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) continue;
    } catch {
      continue;
    }
    const c = cpuSeconds(Number(e));
    if (c !== null) out.set(Number(e), c);
  }
  return out;
}

/** CPU seconds used between two cpuSecondsMatching() snapshots (processes that started in between count whole). */
export function cpuSecondsBetween(a: Map<number, number> | null, b: Map<number, number> | null): number | null {
  if (!a || !b) return null;
  let total = 0;
  for (const [pid, cpu] of b) total += cpu - (a.get(pid) ?? 0);
  return total;
}

/** A free TCP port on 127.0.0.1 (bound and released; a tiny race is acceptable here). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `url` until it answers 2xx; throws after `timeoutMs` or when `m` exits. */
export async function waitHttp(url: string, m: Managed, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (m.exitCode() !== undefined) throw new Error(`${m.name} exited (${m.exitCode()}) before it was ready:\n${m.tail.join('\n')}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${m.name} not ready at ${url} after ${timeoutMs} ms:\n${m.tail.join('\n')}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
