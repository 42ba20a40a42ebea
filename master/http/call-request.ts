/**
 * The request steps the scheduler API and the operator API share, in Mesos' order and with its
 * answers: leader (307/503), POST (405), `Content-Type` present (400) and known (415), body
 * decodes into the call type (400), call validates (400, "Failed to validate <label>: ...").
 * `readCall` answers the request itself when a step fails and returns undefined; otherwise it
 * returns the call, and the API goes on (Accept, stream ids, the core).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answeredByLeaderCheck, type LeaderCheck } from './leader-check.ts';
import { checkContentType, MISSING_CONTENT_TYPE_MESSAGE, UNSUPPORTED_CONTENT_TYPE_MESSAGE } from './media-type.ts';
import { sendMethodNotAllowed, sendText } from './text-response.ts';
import { decodeBody } from './wire-codec.ts';

export interface CallRequestSpec<T> {
  /** The protobuf type of the body, `mesos.v1.scheduler.Call`. */
  readonly typeName: string;
  /** Structural validation; an error message or undefined. */
  readonly validate: (call: T) => string | undefined;
  /** What Mesos names in "Failed to validate <label>: ...", `scheduler::Call`. */
  readonly validationLabel: string;
  readonly leader: LeaderCheck | undefined;
}

/** The first value of a request header. */
export function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export function readCall<T>(request: FastifyRequest, reply: FastifyReply, spec: CallRequestSpec<T>): T | undefined {
  if (answeredByLeaderCheck(spec.leader, request, reply)) return undefined;
  if (request.method !== 'POST') {
    sendMethodNotAllowed(reply, ['POST'], request.method);
    return undefined;
  }
  const contentType = checkContentType(headerValue(request, 'content-type'));
  if (contentType.kind === 'missing') {
    sendText(reply, 400, MISSING_CONTENT_TYPE_MESSAGE);
    return undefined;
  }
  if (contentType.kind === 'unsupported') {
    sendText(reply, 415, UNSUPPORTED_CONTENT_TYPE_MESSAGE);
    return undefined;
  }
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const decoded = decodeBody<T>(spec.typeName, 'Call', contentType.encoding, body);
  if (!decoded.ok) {
    sendText(reply, 400, decoded.message);
    return undefined;
  }
  const invalid = spec.validate(decoded.value);
  if (invalid !== undefined) {
    sendText(reply, 400, `Failed to validate ${spec.validationLabel}: ${invalid}`);
    return undefined;
  }
  return decoded.value;
}
