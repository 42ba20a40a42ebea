/**
 * `/v2/pods` (Marathon 1.4+ pods, over the core's `PodService` port): HEAD (pods supported), list,
 * create, show, replace, delete, status (one pod or all), versions, and killing pod instances.
 * Pod ids hold slashes and Marathon's sub-resources follow a `::` (`/v2/pods/a/b::status`), so
 * every `/v2/pods/*` method reads the whole suffix and `splitPodPath` names what it asks for.
 *
 * Order of checks, so that a refused request changes nothing: query flags (400), body JSON (400),
 * ids (400/422), the pod's existence (404), the definition (422), then one call of the core,
 * whose refusal (404/409/422/503) is answered as it is.
 *
 * Marathon 1.x facts kept: HEAD answers 200 with no body; POST is 201 with the pod JSON and the
 * `Marathon-Deployment-Id` header, 409 "A pod with id [/x] already exists."; PUT creates or
 * replaces (200, the pod JSON, the header; a body id other than the URL's is a 400); DELETE is
 * 202 with the header and no body; `force` defaults to false everywhere; the kill routes take
 * `wipe`, ids that match `<pod>.instance-<uuid>` (else 422), answer PodInstanceStatus JSON, and
 * name an unknown pod as Marathon's TaskKiller does ("Path '/x' does not exist").
 * C/U/D publish `pod_created_event` / `pod_updated_event` / `pod_deleted_event` {clientIp, uri}.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Instance, MarathonEvent, PathId, Timestamp } from '../model.ts';
import type { PodDefinition } from '../pod/pod-definition.ts';
import type { PodService } from '../ports.ts';
import { parsePod } from '../pod/parse-pod.ts';
import { podToJson } from '../pod/pod-json.ts';
import { podInstanceStatusJson, podStatusJson } from '../pod/pod-status.ts';
import { absoluteUrl, DEPLOYMENT_HEADER, displayId, sendJson, urlPathId, type RouteContext } from './context.ts';
import { ERRORS, fail, fromServiceError, ok, sendError, type HttpError, type Result } from './errors.ts';
import { boolParams, isObject, parseJsonBody, type Query } from './query.ts';

type Req = FastifyRequest<{ Querystring: Query; Params: { '*': string } }>;

/** What a `/v2/pods/*` suffix names. */
export type PodPath =
  | { readonly kind: 'pod'; readonly raw: string }
  | { readonly kind: 'allStatus' }
  | { readonly kind: 'status'; readonly raw: string }
  | { readonly kind: 'versions'; readonly raw: string }
  | { readonly kind: 'version'; readonly raw: string; readonly version: string }
  | { readonly kind: 'instances'; readonly raw: string }
  | { readonly kind: 'instance'; readonly raw: string; readonly instanceId: string };

/** Marathon's `Instance.Id` pattern (`<run spec>.instance-<uuid>`, or the older `.marathon-<uuid>`). */
export const INSTANCE_ID_PATTERN = /^(.+)\.(instance-|marathon-)([^.]+)$/;

/** `suffix`: the URL after `/v2/pods/`, as Fastify hands it over (already percent-decoded). */
export function splitPodPath(suffix: string): PodPath {
  const s = suffix.replace(/\/+$/, '');
  let m: RegExpMatchArray | null;
  if (s === '::status') return { kind: 'allStatus' };
  if ((m = s.match(/^(.+)::status$/)) !== null) return { kind: 'status', raw: m[1] };
  if ((m = s.match(/^(.+)::versions$/)) !== null) return { kind: 'versions', raw: m[1] };
  if ((m = s.match(/^(.+)::versions\/([^/]+)$/)) !== null) return { kind: 'version', raw: m[1], version: m[2] };
  if ((m = s.match(/^(.+)::instances$/)) !== null) return { kind: 'instances', raw: m[1] };
  if ((m = s.match(/^(.+)::instances\/([^/]+)$/)) !== null) return { kind: 'instance', raw: m[1], instanceId: m[2] };
  return { kind: 'pod', raw: s };
}

const unknownPod = (id: string): HttpError => ERRORS.notFound(`Pod '${id}' does not exist`);
const podExists = (id: string): HttpError => ({ status: 409, body: { message: `A pod with id [${id}] already exists.` } });
/** Marathon's TaskKiller names the run spec it cannot find as a path. */
const unknownPath = (id: string): HttpError => ERRORS.notFound(`Path '${id}' does not exist`);
const badInstanceIds = (path: string): HttpError => ERRORS.invalidObject([
  { path, errors: [`must fully match regular expression '${INSTANCE_ID_PATTERN.source}'`] },
]);

const podEvent = (kind: 'created' | 'updated' | 'deleted', clientIp: string, uri: string, now: Timestamp): MarathonEvent =>
  ({ eventType: `pod_${kind}_event`, timestamp: now, clientIp, uri });

export function registerPodsRoutes(app: FastifyInstance, ctx: RouteContext, pods: PodService): void {
  const { service } = ctx;

  const existing = (raw: string, notFound: (id: string) => HttpError = unknownPod): Result<PodDefinition> => {
    const id = urlPathId(raw);
    const found = id === undefined ? undefined : pods.pod(id);
    return found === undefined ? fail(notFound(id ?? displayId(raw))) : ok(found);
  };
  const instancesOf = (id: PathId): readonly Instance[] => service.instances(id);
  /** The definitions the pod's instances run (older versions from the store), for their status. */
  const specsOf = async (pod: PodDefinition, instances: readonly Instance[]): Promise<ReadonlyMap<Timestamp, PodDefinition>> => {
    const specs = new Map<Timestamp, PodDefinition>([[pod.version, pod]]);
    for (const v of new Set(instances.map((i) => i.version))) {
      if (specs.has(v)) continue;
      const def = await pods.podVersion(pod.id, v);
      if (def !== undefined) specs.set(v, def);
    }
    return specs;
  };
  /** Marathon's pod status: TERMINAL while a deployment stops the pod. */
  const statusOf = async (pod: PodDefinition) => {
    const instances = instancesOf(pod.id);
    const specs = await specsOf(pod, instances);
    const terminating = service.deployments().some((d) =>
      d.steps.some((s) => s.actions.some((a) => a.action === 'StopPod' && a.app === pod.id)));
    return podStatusJson(pod, instances, { now: ctx.nowIso(), terminating, specAt: (v) => specs.get(v) });
  };
  /** One instance's PodInstanceStatus, against the definition it runs. */
  const instanceStatus = async (pod: PodDefinition, i: Instance) =>
    podInstanceStatusJson((await specsOf(pod, [i])).get(i.version) ?? pod, i);
  const publish = (request: FastifyRequest, kind: 'created' | 'updated' | 'deleted') =>
    ctx.publish(podEvent(kind, request.ip, request.url.split('?')[0], ctx.nowIso()));

  /** The body as a JSON object, or Marathon's 400. */
  const objectBody = (request: Req): Result<Record<string, unknown>> => {
    const body = parseJsonBody(request.body);
    if (!body.ok) return body;
    if (!isObject(body.value)) return fail(ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsobject'] }]));
    return ok(body.value);
  };

  // ---- /v2/pods ---------------------------------------------------------------------------------
  // Declared before the GET, so Fastify adds no HEAD of its own (that one would carry the list's headers).
  app.head('/v2/pods', (_request, reply) => reply.code(200).send());

  app.get('/v2/pods', (_request, reply) => sendJson(reply, 200, pods.pods().map(podToJson)));

  app.post('/v2/pods', async (request: Req, reply) => {
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const body = objectBody(request);
    if (!body.ok) return sendError(reply, body.error);
    const parsed = parsePod(body.value, { now: ctx.nowIso(), defaultRole: ctx.config.role });
    if (!parsed.ok) return sendError(reply, ERRORS.invalidObject(parsed.details));
    const def = parsed.value;
    if (pods.pod(def.id) !== undefined) return sendError(reply, podExists(def.id));
    const r = await pods.createPod(def, { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    publish(request, 'created');
    reply.header('Location', absoluteUrl(request, `/v2/pods${def.id}`)).header(DEPLOYMENT_HEADER, r.deploymentId);
    return sendJson(reply, 201, podToJson(pods.pod(def.id) ?? def));
  });

  // ---- /v2/pods/* -------------------------------------------------------------------------------
  const notRouted = (request: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, ERRORS.notFound(`No route for ${request.method} ${request.url.split('?')[0]}`));

  app.get('/v2/pods/*', async (request: Req, reply) => {
    const path = splitPodPath(request.params['*']);
    switch (path.kind) {
      case 'pod': {
        if (path.raw === '') return sendJson(reply, 200, pods.pods().map(podToJson));
        const p = existing(path.raw);
        if (!p.ok) return sendError(reply, p.error);
        return sendJson(reply, 200, podToJson(p.value));
      }
      case 'allStatus':
        return sendJson(reply, 200, await Promise.all(pods.pods().map(statusOf)));
      case 'status': {
        const p = existing(path.raw);
        if (!p.ok) return sendError(reply, p.error);
        return sendJson(reply, 200, await statusOf(p.value));
      }
      case 'versions': {
        const p = existing(path.raw);
        if (!p.ok) return sendError(reply, p.error);
        const versions = await pods.podVersions(p.value.id);
        if (versions === undefined) return sendError(reply, unknownPod(p.value.id));
        return sendJson(reply, 200, versions);
      }
      case 'version': {
        const p = existing(path.raw);
        if (!p.ok) return sendError(reply, p.error);
        const def = await pods.podVersion(p.value.id, path.version);
        if (def === undefined) return sendError(reply, unknownPod(p.value.id));
        return sendJson(reply, 200, podToJson(def));
      }
      default:
        return notRouted(request, reply);
    }
  });

  app.put('/v2/pods/*', async (request: Req, reply) => {
    const path = splitPodPath(request.params['*']);
    if (path.kind !== 'pod' || path.raw === '') return notRouted(request, reply);
    const flags = boolParams(request.query, { force: false });
    if (!flags.ok) return sendError(reply, flags.error);
    const id = urlPathId(path.raw);
    if (id === undefined) return sendError(reply, ERRORS.invalidObject([{ path: '/id', errors: [`'${displayId(path.raw)}' is not a valid path id`] }]));
    const body = objectBody(request);
    if (!body.ok) return sendError(reply, body.error);
    // Marathon requires the definition's id to name the URL's pod; an absent id takes the URL's.
    const bodyId = body.value.id;
    if (bodyId !== undefined && (typeof bodyId !== 'string' || urlPathId(bodyId) !== id)) {
      return sendError(reply, ERRORS.badRequest(`'${id}' does not match definition's id ('${String(bodyId)}')`));
    }
    const previous = pods.pod(id);
    const parsed = parsePod({ ...body.value, id }, {
      now: ctx.nowIso(), defaultRole: ctx.config.role, ...(previous !== undefined ? { previous } : {}),
    });
    if (!parsed.ok) return sendError(reply, ERRORS.invalidObject(parsed.details));
    const r = await pods.putPod(parsed.value, { force: flags.value.force });
    if (!r.ok) return sendError(reply, fromServiceError(r));
    publish(request, previous === undefined ? 'created' : 'updated');
    reply.header(DEPLOYMENT_HEADER, r.deploymentId);
    return sendJson(reply, 200, podToJson(pods.pod(id) ?? parsed.value));
  });

  app.delete('/v2/pods/*', async (request: Req, reply) => {
    const path = splitPodPath(request.params['*']);
    switch (path.kind) {
      case 'pod': {
        if (path.raw === '') return notRouted(request, reply);
        const flags = boolParams(request.query, { force: false });
        if (!flags.ok) return sendError(reply, flags.error);
        const p = existing(path.raw);
        if (!p.ok) return sendError(reply, p.error);
        const r = await pods.deletePod(p.value.id, { force: flags.value.force });
        if (!r.ok) return sendError(reply, fromServiceError(r));
        publish(request, 'deleted');
        return reply.code(202).header(DEPLOYMENT_HEADER, r.deploymentId).send();
      }
      case 'instance':
      case 'instances': {
        const flags = boolParams(request.query, { wipe: false });
        if (!flags.ok) return sendError(reply, flags.error);
        let wanted: ReadonlySet<string>;
        if (path.kind === 'instance') {
          if (!INSTANCE_ID_PATTERN.test(path.instanceId)) return sendError(reply, badInstanceIds('/'));
          wanted = new Set([path.instanceId]);
        } else {
          const body = parseJsonBody(request.body);
          if (!body.ok) return sendError(reply, body.error);
          const ids = body.value;
          if (!Array.isArray(ids) || ids.some((x) => typeof x !== 'string')) {
            return sendError(reply, ERRORS.invalidJson([{ path: '/', errors: ['error.expected.jsarray of instance ids'] }]));
          }
          const bad = (ids as string[]).findIndex((x) => !INSTANCE_ID_PATTERN.test(x));
          if (bad >= 0) return sendError(reply, badInstanceIds(`/(${bad})`));
          wanted = new Set(ids as string[]);
        }
        const p = existing(path.raw, unknownPath);
        if (!p.ok) return sendError(reply, p.error);
        const pod = p.value;
        const found = instancesOf(pod.id).filter((i) => wanted.has(i.instanceId));
        if (path.kind === 'instance' && found.length === 0) return sendError(reply, ERRORS.unknownTask(path.instanceId));
        let killed: readonly Instance[] = found;
        if (found.length > 0) {
          const r = await service.killTasks(found.map((i) => i.instanceId), { force: false, scale: false, wipe: flags.value.wipe });
          if (!r.ok) return sendError(reply, fromServiceError(r));
          // Marathon answers every instance it found (killed or already gone), as the kill left it.
          const after = new Map(r.killed.map((i) => [i.instanceId, i]));
          killed = found.map((i) => after.get(i.instanceId) ?? i);
        }
        if (path.kind === 'instance') return sendJson(reply, 200, await instanceStatus(pod, killed[0]));
        return sendJson(reply, 200, await Promise.all(killed.map((i) => instanceStatus(pod, i))));
      }
      default:
        return notRouted(request, reply);
    }
  });
}
