/** Prometheus metrics of one process. A registry per app so tests can run several apps. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Histogram({
      name: 'quiz_http_request_duration_seconds',
      help: 'HTTP request duration by route and status',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    partiesCreated: new Counter({ name: 'quiz_parties_created_total', help: 'parties created', registers: [registry] }),
    playersJoined: new Counter({ name: 'quiz_players_joined_total', help: 'players joined', registers: [registry] }),
    wsConnections: new Gauge({ name: 'quiz_ws_connections', help: 'open WebSocket connections on this process', registers: [registry] }),
    wsMessagesIn: new Counter({ name: 'quiz_ws_messages_received_total', help: 'client messages received', labelNames: ['type'] as const, registers: [registry] }),
    wsErrors: new Counter({ name: 'quiz_ws_errors_total', help: 'protocol errors sent', labelNames: ['code'] as const, registers: [registry] }),
    answers: new Counter({ name: 'quiz_answers_total', help: 'accepted answers', labelNames: ['correct'] as const, registers: [registry] }),
    roundsClosed: new Counter({ name: 'quiz_rounds_closed_total', help: 'rounds closed by this process', labelNames: ['reason'] as const, registers: [registry] }),
    gamesFinished: new Counter({ name: 'quiz_games_finished_total', help: 'games concluded by this process', labelNames: ['how'] as const, registers: [registry] }),
    timerLateness: new Histogram({
      name: 'quiz_timer_lateness_seconds',
      help: 'how late automatic transitions ran after their due time',
      buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
