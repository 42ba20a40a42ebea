/**
 * What every route of marathon's REST API shares: the core (`MarathonService`), the config, the
 * clock, the event publisher, and the small reply helpers every route answers through
 * (deployment results with Marathon's `Marathon-Deployment-Id` header, JSON bodies).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock, Timers } from '../../common/ports.ts';
import type { MarathonEvent, PathId, Timestamp } from '../model.ts';
import type { MarathonService } from '../ports.ts';
import { parsePathId } from '../app/path-id.ts';
import type { MarathonConfig } from './config.ts';

export interface RouteContext {
  readonly service: MarathonService;
  readonly config: MarathonConfig;
  readonly clock: Clock;
  readonly timers: Timers;
  /** Publishes on the bus `/v2/events` streams read (api_post_event, event_stream_attached/detached). */
  readonly publish: (event: MarathonEvent) => void;
  /** Interval of the SSE keep-alive comments. */
  readonly keepAliveMs: number;
  /** The current time as Marathon's timestamp. */
  nowIso(): Timestamp;
}

export const DEPLOYMENT_HEADER = 'Marathon-Deployment-Id';

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type('application/json').send(JSON.stringify(body));
}

/** Marathon's `deploymentResult`: `{deploymentId, version}` and the deployment header. */
export function sendDeployment(reply: FastifyReply, r: { readonly deploymentId: string; readonly version: Timestamp }, status = 200): FastifyReply {
  reply.header(DEPLOYMENT_HEADER, r.deploymentId);
  return sendJson(reply, status, { deploymentId: r.deploymentId, version: r.version });
}

/** An id taken from a URL: absolute, empty segments dropped; undefined when it is not a valid path id. */
export function urlPathId(raw: string): PathId | undefined {
  const decoded = safeDecode(raw);
  if (decoded === undefined) return undefined;
  return parsePathId(decoded.startsWith('/') ? decoded : `/${decoded}`);
}

/** The id as the client wrote it (for a 404 message about an id that cannot exist). */
export function displayId(raw: string): string {
  const decoded = safeDecode(raw) ?? raw;
  const trimmed = decoded.replace(/\/+$/, '');
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

function safeDecode(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** The absolute URL of a path on this server, for `Location` headers. */
export function absoluteUrl(request: FastifyRequest, path: string): string {
  const host = request.headers.host ?? 'localhost';
  return `${request.protocol}://${host}${path}`;
}

/** True when the client prefers text/plain over JSON (Marathon serves JSON for `*\/*`). */
export function wantsText(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/plain') && !accept.includes('application/json');
}
