/**
 * `/v2/groups`: show a group (embedding sub-groups and apps as `embed` asks: `group.groups`,
 * `group.apps`, `group.apps.tasks`, ...; both groups and apps when none is given), create
 * (POST), replace or scale (PUT, `{scaleBy}`), delete, a group's versions, and
 * `/v2/groups/{id}/apps` (the subtree's apps, as a JSON array).
 *
 * Group JSON leaves out `enforceRole`: python-marathon's `MarathonGroup` refuses unknown fields.
 * Only the current version of a group is known to the core (the port keeps app versions, not
 * group versions), so `/versions` lists that one and a rollback to another version is a 404.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppDefinition, Group, PathId } from '../model.ts';
import { findGroup, groupToJson, parseGroup } from '../app/group.ts';
import { ROOT } from '../app/path-id.ts';
import { appInfoJson, resolveAppEmbed, type AppEmbed } from './app-info.ts';
import { transitiveApps } from './apps-routes.ts';
import { absoluteUrl, displayId, sendDeployment, sendJson, urlPathId, type RouteContext } from './context.ts';
import { ERRORS, fromServiceError, sendError } from './errors.ts';
import { boolParams, isObject, listParam, parseJsonBody, type Query } from './query.ts';

type Req = FastifyRequest<{ Querystring: Query; Params: { '*'?: string } }>;

interface GroupEmbed { readonly groups: boolean; readonly apps: boolean; readonly app: Set<AppEmbed> }

export function resolveGroupEmbed(values: readonly string[]): GroupEmbed {
  const given = values.length === 0 ? ['group.groups', 'group.apps'] : values;
  return {
    groups: given.includes('group.groups'),
    apps: given.includes('group.apps') || given.some((v) => v.startsWith('group.apps.')),
    app: resolveAppEmbed(given.filter((v) => v.startsWith('group.apps.'))),
  };
}

/** Drops what is not embedded, at every level, and `enforceRole`. */
function shape(json: Record<string, unknown>, embed: GroupEmbed): Record<string, unknown> {
  const { enforceRole: _enforceRole, groups, apps, ...rest } = json;
  return {
    ...rest,
    ...(embed.apps ? { apps } : {}),
    ...(embed.groups ? { groups: (groups as Record<string, unknown>[] | undefined ?? []).map((g) => shape(g, embed)) } : {}),
  };
}

export function registerGroupsRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { service } = ctx;

  const appJson = (embed: ReadonlySet<AppEmbed>) => (a: AppDefinition) => appInfoJson(a, {
    instances: service.instances(a.id),
    deployments: service.deployments(),
    lastTaskFailure: service.lastTaskFailure(a.id),
    readiness: service.readiness(a.id),
    nowMs: ctx.clock.now(),
  }, embed);

  const suffixOf = (request: Req): string => request.params['*'] ?? '';

  const show = (request: Req, reply: FastifyReply, raw: string) => {
    const id = raw === '' ? ROOT : urlPathId(raw);
    const g = id === undefined ? undefined : findGroup(service.rootGroup(), id);
    if (g === undefined) return sendError(reply, ERRORS.unknownGroup(displayId(raw)));
    const embed = resolveGroupEmbed(listParam(request.query, 'embed'));
    return sendJson(reply, 200, shape(groupToJson(g, appJson(embed.app)), embed));
  };

  const get = (request: Req, reply: FastifyReply) => {
    const suffix = suffixOf(request).replace(/\/+$/, '');
    let m: RegExpMatchArray | null;
    if ((m = suffix.match(/^(.*)\/versions$/)) !== null || suffix === 'versions') {
      const raw = m?.[1] ?? '';
      const g = groupAt(raw);
      if (g === undefined) return sendError(reply, ERRORS.unknownGroup(displayId(raw)));
      return sendJson(reply, 200, [g.version]);
    }
    if ((m = suffix.match(/^(.*)\/versions\/([^/]+)$/)) !== null) {
      const g = groupAt(m[1]);
      if (g === undefined || g.version !== m[2]) return sendError(reply, ERRORS.unknownGroup(displayId(m[1]), m[2]));
      const embed = resolveGroupEmbed([]);
      return sendJson(reply, 200, shape(groupToJson(g, appJson(embed.app)), embed));
    }
    if ((m = suffix.match(/^(?:(.*)\/)?apps$/)) !== null) {
      // Marathon: `/v2/groups/{id}/apps` lists the apps of the group's subtree.
      const g = groupAt(m[1] ?? '');
      if (g === undefined) return sendError(reply, ERRORS.unknownGroup(displayId(m[1] ?? '')));
      const embed = resolveAppEmbed(listParam(request.query, 'embed'));
      return sendJson(reply, 200, transitiveApps(g).map(appJson(embed)));
    }
    return show(request, reply, suffix);
  };

  const groupAt = (raw: string): Group | undefined => {
    const id = raw === '' ? ROOT : urlPathId(raw);
    return id === undefined ? undefined : findGroup(service.rootGroup(), id);
  };

  const create = async (request: Req, reply: FastifyReply) => {
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const raw = suffixOf(request);
    const base = raw === '' ? ROOT : urlPathId(raw);
    if (base === undefined) return sendError(reply, ERRORS.invalidObject([{ path: '/id', errors: [`'${displayId(raw)}' is not a valid path id`] }]));
    const body = parseJsonBody(request.body);
    if (!body.ok) return sendError(reply, body.error);
    if (!isObject(body.value)) return sendError(reply, ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsobject'] }]));
    const json = body.value.id === undefined ? { ...body.value, id: base } : body.value;
    const parsed = parseGroup(json, { now: ctx.nowIso(), base, defaultRole: ctx.config.role });
    if (!parsed.ok) return sendError(reply, ERRORS.invalidObject(parsed.details));
    const g = parsed.value;
    if (findGroup(service.rootGroup(), g.id) !== undefined) {
      return sendError(reply, ERRORS.groupExists(g.id));
    }
    if (service.app(g.id) !== undefined) {
      return sendError(reply, ERRORS.appPathExists(g.id));
    }
    const r = await service.putGroup(g, { force: flags.value.force, create: true });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    reply.header('Location', absoluteUrl(request, `/v2/groups${g.id === ROOT ? '' : g.id}`));
    return sendDeployment(reply, r, 201);
  };

  const update = async (request: Req, reply: FastifyReply) => {
    const flags = boolParams(request.query, { force: false, dryRun: false });
    if (!flags.ok) return sendError(reply, flags.error);
    // A dry run answers the plan's steps; the planner is not behind the service port, and going
    // ahead with the change instead would do what the client asked not to.
    if (flags.value.dryRun) return sendError(reply, ERRORS.notImplemented('dryRun is not supported by this marathon'));
    const raw = suffixOf(request);
    const id: PathId | undefined = raw === '' ? ROOT : urlPathId(raw);
    if (id === undefined) return sendError(reply, ERRORS.invalidObject([{ path: '/id', errors: [`'${displayId(raw)}' is not a valid path id`] }]));
    const body = parseJsonBody(request.body);
    if (!body.ok) return sendError(reply, body.error);
    if (!isObject(body.value)) return sendError(reply, ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsobject'] }]));
    const previous = findGroup(service.rootGroup(), id);
    const { scaleBy, version } = body.value;
    if (scaleBy !== undefined) {
      if (typeof scaleBy !== 'number' || !Number.isFinite(scaleBy) || scaleBy < 0) {
        return sendError(reply, ERRORS.invalidObject([{ path: '/scaleBy', errors: ['must be a non-negative number'] }]));
      }
      if (previous === undefined) return sendError(reply, ERRORS.unknownGroup(id));
      const r = await service.scaleGroup(id, scaleBy, { force: flags.value.force });
      if (!r.ok) return sendError(reply, fromServiceError(r));
      return sendDeployment(reply, r);
    }
    if (typeof version === 'string') {
      if (previous === undefined || previous.version !== version) return sendError(reply, ERRORS.unknownGroup(id, version));
      const r = await service.putGroup({ ...previous, version: ctx.nowIso() }, { force: flags.value.force, create: false });
      if (!r.ok) return sendError(reply, fromServiceError(r));
      return sendDeployment(reply, r);
    }
    const json = body.value.id === undefined ? { ...body.value, id } : body.value;
    const parsed = parseGroup(json, { now: ctx.nowIso(), base: id, defaultRole: ctx.config.role, ...(previous !== undefined ? { previous } : {}) });
    if (!parsed.ok) return sendError(reply, ERRORS.invalidObject(parsed.details));
    const r = await service.putGroup(parsed.value, { force: flags.value.force, create: previous === undefined });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    return sendDeployment(reply, r);
  };

  const remove = async (request: Req, reply: FastifyReply) => {
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const raw = suffixOf(request);
    const g = groupAt(raw);
    if (g === undefined) return sendError(reply, ERRORS.unknownGroup(displayId(raw)));
    const r = await service.deleteGroup(g.id, { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    return sendDeployment(reply, r);
  };

  for (const path of ['/v2/groups', '/v2/groups/*']) {
    app.get(path, get);
    app.post(path, create);
    app.put(path, update);
    app.delete(path, remove);
  }
}
