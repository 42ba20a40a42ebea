/**
 * `/v2/tasks`: every app's tasks (JSON or Marathon's text/plain listing, optionally filtered by
 * `status`), and `POST /v2/tasks/delete` to kill tasks by id (`scale`, `wipe`, `force`).
 *
 * Invariants: `status` values are Mesos task states without the `TASK_` prefix, any case
 * (`running`, `staging`); an unknown one is a 400. Unknown task ids in a kill are ignored, as in
 * Marathon; `scale` with `wipe` is a 400 and changes nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDefinition } from '../model.ts';
import { isActive } from './app-info.ts';
import { sendDeployment, sendJson, wantsText, type RouteContext } from './context.ts';
import { ERRORS, fromServiceError, sendError } from './errors.ts';
import { boolParams, isObject, listParam, parseJsonBody, type Query } from './query.ts';
import { taskJson, tasksText } from './task-json.ts';

type Req = FastifyRequest<{ Querystring: Query }>;

const STATES = new Set([
  'STAGING', 'STARTING', 'RUNNING', 'KILLING', 'FINISHED', 'FAILED', 'KILLED', 'ERROR', 'LOST', 'DROPPED',
  'UNREACHABLE', 'GONE', 'GONE_BY_OPERATOR', 'UNKNOWN',
]);

export function registerTasksRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  app.get('/v2/tasks', (request: Req, reply) => {
    const statuses = [...listParam(request.query, 'status'), ...listParam(request.query, 'status[]')].map((s) => s.toUpperCase());
    const bad = statuses.find((s) => !STATES.has(s));
    if (bad !== undefined) return sendError(reply, ERRORS.badRequest(`Unknown task status '${bad.toLowerCase()}'`));
    const wanted = new Set(statuses.map((s) => `TASK_${s}`));
    const apps = new Map<string, AppDefinition>(service.apps().map((a) => [a.id, a]));
    const instances = service.instances()
      .filter(isActive)
      .filter((i) => wanted.size === 0 || (i.state !== undefined && wanted.has(i.state)));
    if (wantsText(request)) {
      const appList = [...apps.values()];
      return reply.code(200).type('text/plain; charset=utf-8').send(tasksText(appList, (a) => instances.filter((i) => i.appId === a.id)));
    }
    return sendJson(reply, 200, { tasks: instances.map((i) => taskJson(i, apps.get(i.appId))) });
  });

  app.post('/v2/tasks/delete', async (request: Req, reply) => {
    const flags = boolParams(request.query, { force: false, scale: false, wipe: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const { force, scale, wipe } = flags.value;
    if (scale && wipe) return sendError(reply, ERRORS.badRequest('You cannot use scale and wipe at the same time.'));
    const body = parseJsonBody(request.body);
    if (!body.ok) return sendError(reply, body.error);
    const ids = isObject(body.value) ? body.value.ids : undefined;
    if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) {
      return sendError(reply, ERRORS.invalidJson([{ path: '/ids', errors: ['error.expected.jsarray of task ids'] }]));
    }
    const known = (ids as string[]).map((id) => service.instance(id)).filter((i) => i !== undefined && isActive(i));
    const r = await service.killTasks(known.map((i) => i!.taskId), { force, scale, wipe });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    if (scale && r.deploymentId !== undefined && r.version !== undefined) {
      return sendDeployment(reply, { deploymentId: r.deploymentId, version: r.version });
    }
    return sendJson(reply, 200, { tasks: r.killed.map((i) => taskJson(i, service.app(i.appId))) });
  });
}
