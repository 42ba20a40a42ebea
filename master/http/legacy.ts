/**
 * The legacy JSON endpoints of the Mesos master, built from the OperatorEndpoint through the pure
 * converters of legacy-json.ts: `/master/state` (and `/state`, `.json` aliases), `/master/slaves`,
 * `/master/frameworks`, `/master/roles`, `/master/flags`, `/master/health`, `/master/redirect`
 * and `/metrics/snapshot`. Read-only: nothing here changes master state.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OperatorEndpoint } from '../operator-endpoint.ts';
import { answeredByLeaderCheck, NO_LEADER_MESSAGE, type LeaderCheck } from './leader-check.ts';
import { sendText } from './text-response.ts';
import { legacyFrameworks, legacyRoles, legacySlaves, legacyState } from './legacy-json.ts';
import type { BuildInfo } from './version-info.ts';
import { registerLegacyMaintenanceEndpoints } from './legacy-maintenance.ts';

export interface LegacyDeps {
  readonly operator: OperatorEndpoint;
  readonly version: string;
  readonly build: BuildInfo;
  readonly leader?: LeaderCheck;
}

/** MasterInfo.ip is an IPv4 address in network byte order read as a little-endian uint32. */
export function ipv4Text(ip: number): string {
  return [ip & 0xff, (ip >>> 8) & 0xff, (ip >>> 16) & 0xff, (ip >>> 24) & 0xff].join('.');
}

function sendJson(reply: FastifyReply, json: unknown): void {
  reply.code(200).type('application/json').send(JSON.stringify(json));
}

export function registerLegacyEndpoints(app: FastifyInstance, deps: LegacyDeps): void {
  const { operator } = deps;

  /** A read endpoint that the leader serves and others redirect. */
  const leaderRead = (paths: readonly string[], build: () => unknown): void => {
    for (const path of paths) {
      app.get(path, (request, reply) => {
        if (answeredByLeaderCheck(deps.leader, request, reply)) return;
        sendJson(reply, build());
      });
    }
  };

  leaderRead(['/master/state', '/master/state.json', '/state', '/state.json'], () => {
    const masterInfo = operator.masterInfo();
    const metrics = operator.metrics();
    return legacyState({
      version: deps.version,
      build: deps.build,
      startTime: operator.startTime(),
      electedTime: operator.electedTime(),
      masterInfo,
      leaderInfo: masterInfo,
      flags: operator.flags(),
      unreachableAgents: metrics['master/slaves_unreachable'] ?? 0,
      state: operator.getState(),
    });
  });
  leaderRead(['/master/slaves', '/master/slaves.json'], () => legacySlaves(operator.getAgents()));
  leaderRead(['/master/frameworks', '/master/frameworks.json'], () => legacyFrameworks(operator.getState()));
  leaderRead(['/master/roles', '/master/roles.json'], () => legacyRoles({ roles: operator.getRoleDetails() }));
  leaderRead(['/master/flags'], () => ({ flags: { ...operator.flags() } }));

  registerLegacyMaintenanceEndpoints(app, { operator, leader: deps.leader });

  app.get('/metrics/snapshot', (_request, reply) => sendJson(reply, { ...operator.metrics() }));
  app.get('/master/health', (_request, reply) => {
    reply.code(200).send();
  });
  app.get('/master/redirect', (_request, reply) => {
    const leader = deps.leader?.();
    if (leader?.kind === 'elsewhere') {
      reply.code(307).header('Location', leader.base).send();
      return;
    }
    if (leader?.kind === 'none') {
      sendText(reply, 503, NO_LEADER_MESSAGE);
      return;
    }
    const info = operator.masterInfo();
    const host = info.hostname ?? info.address?.hostname ?? info.address?.ip ?? ipv4Text(info.ip);
    reply.code(307).header('Location', `//${host}:${info.port}`).send();
  });
}
