/**
 * Baseline: a Fastify hello-world route, to put the quiz server's HTTP join rate in
 * context. Same framework and same JSON body parsing as the quiz server, nothing else
 * (no logging, no schemas, no database). Env: PORT, HOST.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/hello/:id', async () => ({ hello: 'world' }));
app.get('/healthz', async () => ({ ok: true }));

const address = await app.listen({ port: Number(process.env.PORT ?? 0), host: process.env.HOST ?? '127.0.0.1' });
process.stdout.write(`hello listening at ${address}\n`);
const stop = () => void app.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
