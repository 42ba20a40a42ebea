/**
 * The Fastify base of the JSON REST APIs that parse their own bodies (marathon's `/v2`, batch's
 * `/v1`): the pino logger (or none), per-request lines at debug, every body kept as text whatever
 * its content type (the routes read the JSON and answer their API's own 400), and each request
 * counted into an `HttpMetrics` recorder on the raw response (so a hijacked event stream, which
 * never reaches onResponse, is an active request while it lasts).
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from './ports.ts';
import type { HttpMetrics } from './http-metrics.ts';

export interface JsonApiAppOptions {
  readonly logger: Logger | false;
  readonly bodyLimitBytes: number;
  readonly clock: Clock;
  readonly metrics: HttpMetrics;
}

export function createJsonApiApp(opts: JsonApiAppOptions): FastifyInstance {
  const logger = opts.logger;
  const app = Fastify({
    loggerInstance: logger === false ? undefined : logger,
    logger: logger === false ? false : undefined,
    bodyLimit: opts.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  const { clock, metrics } = opts;
  app.addHook('onRequest', (request, reply, done) => {
    metrics.started();
    const started = clock.now();
    let counted = false;
    const finish = () => {
      if (counted) return;
      counted = true;
      metrics.finished(reply.raw.statusCode, clock.now() - started);
      request.log.debug({ method: request.method, url: request.url, statusCode: reply.raw.statusCode }, 'request completed');
    };
    reply.raw.once('finish', finish);
    reply.raw.once('close', finish);
    done();
  });
  return app;
}
