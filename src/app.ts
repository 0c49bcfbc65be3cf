/**
 * buildApp(config) -> { app, close }: opens the adapters for the configured mode and wires
 * them into the routes. Listening and signals belong to server.ts; tests call this directly.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { WebSocketServer } from 'ws';
import { CLOSE } from './game/protocol.js';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import { openAdapters, type Adapters } from './adapters/index.js';
import { createMetrics, type Metrics } from './metrics.js';
import { HttpError } from './http/errors.js';
import { PartyService } from './live/party-service.js';
import { redactQueryToken } from './redact.js';
import { partyRoutes } from './http/party-routes.js';
import { questionRoutes } from './http/question-routes.js';
import { opsRoutes } from './http/ops-routes.js';
import { resultRoutes } from './http/result-routes.js';
import { webRoutes } from './http/web-routes.js';
import { wsGateway } from './ws/gateway.js';
import { LiveEngine } from './live/engine.js';
import { ErrorBody, PartyState } from './http/schemas.js';

export interface AppContext {
  config: Config;
  adapters: Adapters;
  metrics: Metrics;
  parties: PartyService;
  engine: LiveEngine;
}

export interface BuiltApp {
  app: FastifyInstance;
  ctx: AppContext;
  close(): Promise<void>;
}


export interface BuildOptions {
  /** Where logs go (default stdout); tests pass a stream to read them. */
  logStream?: NodeJS.WritableStream;
}

function createFastify(config: Config, opts: BuildOptions) {
  return Fastify({
    bodyLimit: config.httpBodyLimitBytes,
    // Ids of any length reach the handlers, which answer 404 for anything not well-formed.
    routerOptions: { maxParamLength: 8192 },
    frameworkErrors: (err, req, reply) => {
      const r = reply as FastifyReply;
      // A WebSocket upgrade the router refuses reaches no route and no hook, so nothing would
      // ever release its socket (and close() would wait for it): upgrade it, close it 4404.
      const wss = (req.server as unknown as { websocketServer?: WebSocketServer }).websocketServer;
      if (wss && req.headers.upgrade?.toLowerCase() === 'websocket') {
        void r.hijack();
        wss.handleUpgrade(req.raw, req.raw.socket, Buffer.alloc(0), (ws) => ws.close(CLOSE.notFound, 'no such party'));
        return;
      }
      if (err.code === 'FST_ERR_MAX_PARAM_LENGTH') void r.status(404).send({ detail: 'no such resource', code: 'not_found' });
      else void r.status(400).send({ detail: 'the URL is not validly percent-encoded', code: 'bad_url' });
    },
    logger: {
      level: config.logLevel,
      ...(opts.logStream ? { stream: opts.logStream } : {}),
      // Tokens travel in the WebSocket URL's query string: never log them.
      serializers: {
        req: (req) => ({ method: req.method, url: redactQueryToken(req.url), remoteAddress: req.ip }),
      },
      redact: ['req.headers.authorization'],
    },
    ajv: { customOptions: { coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
    forceCloseConnections: true,
  }).withTypeProvider<TypeBoxTypeProvider>();
}

/** Maps every failure to `{detail, code}` with a 4xx status, or a logged 500/503. */
function errorReply(err: FastifyError | HttpError | Error): { status: number; code: string; detail: string } {
  if (err instanceof HttpError) return { status: err.statusCode, code: err.code, detail: err.message };
  const fe = err as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    const where = first?.instancePath ? first.instancePath.replace(/^\//, '').replaceAll('/', '.') : fe.validationContext ?? 'body';
    const field = first?.params && 'missingProperty' in first.params ? String(first.params.missingProperty) : where;
    return { status: 422, code: 'validation_error', detail: `${field}: ${first?.message ?? 'invalid'}` };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, code: 'payload_too_large', detail: 'request body is too large' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: 415, code: 'unsupported_media_type', detail: 'send application/json' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 422, code: 'validation_error', detail: 'body: must be a JSON object' };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, code: 'invalid_json', detail: 'request body is not valid JSON' };
  }
  if (err instanceof SyntaxError) return { status: 400, code: 'invalid_json', detail: 'request body is not valid JSON' };
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return { status: fe.statusCode, code: (fe.code ?? 'bad_request').toLowerCase(), detail: fe.message };
  }
  return { status: 500, code: 'internal_error', detail: 'internal error' };
}

export async function buildApp(config: Config, opts: BuildOptions = {}): Promise<BuiltApp> {
  const app = createFastify(config, opts);
  const adapters = await openAdapters(config, app.log);
  const metrics = createMetrics();
  const engine = new LiveEngine({
    config,
    store: adapters.store,
    bus: adapters.bus,
    deadlines: adapters.deadlines,
    db: adapters.db,
    metrics,
    log: app.log,
  });
  const parties = new PartyService({
    config,
    db: adapters.db,
    store: adapters.store,
    onPlayerJoined: (partyId) => {
      metrics.playersJoined.inc();
      engine.playerJoined(partyId);
    },
  });
  const ctx: AppContext = { config, adapters, metrics, parties, engine };

  app.addSchema(ErrorBody);
  app.addSchema(PartyState);

  app.setErrorHandler((err, req, reply) => {
    const { status, code, detail } = errorReply(err as Error);
    if (status >= 500) req.log.error({ err }, 'request failed');
    void reply.status(status).send({ detail, code });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ detail: `no route ${req.method} ${redactQueryToken(req.url.split('?')[0] ?? '')}`, code: 'not_found' });
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequests
      .labels(req.method, req.routeOptions.url ?? 'unmatched', String(reply.statusCode))
      .observe(reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Quiz party server',
        version: '1.0.0',
        description: 'HTTP API of the real-time quiz server. The live game runs over WebSocket at /ws/{party_id}: see docs/protocol.md.',
      },
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(partyRoutes(ctx));
  await app.register(questionRoutes(ctx));
  await app.register(opsRoutes(ctx));
  await app.register(resultRoutes(ctx));
  await app.register(webRoutes(ctx));
  // At the root, not inside the gateway, so that frameworkErrors can reach its server.
  await app.register(websocket, {
    options: { maxPayload: config.wsMaxMessageBytes },
    // A client breaking the framing rules (e.g. too large a frame) is its problem, not ours:
    // ws has already sent the close code (1009, 1002...), so only note it.
    errorHandler: (err, socket, req) => {
      if (String((err as { code?: string }).code ?? '').startsWith('WS_ERR_')) {
        req.log.debug({ err: err.message }, 'websocket protocol error from client');
        return;
      }
      req.log.error({ err }, 'websocket handler failed');
      socket.terminate();
    },
  });
  await app.register(wsGateway(ctx, engine));
  engine.start();

  let closed = false;
  return {
    app,
    ctx,
    async close() {
      if (closed) return;
      closed = true;
      await engine.stop();
      await app.close();
      await adapters.close();
    },
  };
}
