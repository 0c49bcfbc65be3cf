/** Request/response over a child process's IPC channel (orchestrator side and child side). */
import type { ChildProcess } from 'node:child_process';

interface Request { rpc: number; op: string; args: unknown }
interface Response { rpc: number; ok: boolean; result?: unknown; error?: string }

export class Rpc {
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  constructor(readonly name: string, private readonly child: ChildProcess) {
    child.on('message', (raw) => {
      const msg = raw as Response;
      const w = this.waiting.get(msg.rpc);
      if (!w) return;
      this.waiting.delete(msg.rpc);
      clearTimeout(w.timer);
      if (msg.ok) w.resolve(msg.result);
      else w.reject(new Error(`${name}: ${msg.error}`));
    });
    child.on('exit', (code) => this.failAll(new Error(`${name} exited (${code})`)));
  }

  private failAll(err: Error): void {
    for (const [id, w] of this.waiting) {
      clearTimeout(w.timer);
      w.reject(err);
      this.waiting.delete(id);
    }
  }

  call<T = unknown>(op: string, args: unknown = {}, timeoutMs = 60_000): Promise<T> {
    const rpc = (this.seq += 1);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(rpc);
        reject(new Error(`${this.name}: ${op} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(rpc, { resolve: resolve as (v: unknown) => void, reject, timer });
      try {
        this.child.send({ rpc, op, args } satisfies Request);
      } catch (err) {
        clearTimeout(timer);
        this.waiting.delete(rpc);
        reject(err as Error);
      }
    });
  }
}

/** Child side: answers requests with `handlers[op](args)`; exits when the parent goes away. */
export function serve(handlers: Record<string, (args: any) => unknown>): void {
  if (!process.send) throw new Error('no IPC channel: start this file from bench/run.ts');
  process.on('disconnect', () => process.exit(0));
  process.on('message', (raw) => {
    const req = raw as Request;
    void (async () => {
      let res: Response;
      try {
        const fn = handlers[req.op];
        if (!fn) throw new Error(`unknown op ${req.op}`);
        res = { rpc: req.rpc, ok: true, result: await fn(req.args) };
      } catch (err) {
        res = { rpc: req.rpc, ok: false, error: (err as Error).stack ?? String(err) };
      }
      process.send!(res);
    })();
  });
}
