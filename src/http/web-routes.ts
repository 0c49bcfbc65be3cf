/**
 * Serves the bundled web client from dist/web (built by scripts/build-web.mjs): `/` is
 * index.html, plus app.js, app.css and favicon.svg. index.html is revalidated on every load
 * (ETag); the assets it references carry a content hash (`?v=`) and are cached for a year
 * when that hash matches. Without a build, these routes answer 503 with what to run.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'favicon.svg': 'image/svg+xml',
};

/** The page may load and connect to nothing but this server. */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The project root: the nearest folder above this file with a package.json. */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

interface Cached { mtimeMs: number; size: number; body: Buffer; etag: string; hash: string }

export const webRoutes = (_ctx: AppContext, webDir = path.join(projectRoot(), 'dist', 'web')) => async (app: FastifyInstance) => {
  const cache = new Map<string, Cached>();

  async function load(file: string): Promise<Cached | null> {
    const full = path.join(webDir, file);
    try {
      const st = await stat(full);
      const hit = cache.get(file);
      if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
      const body = await readFile(full);
      const hash = createHash('sha256').update(body).digest('hex');
      const entry = { mtimeMs: st.mtimeMs, size: st.size, body, hash: hash.slice(0, 12), etag: `"${hash.slice(0, 32)}"` };
      cache.set(file, entry);
      return entry;
    } catch {
      return null;
    }
  }

  async function serve(file: string, req: FastifyRequest, reply: FastifyReply) {
    const f = await load(file);
    if (!f) {
      const index = file === 'index.html' ? null : await load('index.html');
      if (file === 'index.html' || !index) {
        return reply.status(503).header('cache-control', 'no-store').send({
          detail: 'the web client is not built: run `npm run build` (or `node scripts/build-web.mjs`)',
          code: 'web_client_not_built',
        });
      }
      return reply.status(404).send({ detail: `no such file: ${file}`, code: 'not_found' });
    }
    const version = (req.query as Record<string, unknown> | undefined)?.v;
    const immutable = file !== 'index.html' && version === f.hash;
    void reply
      .header('content-type', FILES[file])
      .header('etag', f.etag)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'same-origin');
    if (file === 'index.html') void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
    if (req.headers['if-none-match'] === f.etag) return reply.status(304).send();
    return reply.send(f.body);
  }

  const hide = { schema: { hide: true } };
  app.get('/', hide, (req, reply) => serve('index.html', req, reply));
  app.get('/index.html', hide, (req, reply) => serve('index.html', req, reply));
  for (const file of Object.keys(FILES)) {
    if (file !== 'index.html') app.get(`/${file}`, hide, (req, reply) => serve(file, req, reply));
  }
};
