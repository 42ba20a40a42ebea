/**
 * `/v2/deployments`: the running deployments (Marathon's deployment JSON with `currentActions`
 * and their readiness results), and `DELETE /v2/deployments/{id}`: with `force=true` the
 * deployment stops where it stands (202, no body); otherwise a rollback deployment starts (200
 * `{deploymentId, version}`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { deploymentToJson } from '../deployment/deployment-json.ts';
import { sendDeployment, sendJson, type RouteContext } from './context.ts';
import { ERRORS, fromServiceError, sendError } from './errors.ts';
import { boolParams, type Query } from './query.ts';

type Req = FastifyRequest<{ Querystring: Query; Params: { id: string } }>;

export function registerDeploymentsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  app.get('/v2/deployments', (_request, reply) =>
    sendJson(reply, 200, service.deployments().map((d) => deploymentToJson(d, (appId) => service.readiness(appId)))));

  app.delete('/v2/deployments/:id', async (request: Req, reply) => {
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const id = request.params.id;
    if (!service.deployments().some((d) => d.id === id)) return sendError(reply, ERRORS.unknownDeployment(id));
    const r = await service.cancelDeployment(id, { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    if (r.deploymentId === undefined) return reply.code(202).send();
    return sendDeployment(reply, { deploymentId: r.deploymentId, version: r.version });
  });
}
