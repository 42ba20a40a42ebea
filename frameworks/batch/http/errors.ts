/**
 * The error catalogue of the batch REST API (`/v1/jobs`): every refusal the HTTP layer answers,
 * with Metronome's status code and JSON body. Metronome has three families of bodies:
 *  - Play's client errors (bad JSON, a bad path or query parameter, an unknown route):
 *    `{"message", "requestPath"}`, both HTML-escaped (Metronome's ErrorHandler does so against XSS);
 *  - validation: 422 `{"message":"Object is not valid","details":[{"path","errors":[...]}]}`;
 *  - the controllers' own: `{"message"}` (409s), `{"id","message":"Job not found"}`,
 *    `{"id","message":"Schedule not found"}`, `{"jobSpec","id","message":"Job Run not found"}`.
 * Handlers build an `HttpError` value and `sendError` writes it; nothing here throws.
 *
 * Invariants: every body has a string `message` (except a 500, which is `{"requestPath"}` as in
 * Metronome); `details` entries are `{path, errors[]}`.
 */
import type { FastifyReply } from 'fastify';
import type { BatchError } from '../ports.ts';
import type { ValidationDetail } from '../spec/parsed.ts';

export interface HttpError {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Twirl's HtmlFormat.escape, which Metronome applies to client-error messages and paths. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;' })[c] as string);
}

const clientError = (status: number, message: string, requestPath: string): HttpError =>
  ({ status, body: { message: escapeHtml(message), requestPath: escapeHtml(requestPath) } });

/** Metronome's path binder accepts these names only; see model.ts. */
export const EMBED_NAMES = ['activeRuns', 'schedules', 'history', 'historySummary'] as const;

/** The catalogue, by code: what each refusal is and its status. */
export const ERRORS = {
  /** Play's JSON body parser: the body is not JSON. */
  invalidJson: (detail: string, requestPath: string) => clientError(400, `Invalid Json: ${detail}`, requestPath),
  /** A path segment that is no job id (Metronome's JobId binder). */
  invalidId: (raw: string, requestPath: string) => clientError(400, `Not a valid id: ${raw}`, requestPath),
  unknownEmbed: (requestPath: string) =>
    clientError(400, `Unknown embed options. Valid options are: ${EMBED_NAMES.join(', ')}`, requestPath),
  /** Play's Boolean query binder. */
  invalidBoolean: (name: string, requestPath: string) =>
    clientError(400, `Cannot parse parameter ${name} as Boolean: should be true, false, 0 or 1`, requestPath),
  unknownRoute: (requestPath: string) => clientError(404, 'Unknown route.', requestPath),
  bodyTooLarge: (requestPath: string) => clientError(413, 'Request Entity Too Large', requestPath),
  invalidObject: (details: readonly ValidationDetail[]): HttpError => ({ status: 422, body: { message: 'Object is not valid', details } }),
  unknownJob: (id: string): HttpError => ({ status: 404, body: { id, message: 'Job not found' } }),
  unknownSchedule: (id: string): HttpError => ({ status: 404, body: { id, message: 'Schedule not found' } }),
  unknownJobRun: (jobId: string, runId: string): HttpError => ({ status: 404, body: { jobSpec: jobId, id: runId, message: 'Job Run not found' } }),
  jobExists: (): HttpError => ({ status: 409, body: { message: 'Job with this id already exists' } }),
  activeRuns: (): HttpError => ({ status: 409, body: { message: 'There are active job runs. Override with stopCurrentJobRuns=true' } }),
  scheduleExists: (id: string): HttpError => ({ status: 409, body: { message: `A schedule with id ${id} already exists` } }),
  internal: (requestPath: string): HttpError => ({ status: 500, body: { requestPath: escapeHtml(requestPath) } }),
} as const;

export type ErrorCode = keyof typeof ERRORS;

/**
 * A refusal of the core as the REST layer answers it. A 404 takes the shape of what the route
 * looked up (`notFound`), since Metronome's 404 bodies name the missing id; others keep the core's
 * message (and details, for a 422).
 */
export function fromBatchError(e: BatchError, notFound: HttpError): HttpError {
  if (e.status === 404) return notFound;
  if (e.status === 422) return ERRORS.invalidObject(e.details ?? [{ path: '/', errors: [e.message] }]);
  return { status: e.status, body: { message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) } };
}

export function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  return reply.code(e.status).type('application/json').send(JSON.stringify(e.body));
}

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}
