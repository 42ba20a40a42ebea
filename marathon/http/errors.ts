/**
 * The error catalogue of marathon's REST API: every refusal the HTTP layer answers, with
 * Marathon 1.x's status code and JSON body (`{"message": ...}`, plus `details` for 400/422 and
 * `deployments` for a 409 lock). Handlers build an `HttpError` value and `sendError` writes it;
 * nothing here throws.
 *
 * Invariants: every body has a string `message`; `details` entries are `{path, errors[]}`.
 */
import type { FastifyReply } from 'fastify';
import type { ServiceError, ValidationDetail } from '../ports.ts';

export interface HttpError {
  readonly status: number;
  readonly body: {
    readonly message: string;
    readonly details?: readonly ValidationDetail[];
    readonly deployments?: readonly { readonly id: string }[];
  };
}

const error = (status: number, message: string, extra: Omit<HttpError['body'], 'message'> = {}): HttpError =>
  ({ status, body: { message, ...extra } });

/** The catalogue, by code: what each refusal is and its status. */
export const ERRORS = {
  invalidJson: (details: readonly ValidationDetail[]) => error(400, 'Invalid JSON', { details }),
  badRequest: (message: string) => error(400, message),
  invalidObject: (details: readonly ValidationDetail[]) => error(422, 'Object is not valid', { details }),
  unknownApp: (id: string, version?: string) => error(404, `App '${id}' does not exist${version === undefined ? '' : ` in version ${version}`}`),
  unknownGroup: (id: string, version?: string) => error(404, `Group '${id}' does not exist${version === undefined ? '' : ` in version ${version}`}`),
  unknownTask: (id: string) => error(404, `Task '${id}' does not exist`),
  unknownDeployment: (id: string) => error(404, `DeploymentPlan ${id} does not exist`),
  notInQueue: (id: string) => error(404, `Application ${id} not found in tasks queue.`),
  appExists: (id: string) => error(409, `An app with id [${id}] already exists.`),
  appLocked: (deploymentIds: readonly string[]) => error(409,
    `App is locked by one or more deployments. Override with the option '?force=true'. View details at '/v2/deployments/<DEPLOYMENT_ID>'.`,
    { deployments: deploymentIds.map((id) => ({ id })) }),
  groupExists: (id: string) => error(409, `Group ${id} is already created. Use PUT to change this group.`),
  appPathExists: (id: string) => error(409, `An app with the path ${id} already exists.`),
  methodNotAllowed: (message: string) => error(405, message),
  bodyTooLarge: (message: string) => error(413, message),
  noLeader: () => error(503, 'Could not determine the current leader'),
  leaderUnreachable: (leader: string) => error(502, `Could not reach the current leader at ${leader}`),
  notImplemented: (message: string) => error(501, message),
  notFound: (message: string) => error(404, message),
  internal: (message: string) => error(500, message),
} as const;

export type ErrorCode = keyof typeof ERRORS;

/** A refusal of the core (ServiceError), as the REST layer answers it. */
export function fromServiceError(e: ServiceError): HttpError {
  return {
    status: e.status,
    body: {
      message: e.message,
      ...(e.details !== undefined ? { details: e.details } : {}),
      ...(e.deployments !== undefined ? { deployments: e.deployments } : {}),
    },
  };
}

export function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  return reply.code(e.status).type('application/json').send(JSON.stringify(e.body));
}

/** A handler's outcome: a value or a refusal. */
export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: HttpError };
export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = <T = never>(e: HttpError): Result<T> => ({ ok: false, error: e });
