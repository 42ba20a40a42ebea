/**
 * The agent's legacy JSON endpoints, read-only, built from the AgentView through the pure
 * converters of legacy-agent-state.ts: `/state` (with Mesos' aliases `/state.json`,
 * `/slave(1)/state`, `/slave(1)/state.json`), `/flags` (and `/slave(1)/flags`), `/health` (and
 * `/slave(1)/health`), `/version`, `/monitor/statistics` (and `.json`) and `/metrics/snapshot`.
 */
import type { FastifyInstance } from 'fastify';
import { codec } from '../../proto/codec.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { versionJson, type BuildInfo } from '../../master/http/version-info.ts';
import type { AgentView } from '../agent-view.ts';
import { queryOf, sendJsonOrJsonp } from './files-api.ts';
import { legacyAgentState, monitorStatistics } from './legacy-agent-state.ts';

export interface AgentLegacyDeps {
  readonly view: AgentView;
  readonly version: string;
  readonly build: BuildInfo;
}

const statisticsCodec = codec<mesos.v1.ResourceStatistics>('mesos.v1.ResourceStatistics');
const resourceCodec = codec<mesos.v1.Resource>('mesos.v1.Resource');

export function registerAgentLegacyEndpoints(app: FastifyInstance, deps: AgentLegacyDeps): void {
  const { view } = deps;
  const json = (paths: readonly string[], build: () => unknown | Promise<unknown>): void => {
    for (const path of paths) {
      app.get(path, async (request, reply) => {
        sendJsonOrJsonp(reply, await build(), queryOf(request).jsonp);
      });
    }
  };

  json(['/state', '/state.json', '/slave(1)/state', '/slave(1)/state.json'], () => legacyAgentState({
    version: deps.version,
    build: deps.build,
    startTime: view.startTime() / 1000, // AgentView: ms since the epoch; Mesos' start_time: seconds
    agentInfo: view.agentInfo(),
    agentId: view.agentId(),
    endpoint: view.endpoint(),
    masterAddress: view.master().address,
    flags: view.flags(),
    state: view.getState(),
    sandboxes: view.sandboxes(),
    capabilities: view.agentCapabilities?.(),
    resourceJson: (r) => resourceCodec.toJson(r),
    workDir: view.workDir(),
  }));
  json(['/flags', '/slave(1)/flags'], () => ({ flags: { ...view.flags() } }));
  json(['/version'], () => versionJson(deps.version, deps.build));
  json(['/metrics/snapshot'], () => ({ ...view.metrics() }));
  json(['/monitor/statistics', '/monitor/statistics.json'], async () => monitorStatistics(
    await view.getContainers(),
    (view.getExecutors().executors ?? []).map((e) => e.executor_info),
    (s) => statisticsCodec.toJson(s),
  ));
  for (const path of ['/health', '/slave(1)/health']) {
    app.get(path, (_request, reply) => {
      reply.code(200).send();
    });
  }
}
