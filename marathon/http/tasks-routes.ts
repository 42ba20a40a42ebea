/**
 * `/v2/tasks`: every app's tasks (JSON or Marathon's text/plain listing, optionally filtered by
 * `status`), and `POST /v2/tasks/delete` to kill tasks by id (`scale`, `wipe`, `force`).
 *
 * Marathon 1.x facts kept: `status` / `status[]` know `running` and `staging` (any case, matched
 * on the instance condition) and ignore other values; a malformed task id in a kill is a 400
 * ("Invalid task id 'x'."), a well-formed unknown one is ignored; `scale` with `wipe` is a 400.
 * A refused request changes nothing.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDefinition, InstanceCondition } from '../model.ts';
import { isActive } from './app-info.ts';
import { sendDeployment, sendJson, wantsText, type RouteContext } from './context.ts';
import { ERRORS, fromServiceError, sendError } from './errors.ts';
import { boolParams, isObject, listParam, parseJsonBody, type Query } from './query.ts';
import { taskJson, tasksText } from './task-json.ts';

type Req = FastifyRequest<{ Querystring: Query }>;

/** Marathon's `toTaskState`: the statuses it filters by, as instance conditions. */
const CONDITIONS: Readonly<Record<string, InstanceCondition>> = { running: 'Running', staging: 'Staging' };

/** A task id has the app part and the instance part around a dot (`prod_web.instance-<uuid>._app.1`). */
const isTaskIdShaped = (id: string): boolean => /^[^./][^/]*\.[^/]+$/.test(id);

export function registerTasksRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  app.get('/v2/tasks', (request: Req, reply) => {
    const statuses = [...listParam(request.query, 'status'), ...listParam(request.query, 'status[]')];
    const wanted = new Set(statuses.map((s) => CONDITIONS[s.toLowerCase()]).filter((c) => c !== undefined));
    const apps = new Map<string, AppDefinition>(service.apps().map((a) => [a.id, a]));
    const instances = service.instances()
      .filter(isActive)
      .filter((i) => wanted.size === 0 || wanted.has(i.condition));
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
    const malformed = (ids as string[]).find((id) => !isTaskIdShaped(id));
    if (malformed !== undefined) return sendError(reply, ERRORS.badRequest(`Invalid task id '${malformed}'.`));
    const known = (ids as string[]).map((id) => service.instance(id)).filter((i) => i !== undefined && isActive(i));
    const r = await service.killTasks(known.map((i) => i!.taskId), { force, scale, wipe });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    if (scale && r.deploymentId !== undefined && r.version !== undefined) {
      return sendDeployment(reply, { deploymentId: r.deploymentId, version: r.version });
    }
    return sendJson(reply, 200, { tasks: r.killed.map((i) => taskJson(i, service.app(i.appId))) });
  });
}
