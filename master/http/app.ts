/**
 * The master's HTTP application (Fastify 5, not listening; main.ts calls `listen`): the Mesos v1
 * scheduler API, the v1 operator API, the legacy JSON endpoints, `GET /version` and
 * `GET /health`, and the web UI at `/` (master/ui; its live feed is wired by main.ts). Request bodies are kept raw (a Buffer, whatever the Content-Type) so each API
 * decides between JSON and protobuf itself; errors are `text/plain` messages as in Mesos.
 *
 * On a master that does not lead, the UI's page and assets answer like the APIs (the UI plugin
 * gets the same leader check): 307 to the leader, 503 while none is known.
 *
 * Closing the app ends every open subscription stream first, so `close()` does not wait on
 * long-lived responses.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { OperatorEndpoint } from '../operator-endpoint.ts';
import type { SchedulerEndpoint } from '../scheduler-endpoint.ts';
import type { EventStream, Ticker } from './event-stream.ts';
import type { LeaderCheck } from './leader-check.ts';
import { registerLegacyEndpoints } from './legacy.ts';
import { registerOperatorApi } from './operator-api.ts';
import { registerSchedulerApi } from './scheduler-api.ts';
import { createRawApp } from './raw-app.ts';
import { UNKNOWN_BUILD, versionJson, type BuildInfo } from './version-info.ts';
import { masterUiAssets } from '../ui/master-ui.ts';

/** Mesos accepts large LAUNCH_GROUP and state bodies; 64 MiB keeps a bound without getting in the way. */
const BODY_LIMIT_BYTES = 64 * 1024 * 1024;

export interface MasterAppDeps {
  readonly scheduler: SchedulerEndpoint;
  readonly operator: OperatorEndpoint;
  readonly logger: Logger | false;
  readonly version: string;
  readonly build?: BuildInfo;
  /** Absent, or answering undefined, while this master leads (see leader-check.ts). */
  readonly leader?: LeaderCheck;
  /** Heartbeat timer; real intervals unless a test drives it. */
  readonly ticker?: Ticker;
}

export function createMasterApp(deps: MasterAppDeps): FastifyInstance {
  const app = createRawApp({ logger: deps.logger, bodyLimitBytes: BODY_LIMIT_BYTES });
  const build = deps.build ?? UNKNOWN_BUILD;
  const openStreams = new Set<EventStream>();

  app.addHook('preClose', (done) => {
    for (const stream of openStreams) stream.sink.close();
    done();
  });

  registerSchedulerApi(app, { scheduler: deps.scheduler, leader: deps.leader, ticker: deps.ticker, openStreams });
  registerOperatorApi(app, { operator: deps.operator, version: deps.version, build, leader: deps.leader });
  registerLegacyEndpoints(app, { operator: deps.operator, version: deps.version, build, leader: deps.leader });

  app.get('/version', (_request, reply) => {
    reply.code(200).type('application/json').send(JSON.stringify(versionJson(deps.version, build)));
  });
  app.get('/health', (_request, reply) => {
    reply.code(200).send();
  });
  app.register(masterUiAssets, { leader: deps.leader });

  return app;
}
