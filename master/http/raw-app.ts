/**
 * The Fastify instance both HTTP surfaces (master/http/app.ts, slave/http/app.ts) start from:
 * request bodies kept raw (a Buffer whatever the Content-Type, so each API decides between JSON
 * and protobuf), per-request log lines at debug level, and every error a `text/plain` message as
 * in Mesos (unknown routes 404; a malformed Content-Type, which Fastify refuses before any route
 * sees it, 415 with Mesos' message).
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { UNSUPPORTED_CONTENT_TYPE_MESSAGE } from './media-type.ts';
import { sendText } from './text-response.ts';

export function createRawApp(options: { readonly logger: Logger | false; readonly bodyLimitBytes: number }): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger === false ? undefined : options.logger,
    logger: options.logger === false ? false : undefined,
    bodyLimit: options.bodyLimitBytes,
    // Calls arrive by the thousand; per-request lines go to debug (hook below), not info.
    logController: new LogController({ disableRequestLogging: true }),
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug({ method: request.method, url: request.url, statusCode: reply.statusCode }, 'request completed');
    done();
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setNotFoundHandler((request, reply) => {
    sendText(reply, 404, `No route for ${request.method} ${request.url}`);
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      sendText(reply, 415, UNSUPPORTED_CONTENT_TYPE_MESSAGE);
      return;
    }
    const status = error.statusCode !== undefined && error.statusCode >= 400 ? error.statusCode : 500;
    sendText(reply, status, error.message);
  });
  return app;
}
