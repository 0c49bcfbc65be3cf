/** Entry point: read config, build the app, listen, and shut down gracefully on SIGTERM/SIGINT. */
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp } from './app.js';

const MODE_LINES: Record<Config['mode'], (c: Config, where: string) => string> = {
  embedded: (_c, where) => `embedded mode: PGlite database in ${where}, live state in this process (one process only)`,
  'database-only': (_c, where) => `database-only mode: PostgreSQL at ${where}, live state in this process (one process only)`,
  service: (_c, where) => `service mode: PostgreSQL at ${where}, live state in Redis (any number of processes)`,
};

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`quiz-party: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }

  let built;
  try {
    built = await buildApp(config);
  } catch (err) {
    process.stderr.write(`quiz-party: cannot start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const { app, ctx, close } = built;
  if (config.mode === 'database-only') {
    app.log.warn('DATABASE_URL is set without REDIS_URL: live parties stay in this one process; set REDIS_URL to run several');
  }
  app.log.info(MODE_LINES[config.mode](config, ctx.adapters.db.location));

  const address = await app.listen({ port: config.port, host: config.host });
  const shown = address.replace('://0.0.0.0', '://localhost').replace('://[::]', '://localhost');
  app.log.info(`web app: ${shown}/   API docs: ${shown}/docs`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'shutting down: draining connections and in-flight work');
    const force = setTimeout(() => {
      app.log.error('shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownGraceSeconds * 1000 + 1000);
    force.unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        app.log.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
