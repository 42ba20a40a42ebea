/**
 * Mesos' legacy maintenance endpoints on the master (src/master/http.cpp): `/maintenance/schedule`
 * (GET the schedule, POST a new one), `/maintenance/status` (GET), `/machine/down` and
 * `/machine/up` (POST a JSON array of MachineIDs), each also under `/master/` as Mesos serves
 * them. JSON only; a body that is not the expected JSON is a 400 naming the field, a rejected
 * change is the master's 400 with Mesos' text; success is an empty 200. Followers redirect.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { codec, ProtoError } from '../../proto/codec.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { OperatorEndpoint, OperatorOutcome } from '../operator-endpoint.ts';
import { answeredByLeaderCheck, type LeaderCheck } from './leader-check.ts';
import { sendMethodNotAllowed, sendText } from './text-response.ts';

export interface LegacyMaintenanceDeps {
  readonly operator: OperatorEndpoint;
  readonly leader?: LeaderCheck;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

function bodyJson(request: FastifyRequest): Parsed<unknown> {
  const raw = request.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return { ok: false, message: `Failed to parse JSON: ${(e as Error).message}` };
  }
}

function parseAs<T>(typeName: string, value: unknown, path: string): Parsed<T> {
  try {
    return { ok: true, value: codec<T>(typeName).fromJson(value) };
  } catch (e) {
    if (e instanceof ProtoError) return { ok: false, message: `Failed to convert JSON into a ${typeName.split('.').at(-1)} protobuf: ${path}${e.message}` };
    throw e;
  }
}

/** The body of /machine/down and /machine/up: a JSON array of MachineIDs. */
export function parseMachineIds(request: FastifyRequest): Parsed<mesos.v1.MachineID[]> {
  const json = bodyJson(request);
  if (!json.ok) return json;
  if (!Array.isArray(json.value)) return { ok: false, message: 'Expecting a JSON array of machines ({"hostname": ..., "ip": ...})' };
  const ids: mesos.v1.MachineID[] = [];
  for (const [i, item] of json.value.entries()) {
    const id = parseAs<mesos.v1.MachineID>('mesos.v1.MachineID', item, `[${i}]: `);
    if (!id.ok) return id;
    ids.push(id.value);
  }
  return { ok: true, value: ids };
}

function answer(reply: FastifyReply, outcome: OperatorOutcome): void {
  if (!outcome.ok) {
    sendText(reply, outcome.status, outcome.message);
    return;
  }
  if (outcome.written === undefined) {
    reply.code(200).send();
    return;
  }
  outcome.written.then(() => reply.code(200).send(), (err: Error) => sendText(reply, 503, `Failed to update the registry: ${err.message}`));
}

function sendJson(reply: FastifyReply, json: unknown): void {
  reply.code(200).type('application/json').send(JSON.stringify(json));
}

export function registerLegacyMaintenanceEndpoints(app: FastifyInstance, deps: LegacyMaintenanceDeps): void {
  const { operator } = deps;
  const route = (path: string, methods: readonly ('GET' | 'POST')[], handle: (request: FastifyRequest, reply: FastifyReply) => void) => {
    for (const url of [path, `/master${path}`]) {
      app.route({
        method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'], url,
        handler: (request, reply) => {
          if (answeredByLeaderCheck(deps.leader, request, reply)) return;
          if (!(methods as readonly string[]).includes(request.method)) {
            sendMethodNotAllowed(reply, methods, request.method);
            return;
          }
          handle(request, reply);
        },
      });
    }
  };

  route('/maintenance/schedule', ['GET', 'POST'], (request, reply) => {
    if (request.method === 'GET') {
      sendJson(reply, codec('mesos.v1.maintenance.Schedule').toJson(operator.getMaintenanceSchedule()));
      return;
    }
    const json = bodyJson(request);
    if (!json.ok) return void sendText(reply, 400, json.message);
    if (json.value === null || typeof json.value !== 'object' || Array.isArray(json.value)) {
      return void sendText(reply, 400, 'Expecting a JSON object: the maintenance schedule ({"windows": [...]})');
    }
    const schedule = parseAs<mesos.v1.maintenance.Schedule>('mesos.v1.maintenance.Schedule', json.value, '');
    if (!schedule.ok) return void sendText(reply, 400, schedule.message);
    answer(reply, operator.updateMaintenanceSchedule(schedule.value));
  });
  route('/maintenance/status', ['GET'], (_request, reply) => {
    sendJson(reply, codec('mesos.v1.maintenance.ClusterStatus').toJson(operator.getMaintenanceStatus()));
  });
  route('/machine/down', ['POST'], (request, reply) => {
    const ids = parseMachineIds(request);
    if (!ids.ok) return void sendText(reply, 400, ids.message);
    answer(reply, operator.startMaintenance(ids.value));
  });
  route('/machine/up', ['POST'], (request, reply) => {
    const ids = parseMachineIds(request);
    if (!ids.ok) return void sendText(reply, 400, ids.message);
    answer(reply, operator.stopMaintenance(ids.value));
  });
}
