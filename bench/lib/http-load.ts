/**
 * Closed-loop HTTP load over keep-alive connections (node:http with a keep-alive Agent):
 * `concurrency` requests in flight, each next one sent when one completes. The join
 * phase and the Fastify hello-world baseline use exactly this code.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpRequestSpec {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
}

export interface HttpLoadResult {
  ok: number;
  failed: number;
  statuses: Record<string, number>;
  /** First few failures, for diagnosis. */
  samples: string[];
  ms: number;
  /** Accepted requests per second. */
  reqPerS: number;
  latencies: number[];
  /** Epoch ms, so that loads run by several processes at once can be added up. */
  startedAt: number;
  endedAt: number;
}

export interface JsonResponse {
  status: number;
  body: any;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(baseUrl: string, maxSockets: number) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(spec: HttpRequestSpec, timeoutMs = 30_000): Promise<JsonResponse> {
    return new Promise((resolve, reject) => {
      const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method: spec.method,
          path: spec.path,
          agent: this.agent,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = text ? JSON.parse(text) : null;
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Sends `count` requests built by `build(i)` with `concurrency` in flight, stopping early
 * after `maxMs`. A request counts as ok when `accept(status)`.
 */
export async function httpLoad(opts: {
  baseUrl: string;
  concurrency: number;
  count: number;
  maxMs: number;
  build: (i: number) => HttpRequestSpec;
  accept: (status: number) => boolean;
}): Promise<HttpLoadResult> {
  const client = new HttpClient(opts.baseUrl, opts.concurrency);
  const statuses: Record<string, number> = {};
  const samples: string[] = [];
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  let failed = 0;
  const startedAt = Date.now();
  const t0 = performance.now();
  const until = t0 + opts.maxMs;
  const worker = async () => {
    while (next < opts.count && performance.now() < until) {
      const i = next++;
      const started = performance.now();
      try {
        const res = await client.request(opts.build(i));
        latencies.push(performance.now() - started);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (opts.accept(res.status)) ok += 1;
        else {
          failed += 1;
          if (samples.length < 5) samples.push(`${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      } catch (err) {
        failed += 1;
        statuses.error = (statuses.error ?? 0) + 1;
        if (samples.length < 5) samples.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency) }, worker));
  const ms = performance.now() - t0;
  client.close();
  return { ok, failed, statuses, samples, ms, reqPerS: (ok / ms) * 1000, latencies, startedAt, endedAt: Date.now() };
}
