/**
 * `/v2/info` (Marathon's info document: name, version, leader, framework id, `marathon_config`,
 * `zookeeper_config`, `http_config`), `/v2/leader` (GET: `{leader}` or 404 "There is no leader"; DELETE: 200
 * `{"message":"Leadership abdicated"}`, then abdication; 404 when not leading),
 * `/ping` and `/metrics`, `/metrics/prometheus`.
 *
 * `marathon_config` carries only keys python-marathon's `MarathonConfig` accepts, with this
 * marathon's real settings; `zookeeper_config` is empty (there is no ZooKeeper: leader election
 * is a PostgreSQL lock) but present, as clients read it as an object.
 */
import type { FastifyInstance } from 'fastify';
import { LOCAL_PORT_MAX, LOCAL_PORT_MIN } from '../app/service-ports.ts';
import { sendJson, type RouteContext } from './context.ts';
import { ERRORS, sendError } from './errors.ts';
import { metricsSnapshot, prometheusText, type HttpMetrics } from './metrics.ts';

export interface InfoDeps {
  readonly metrics: HttpMetrics;
  readonly startedAtMs: number;
  /** Gives up leadership; absent when this marathon cannot (then DELETE /v2/leader is a 501). */
  readonly abdicate?: () => Promise<void>;
}

/** Marathon's `mesos_leader_ui_url`: an http(s) URL with a trailing slash, from `host:port` or a URL. */
export function masterUiUrl(master: string): string {
  const url = /^https?:\/\//.test(master) ? master : `http://${master}`;
  return `${url.replace(/\/+$/, '')}/`;
}

export function infoJson(ctx: RouteContext): Record<string, unknown> {
  const { config } = ctx;
  const status = ctx.service.status();
  return {
    name: 'marathon',
    version: config.version,
    buildref: 'unknown',
    elected: status.elected,
    leader: status.leader ?? null,
    frameworkId: status.frameworkId ?? null,
    marathon_config: {
      checkpoint: true,
      executor: '//cmd',
      failover_timeout: config.failoverTimeoutSeconds,
      features: [],
      framework_name: config.frameworkName,
      ha: true,
      hostname: config.hostname,
      leader_proxy_connection_timeout_ms: 5000,
      leader_proxy_read_timeout_ms: 10000,
      local_port_min: LOCAL_PORT_MIN,
      local_port_max: LOCAL_PORT_MAX,
      master: config.master,
      mesos_leader_ui_url: masterUiUrl(status.master ?? config.master),
      mesos_role: config.role,
      webui_url: `http://${config.hostname}:${config.httpPort}`,
    },
    zookeeper_config: {},
    http_config: { http_port: config.httpPort },
  };
}

export function registerInfoRoutes(app: FastifyInstance, ctx: RouteContext, deps: InfoDeps): void {
  app.get('/v2/info', (_request, reply) => sendJson(reply, 200, infoJson(ctx)));

  app.get('/v2/leader', (_request, reply) => {
    const leader = ctx.service.status().leader;
    if (leader === undefined) return sendError(reply, ERRORS.notFound('There is no leader'));
    return sendJson(reply, 200, { leader });
  });

  app.delete('/v2/leader', async (_request, reply) => {
    if (!ctx.service.status().isLeader) return sendError(reply, ERRORS.notFound('There is no leader'));
    if (deps.abdicate === undefined) return sendError(reply, ERRORS.notImplemented('This marathon cannot abdicate: no abdication is wired in'));
    const abdicate = deps.abdicate;
    // As Marathon: the answer goes out first, then leadership is given up.
    reply.raw.once('finish', () => {
      abdicate().catch((err: unknown) => reply.log.error({ err }, 'abdication failed'));
    });
    return sendJson(reply, 200, { message: 'Leadership abdicated' });
  });

  app.get('/ping', (_request, reply) => reply.code(200).type('text/plain; charset=utf-8').header('Cache-Control', 'must-revalidate,no-cache,no-store').send('pong'));

  app.get('/metrics', (_request, reply) =>
    sendJson(reply, 200, metricsSnapshot(ctx.service, deps.metrics, ctx.clock, deps.startedAtMs)));

  app.get('/metrics/prometheus', (_request, reply) =>
    reply.code(200).type('text/plain; version=0.0.4; charset=utf-8')
      .send(prometheusText(metricsSnapshot(ctx.service, deps.metrics, ctx.clock, deps.startedAtMs))));
}
