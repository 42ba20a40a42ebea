/**
 * `/v2/apps`: list, create, replace or patch (one or many), show, delete, restart, an app's tasks
 * (list, kill) and versions. App ids contain slashes, so every `/v2/apps/*` method reads the
 * whole suffix and splits off `/tasks[/{taskId}]`, `/versions[/{version}]` or `/restart`.
 *
 * Order of checks, so that a rejected request changes nothing: query parameters (400), body JSON
 * (400), the app's existence (404), the definition (422), then one call of the core, whose
 * refusal (404/409/422/503) is answered as it is.
 *
 * Marathon 1.x facts kept: PUT's `partialUpdate` defaults to true; PATCH never creates; DELETE's
 * `force` defaults to true; the list always embeds counts and deployments, the single app counts,
 * tasks, lastTaskFailure and deployments; `GET /v2/apps/{group}/*` lists a group's apps as `{"*": [...]}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDefinition, Group, Instance } from '../model.ts';
import type { ValidationDetail } from '../ports.ts';
import { appToJson } from '../app/app-json.ts';
import { mergeAppUpdate } from '../app/app-update.ts';
import { parseApp } from '../app/parse-app.ts';
import { findGroup } from '../app/group.ts';
import { apiPostEvent } from '../events/deployment-events.ts';
import { appInfoJson, isActive, resolveAppEmbed, type AppEmbed } from './app-info.ts';
import {
  absoluteUrl, DEPLOYMENT_HEADER, displayId, sendDeployment, sendJson, urlPathId, wantsText, type RouteContext,
} from './context.ts';
import { ERRORS, fail, fromServiceError, ok, sendError, type Result } from './errors.ts';
import { matchesLabels, parseLabelSelector } from './label-selector.ts';
import { boolParams, isObject, listParam, parseJsonBody, stringParam, type Query } from './query.ts';
import { taskJson, tasksText } from './task-json.ts';

type Req = FastifyRequest<{ Querystring: Query; Params: { '*': string } }>;

/** What a `/v2/apps/*` suffix names. */
type AppPath =
  | { readonly kind: 'app'; readonly raw: string }
  | { readonly kind: 'groupApps'; readonly raw: string }
  | { readonly kind: 'tasks'; readonly raw: string }
  | { readonly kind: 'task'; readonly raw: string; readonly taskId: string }
  | { readonly kind: 'versions'; readonly raw: string }
  | { readonly kind: 'version'; readonly raw: string; readonly version: string }
  | { readonly kind: 'restart'; readonly raw: string }
  | { readonly kind: 'delay'; readonly raw: string };

export function splitAppPath(suffix: string): AppPath {
  const s = suffix.replace(/\/+$/, '');
  let m: RegExpMatchArray | null;
  if ((m = s.match(/^(.*)\/tasks\/([^/]+)$/)) !== null) return { kind: 'task', raw: m[1], taskId: decodeURIComponent(m[2]) };
  if ((m = s.match(/^(.*)\/tasks$/)) !== null) return { kind: 'tasks', raw: m[1] };
  if ((m = s.match(/^(.*)\/versions\/([^/]+)$/)) !== null) return { kind: 'version', raw: m[1], version: decodeURIComponent(m[2]) };
  if ((m = s.match(/^(.*)\/versions$/)) !== null) return { kind: 'versions', raw: m[1] };
  if ((m = s.match(/^(.*)\/restart$/)) !== null) return { kind: 'restart', raw: m[1] };
  if ((m = s.match(/^(.*?)\/?\*$/)) !== null) return { kind: 'groupApps', raw: m[1] };
  return { kind: 'app', raw: s };
}

export function registerAppsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  const view = (a: AppDefinition) => ({
    instances: service.instances(a.id),
    deployments: service.deployments(),
    lastTaskFailure: service.lastTaskFailure(a.id),
    readiness: service.readiness(a.id),
    nowMs: ctx.clock.now(),
  });
  const info = (a: AppDefinition, embed: ReadonlySet<AppEmbed>) => appInfoJson(a, view(a), embed);

  /** The existing app a URL names, or Marathon's 404. */
  const existing = (raw: string): Result<AppDefinition> => {
    const id = urlPathId(raw);
    const found = id === undefined ? undefined : service.app(id);
    return found === undefined ? fail(ERRORS.unknownApp(displayId(raw))) : ok(found);
  };

  /** After a change: the definition as stored (dynamic service ports assigned), as Marathon posts it. */
  const postEvent = (request: FastifyRequest, a: AppDefinition): void => {
    ctx.publish(apiPostEvent(request.ip, request.url.split('?')[0], service.app(a.id) ?? a, ctx.nowIso()));
  };

  // ---- list and create -------------------------------------------------------------------------
  app.get('/v2/apps', (request: Req, reply) => {
    const q = request.query;
    const cmd = stringParam(q, 'cmd');
    const idFilter = stringParam(q, 'id');
    const label = stringParam(q, 'label');
    let terms: ReturnType<typeof parseLabelSelector> | undefined;
    if (label !== undefined) {
      terms = parseLabelSelector(label);
      if (!terms.ok) return sendError(reply, ERRORS.badRequest(terms.message));
    }
    const embed = resolveAppEmbed(listParam(q, 'embed'));
    embed.add('counts');
    embed.add('deployments');
    const contains = (hay: string, needle: string) => hay.toLowerCase().includes(needle.toLowerCase());
    const apps = service.apps()
      .filter((a) => cmd === undefined || (a.cmd !== undefined && contains(a.cmd, cmd)))
      .filter((a) => idFilter === undefined || contains(a.id, idFilter))
      .filter((a) => terms === undefined || !terms.ok || matchesLabels(terms.terms, a.labels));
    return sendJson(reply, 200, { apps: apps.map((a) => info(a, embed)) });
  });

  app.post('/v2/apps', (request: Req, reply) => {
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const body = parseJsonBody(request.body);
    if (!body.ok) return sendError(reply, body.error);
    if (!isObject(body.value)) return sendError(reply, ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsobject'] }]));
    const parsed = parseApp(body.value, { now: ctx.nowIso(), defaultRole: ctx.config.role });
    if (!parsed.ok) return sendError(reply, ERRORS.invalidObject(parsed.details));
    const def = parsed.value;
    if (service.app(def.id) !== undefined) return sendError(reply, ERRORS.appExists(def.id));
    return service.createApp(def, { force: flags.value.force }).then((r) => {
      if (!r.ok) return sendError(reply, fromServiceError(r));
      postEvent(request, def);
      // As stored: the root change assigns dynamic service ports (port 0 -> 10000, ...).
      const stored = service.app(def.id) ?? def;
      const json = {
        ...appToJson(stored), tasksStaged: 0, tasksRunning: 0, tasksHealthy: 0, tasksUnhealthy: 0, deployments: [{ id: r.deploymentId }],
      };
      reply.header('Location', absoluteUrl(request, `/v2/apps${def.id}`)).header(DEPLOYMENT_HEADER, r.deploymentId);
      return sendJson(reply, 201, json);
    });
  });

  // ---- replace or patch many -------------------------------------------------------------------
  const updateMany = async (request: Req, reply: FastifyReply, partialDefault: boolean, allowCreation: boolean) => {
    const flags = boolParams(request.query, { force: false, partialUpdate: partialDefault });
    if (!flags.ok) return sendError(reply, flags.error);
    const partial = allowCreation ? flags.value.partialUpdate : true;
    const body = parseJsonBody(request.body);
    if (!body.ok) return sendError(reply, body.error);
    if (!Array.isArray(body.value)) return sendError(reply, ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsarray'] }]));
    const now = ctx.nowIso();
    const defs: AppDefinition[] = [];
    const details: ValidationDetail[] = [];
    for (const [k, item] of body.value.entries()) {
      const prefix = `/(${k})`;
      if (!isObject(item) || typeof item.id !== 'string') {
        details.push({ path: `${prefix}/id`, errors: ['App Update must have app id set'] });
        continue;
      }
      const id = urlPathId(item.id);
      const previous = id === undefined ? undefined : service.app(id);
      if (previous === undefined && !allowCreation) return sendError(reply, ERRORS.unknownApp(displayId(item.id)));
      const r = await definitionFor(item, previous, partial, now);
      if (!r.ok) {
        if (r.error.status !== 422) return sendError(reply, r.error);
        for (const d of r.error.body.details ?? []) details.push({ path: `${prefix}${d.path === '/' ? '' : d.path}`, errors: d.errors });
        continue;
      }
      defs.push(r.value);
    }
    if (details.length > 0) return sendError(reply, ERRORS.invalidObject(details));
    const r = await service.putApps(defs, { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    for (const d of defs) postEvent(request, d);
    return sendDeployment(reply, r);
  };

  /**
   * The new definition of an app from a PUT/PATCH body: a rollback when the body names a
   * `version` of an existing app (Marathon ignores the rest then), else a partial update merged
   * onto the current definition, else a whole definition.
   */
  const definitionFor = async (
    item: Readonly<Record<string, unknown>>, previous: AppDefinition | undefined, partial: boolean, now: string,
  ): Promise<Result<AppDefinition>> => {
    if (previous !== undefined && typeof item.version === 'string') return rollback(previous, item.version, now);
    const json = previous !== undefined && partial ? mergeAppUpdate(previous, item) : item;
    const parsed = parseApp(json, { now, defaultRole: ctx.config.role, ...(previous !== undefined ? { previous } : {}) });
    return parsed.ok ? ok(parsed.value) : fail(ERRORS.invalidObject(parsed.details));
  };

  /** A rollback to a stored version: that definition, re-versioned now. */
  const rollback = async (previous: AppDefinition, version: string, now: string): Promise<Result<AppDefinition>> => {
    const old = await service.appVersion(previous.id, version);
    if (old === undefined) return fail(ERRORS.unknownApp(previous.id, version));
    return ok({ ...old, version: now, versionInfo: { lastScalingAt: now, lastConfigChangeAt: now } });
  };

  app.put('/v2/apps', (request: Req, reply) => updateMany(request, reply, true, true));
  app.patch('/v2/apps', (request: Req, reply) => updateMany(request, reply, true, false));

  // ---- one app ---------------------------------------------------------------------------------
  const updateOne = async (request: Req, reply: FastifyReply, raw: string, allowCreation: boolean) => {
    const flags = boolParams(request.query, { force: false, partialUpdate: true });
    if (!flags.ok) return sendError(reply, flags.error);
    const partial = allowCreation ? flags.value.partialUpdate : true;
    const id = urlPathId(raw);
    if (id === undefined) {
      return sendError(reply, allowCreation
        ? ERRORS.invalidObject([{ path: '/id', errors: [`'${displayId(raw)}' is not a valid path id`] }])
        : ERRORS.unknownApp(displayId(raw)));
    }
    const body = parseJsonBody(request.body);
    if (!body.ok) return sendError(reply, body.error);
    if (!isObject(body.value)) return sendError(reply, ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsobject'] }]));
    const previous = service.app(id);
    if (previous === undefined && !allowCreation) return sendError(reply, ERRORS.unknownApp(id));
    const now = ctx.nowIso();
    const item = { ...body.value, id };
    const def = await definitionFor(item, previous, partial, now);
    if (!def.ok) return sendError(reply, def.error);
    const r = await service.putApps([def.value], { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    postEvent(request, def.value);
    if (previous === undefined) reply.header('Location', absoluteUrl(request, `/v2/apps${id}`));
    return sendDeployment(reply, r, previous === undefined ? 201 : 200);
  };

  app.get('/v2/apps/*', async (request: Req, reply) => {
    const path = splitAppPath(request.params['*']);
    switch (path.kind) {
      case 'app': {
        const a = existing(path.raw);
        if (!a.ok) return sendError(reply, a.error);
        const embed = resolveAppEmbed(listParam(request.query, 'embed'));
        for (const e of ['counts', 'tasks', 'lastTaskFailure', 'deployments'] as const) embed.add(e);
        return sendJson(reply, 200, { app: info(a.value, embed) });
      }
      case 'groupApps': {
        const g = groupOf(path.raw);
        if (!g.ok) return sendError(reply, g.error);
        const embed = resolveAppEmbed(listParam(request.query, 'embed'));
        for (const e of ['counts', 'tasks', 'lastTaskFailure', 'deployments'] as const) embed.add(e);
        return sendJson(reply, 200, { '*': transitiveApps(g.value).map((a) => info(a, embed)) });
      }
      case 'tasks': {
        const apps = appsForTasks(path.raw);
        if (!apps.ok) return sendError(reply, apps.error);
        const activeOf = (a: AppDefinition) => service.instances(a.id).filter(isActive);
        if (wantsText(request)) return reply.code(200).type('text/plain; charset=utf-8').send(tasksText(apps.value, activeOf));
        return sendJson(reply, 200, { tasks: apps.value.flatMap((a) => activeOf(a).map((i) => taskJson(i, a))) });
      }
      case 'versions': {
        const a = existing(path.raw);
        if (!a.ok) return sendError(reply, a.error);
        const versions = await service.appVersions(a.value.id);
        if (versions === undefined) return sendError(reply, ERRORS.unknownApp(a.value.id));
        return sendJson(reply, 200, { versions });
      }
      case 'version': {
        const a = existing(path.raw);
        if (!a.ok) return sendError(reply, a.error);
        const def = await service.appVersion(a.value.id, path.version);
        if (def === undefined) return sendError(reply, ERRORS.unknownApp(a.value.id, path.version));
        return sendJson(reply, 200, appToJson(def));
      }
      default:
        return sendError(reply, ERRORS.notFound(`No route for GET ${request.url.split('?')[0]}`));
    }
  });

  app.put('/v2/apps/*', (request: Req, reply) => {
    const path = splitAppPath(request.params['*']);
    if (path.kind !== 'app') return sendError(reply, ERRORS.notFound(`No route for PUT ${request.url.split('?')[0]}`));
    return updateOne(request, reply, path.raw, true);
  });

  app.patch('/v2/apps/*', (request: Req, reply) => {
    const path = splitAppPath(request.params['*']);
    if (path.kind !== 'app') return sendError(reply, ERRORS.notFound(`No route for PATCH ${request.url.split('?')[0]}`));
    return updateOne(request, reply, path.raw, false);
  });

  app.post('/v2/apps/*', async (request: Req, reply) => {
    const path = splitAppPath(request.params['*']);
    if (path.kind !== 'restart') return sendError(reply, ERRORS.notFound(`No route for POST ${request.url.split('?')[0]}`));
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const a = existing(path.raw);
    if (!a.ok) return sendError(reply, a.error);
    const r = await service.restartApp(a.value.id, { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    return sendDeployment(reply, r);
  });

  app.delete('/v2/apps/*', async (request: Req, reply) => {
    const path = splitAppPath(request.params['*']);
    switch (path.kind) {
      case 'app': {
        const flags = boolParams(request.query, { force: true });
        if (!flags.ok) return sendError(reply, flags.error);
        const a = existing(path.raw);
        if (!a.ok) return sendError(reply, a.error);
        const r = await service.deleteApp(a.value.id, { force: flags.value.force });
        if (!r.ok) return sendError(reply, fromServiceError(r));
        postEvent(request, a.value);
        return sendDeployment(reply, r);
      }
      case 'tasks':
      case 'task': {
        const flags = boolParams(request.query, { force: false, scale: false, wipe: false });
        if (!flags.ok) return sendError(reply, flags.error);
        const { force, scale, wipe } = flags.value;
        if (scale && wipe) return sendError(reply, ERRORS.badRequest('You cannot use scale and wipe at the same time.'));
        const a = existing(path.raw);
        if (!a.ok) return sendError(reply, a.error);
        const instances = service.instances(a.value.id).filter(isActive);
        let targets: readonly Instance[];
        if (path.kind === 'task') {
          targets = instances.filter((i) => i.taskId === path.taskId || i.instanceId === path.taskId);
          if (targets.length === 0) return sendError(reply, ERRORS.unknownTask(path.taskId));
        } else {
          const host = stringParam(request.query, 'host');
          targets = host === undefined ? instances : instances.filter((i) => host === '*' || i.host === host);
        }
        const r = await service.killTasks(targets.map((i) => i.taskId), { force, scale, wipe });
        if (!r.ok) return sendError(reply, fromServiceError(r));
        if (scale && r.deploymentId !== undefined && r.version !== undefined) {
          return sendDeployment(reply, { deploymentId: r.deploymentId, version: r.version });
        }
        if (path.kind === 'task') {
          const killed = r.killed[0] ?? targets[0];
          return sendJson(reply, 200, { task: taskJson(killed, a.value) });
        }
        return sendJson(reply, 200, { tasks: r.killed.map((i) => taskJson(i, a.value)) });
      }
      default:
        return sendError(reply, ERRORS.notFound(`No route for DELETE ${request.url.split('?')[0]}`));
    }
  });

  // ---- helpers over groups -----------------------------------------------------------------------
  const groupOf = (raw: string): Result<Group> => {
    const id = raw === '' ? urlPathId('/') : urlPathId(raw);
    const g = id === undefined ? undefined : findGroup(service.rootGroup(), id);
    return g === undefined ? fail(ERRORS.unknownGroup(displayId(raw))) : ok(g);
  };

  /** `/v2/apps/{id}/tasks` names one app; `/v2/apps/{group}/*\/tasks` all apps of a group. */
  const appsForTasks = (raw: string): Result<readonly AppDefinition[]> => {
    const star = raw.match(/^(.*?)\/?\*$/);
    if (star !== null) {
      const g = groupOf(star[1]);
      return g.ok ? ok(transitiveApps(g.value)) : g;
    }
    const a = existing(raw);
    return a.ok ? ok([a.value]) : a;
  };
}

export function transitiveApps(g: Group): AppDefinition[] {
  return [...g.apps, ...g.groups.flatMap(transitiveApps)];
}
