/**
 * The agent's HTTP application (Fastify 5, not listening; slave/main.ts calls `listen`): the v1
 * agent operator API (`POST /api/v1`), the sandbox files (`/files/*`, path-jailed), and the
 * legacy JSON endpoints (`/state`, `/flags`, `/health`, `/version`, `/monitor/statistics`,
 * `/metrics/snapshot`). It reads the agent only through AgentView and changes nothing. Request
 * bodies are kept raw (a Buffer) so the operator API decides between JSON and protobuf; errors
 * are `text/plain` as in Mesos. The v1 executor API (`/api/v1/executor`, executor-api.ts) is
 * registered beside them when the agent core's ExecutorEndpoint is given.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { createRawApp } from '../../master/http/raw-app.ts';
import { UNKNOWN_BUILD, type BuildInfo } from '../../master/http/version-info.ts';
import type { AgentView } from '../agent-view.ts';
import type { ExecutorEndpoint } from '../executor-endpoint.ts';
import { registerExecutorApi } from './executor-api.ts';
import type { OwnerNames } from './file-info.ts';
import { registerFilesApi } from './files-api.ts';
import { registerAgentLegacyEndpoints } from './legacy-endpoints.ts';
import { registerAgentOperatorApi } from './operator-api.ts';
import { systemOwnerNames } from './owner-names.ts';

/** Operator calls are small; a bound keeps a stray upload from filling memory. */
const BODY_LIMIT_BYTES = 16 * 1024 * 1024;

export interface AgentAppDeps {
  readonly view: AgentView;
  readonly logger: Logger | false;
  readonly version: string;
  readonly build?: BuildInfo;
  /** User and group names for file listings; /etc/passwd and /etc/group by default. */
  readonly names?: OwnerNames;
  /** The core side of `/api/v1/executor`; without it the route is not registered (404). */
  readonly executors?: ExecutorEndpoint;
}

export function createAgentApp(deps: AgentAppDeps): FastifyInstance {
  const app = createRawApp({ logger: deps.logger, bodyLimitBytes: BODY_LIMIT_BYTES });
  const build = deps.build ?? UNKNOWN_BUILD;
  const names = deps.names ?? systemOwnerNames();

  registerAgentOperatorApi(app, { view: deps.view, version: deps.version, build, names }, () => deps.view.recovering?.() ?? false);
  registerFilesApi(app, { view: deps.view, names });
  registerAgentLegacyEndpoints(app, { view: deps.view, version: deps.version, build });
  if (deps.executors !== undefined) registerExecutorApi(app, deps.executors);
  return app;
}
