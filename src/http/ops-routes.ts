/** Operator routes: liveness, readiness, Prometheus metrics. */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../app.js';

export const opsRoutes = (ctx: AppContext) => async (app: FastifyInstance) => {
  app.get('/healthz', {
    schema: { tags: ['ops'], summary: 'Liveness: the process answers', response: { 200: Type.Object({ status: Type.Literal('ok') }) } },
  }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', {
    schema: {
      tags: ['ops'],
      summary: 'Readiness: the database (and Redis in service mode) answer',
      response: {
        200: Type.Object({ status: Type.Literal('ready'), mode: Type.String() }),
        503: { $ref: 'Error#' },
      },
    },
  }, async (req, reply) => {
    try {
      await ctx.adapters.ping();
      return { status: 'ready' as const, mode: ctx.config.mode };
    } catch (err) {
      req.log.warn({ err: (err as Error).message }, 'not ready');
      return reply.status(503).send({ detail: `not ready: ${(err as Error).message}`, code: 'not_ready' });
    }
  });

  app.get('/metrics', { schema: { tags: ['ops'], summary: 'Prometheus metrics of this process' } }, async (_req, reply) => {
    void reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
};
