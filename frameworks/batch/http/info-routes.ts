/**
 * The batch framework's service routes: `/ping` (`pong`, text), `/info` and `/v1/info`
 * (Metronome's `{version, libVersion}`, plus our `name`), `/v1/metrics` and `/metrics`
 * (Dropwizard JSON with the service's real values, metrics.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../../common/ports.ts';
import { sendJson } from './errors.ts';
import { metricsJson, type HttpMetrics } from './metrics.ts';
import type { RouteContext } from './route-context.ts';

export interface InfoDeps {
  readonly name: string;
  readonly version: string;
  readonly metrics: HttpMetrics;
  readonly clock: Clock;
  readonly startedAtMs: number;
}

export function registerInfoRoutes(app: FastifyInstance, ctx: RouteContext, deps: InfoDeps): void {
  app.get('/ping', (_request, reply) => reply.code(200).type('text/plain; charset=utf-8').send('pong'));

  const info = () => ({ name: deps.name, version: deps.version, libVersion: deps.version });
  app.get('/info', (_request, reply) => sendJson(reply, 200, info()));
  app.get('/v1/info', (_request, reply) => sendJson(reply, 200, info()));

  const metrics = () => metricsJson(ctx.service, deps.metrics.snapshot(), Math.max(0, deps.clock.now() - deps.startedAtMs));
  app.get('/v1/metrics', (_request, reply) => sendJson(reply, 200, metrics()));
  app.get('/metrics', (_request, reply) => sendJson(reply, 200, metrics()));
}
