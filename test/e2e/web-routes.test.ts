/**
 * How the server serves the bundled web client (src/http/web-routes.ts): content types,
 * caching (revalidated index.html, immutable hashed assets), the CSP that keeps the page
 * on this origin, and the 503 that says to build when dist/web is missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { makeApp, type TestApp } from '../helpers/app.js';
import { webRoutes } from '../../src/http/web-routes.js';
import type { AppContext } from '../../src/app.js';
import { ensureWebBuilt } from './build.js';

describe('web client routes', () => {
  let t: TestApp;
  let base: string;

  beforeAll(async () => {
    ensureWebBuilt();
    t = await makeApp('embedded');
    base = await t.listen();
  });
  afterAll(() => t?.close());

  it('serves index.html at / with a CSP that allows only this origin, revalidated by ETag', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    const html = await res.text();
    expect(html).toContain('<main id="app"');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from another host
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await fetch(`${base}/`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect((await fetch(`${base}/index.html`)).status).toBe(200);
    expect((await fetch(`${base}/`, { method: 'HEAD' })).status).toBe(200);
  });

  it('serves the hashed assets with their types, cached for good only at their current hash', async () => {
    const html = await (await fetch(`${base}/`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\?v=[0-9a-f]{12})"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.split('?')[0]).sort()).toEqual(['/app.css', '/app.js', '/favicon.svg']);
    const types: Record<string, string> = {
      '/app.js': 'text/javascript; charset=utf-8',
      '/app.css': 'text/css; charset=utf-8',
      '/favicon.svg': 'image/svg+xml',
    };
    for (const url of assets) {
      const path = url.split('?')[0]!;
      const res = await fetch(`${base}${url}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(types[path]);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const stale = await fetch(`${base}${path}?v=000000000000`);
      expect(stale.headers.get('cache-control')).toBe('no-cache');
      const plain = await fetch(`${base}${path}`);
      expect(plain.headers.get('cache-control')).toBe('no-cache');
    }
    const js = await (await fetch(`${base}/app.js`)).text();
    expect(js).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // no absolute URL but SVG's namespace
  });

  it('keeps the API and unknown paths as they were, and the web routes out of the OpenAPI document', async () => {
    const missing = await fetch(`${base}/nope.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found' });
    expect((await fetch(`${base}/api/categories`)).status).toBe(200);
    const doc = (await (await fetch(`${base}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).not.toContain('/');
    expect(Object.keys(doc.paths)).not.toContain('/app.js');
  });

  it('answers 503 with what to run when the web client is not built', async () => {
    const app = Fastify();
    await app.register(webRoutes({} as AppContext, '/nonexistent/dist/web'));
    for (const url of ['/', '/app.js']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({ code: 'web_client_not_built' });
      expect(res.json().detail).toContain('npm run build');
    }
    await app.close();
  });
});
