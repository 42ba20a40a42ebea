/**
 * What every route of the batch REST API shares: the core (`BatchService`) and the steps each
 * route takes before it may touch it, in Metronome's order (path binding, query binding, then the
 * JSON body): a refused step has already answered and the route stops (`undefined`).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { BatchService } from '../ports.ts';
import type { Parsed } from '../spec/parsed.ts';
import { ERRORS, sendError } from './errors.ts';
import { isJobId } from '../spec/parse-job.ts';
import { parseBooleanParam, parseEmbeds, parseJsonBody, requestPath, type Embed } from './request-params.ts';

export interface RouteContext {
  readonly service: BatchService;
}

type Params = Readonly<Record<string, string | undefined>>;
type Query = Readonly<Record<string, unknown>>;

/** The `:jobId` path parameter when it is a job id; otherwise answers 400. */
export function jobIdParam(request: FastifyRequest, reply: FastifyReply): string | undefined {
  const raw = (request.params as Params).jobId ?? '';
  if (isJobId(raw)) return raw;
  sendError(reply, ERRORS.invalidId(raw, requestPath(request.url)));
  return undefined;
}

/** A path parameter other than the job id (run and schedule ids are matched as given). */
export function param(request: FastifyRequest, name: string): string {
  return (request.params as Params)[name] ?? '';
}

/** The `embed` query; answers 400 on an unknown name. */
export function embedsQuery(request: FastifyRequest, reply: FastifyReply): ReadonlySet<Embed> | undefined {
  const embeds = parseEmbeds((request.query as Query).embed);
  if (embeds === undefined) sendError(reply, ERRORS.unknownEmbed(requestPath(request.url)));
  return embeds;
}

/** A Boolean query flag; answers 400 when it is neither true, false, 1 nor 0. */
export function booleanQuery(request: FastifyRequest, reply: FastifyReply, name: string, fallback: boolean): boolean | undefined {
  const value = parseBooleanParam((request.query as Query)[name], fallback);
  if (value === undefined) sendError(reply, ERRORS.invalidBoolean(name, requestPath(request.url)));
  return value;
}

/** The body read as JSON (400) and then by `parse` (422). */
export function bodyAs<T>(request: FastifyRequest, reply: FastifyReply, parse: (json: unknown) => Parsed<T>): T | undefined {
  const json = parseJsonBody(request.body);
  if (!json.ok) {
    sendError(reply, ERRORS.invalidJson(json.detail, requestPath(request.url)));
    return undefined;
  }
  const parsed = parse(json.value);
  if (!parsed.ok) {
    sendError(reply, ERRORS.invalidObject(parsed.details));
    return undefined;
  }
  return parsed.value;
}
