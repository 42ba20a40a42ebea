/**
 * The request steps of the agent's `POST /api/v1`, in the agent's order and with its texts
 * (Mesos src/slave/http.cpp, `Http::api`), which differ from the master's: the agent also knows
 * `application/recordio` (streaming calls, with `Message-Content-Type` / `Message-Accept`), and
 * it checks `Accept` before it reads the body.
 *   503 while recovering · 405 not POST · 400 no Content-Type · 415 unknown Content-Type ·
 *   400/415 Message-Content-Type rules · 406 Accept · 406 Message-Accept rules ·
 *   400 body does not decode · 400 "Failed to validate agent::Call: ..."
 * `readAgentCall` answers the request itself when a step fails and returns undefined; otherwise
 * the call and the answer encoding. Streaming requests (recordio bodies, only
 * ATTACH_CONTAINER_INPUT in Mesos) are answered 501: no streaming call is implemented yet.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { headerValue } from '../../master/http/call-request.ts';
import { acceptsMediaType, APPLICATION_JSON, APPLICATION_PROTOBUF, bareMediaType, type Encoding } from '../../master/http/media-type.ts';
import { sendMethodNotAllowed, sendText } from '../../master/http/text-response.ts';
import { decodeBody } from '../../master/http/wire-codec.ts';
import { validateAgentCall, type AgentCall } from './agent-call-validation.ts';

export const APPLICATION_RECORDIO = 'application/recordio';
const MESSAGE_CONTENT_TYPE = 'Message-Content-Type';
const MESSAGE_ACCEPT = 'Message-Accept';

export const RECOVERING_MESSAGE = 'Agent has not finished recovery';
export const AGENT_CONTENT_TYPE_MESSAGE =
  `Expecting 'Content-Type' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF} or ${APPLICATION_RECORDIO}`;
export const AGENT_ACCEPT_MESSAGE =
  `Expecting 'Accept' to allow ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF} or ${APPLICATION_RECORDIO}`;
export const STREAMING_NOT_IMPLEMENTED_MESSAGE = `Streaming calls (${APPLICATION_RECORDIO}) are not implemented by this agent`;
export const NON_STREAMING_ACCEPT_MESSAGE = 'Request must accept json or protobuf';

type MediaKind = Encoding | 'recordio';

function kindOf(value: string): MediaKind | undefined {
  const bare = bareMediaType(value);
  if (bare === APPLICATION_JSON) return 'json';
  if (bare === APPLICATION_PROTOBUF) return 'protobuf';
  if (bare === APPLICATION_RECORDIO) return 'recordio';
  return undefined;
}

export interface AgentCallRequest {
  readonly call: AgentCall;
  readonly encoding: Encoding;
}

export function readAgentCall(request: FastifyRequest, reply: FastifyReply, recovering: boolean): AgentCallRequest | undefined {
  if (recovering) {
    sendText(reply, 503, RECOVERING_MESSAGE);
    return undefined;
  }
  if (request.method !== 'POST') {
    sendMethodNotAllowed(reply, ['POST'], request.method);
    return undefined;
  }
  const contentTypeHeader = headerValue(request, 'content-type');
  if (contentTypeHeader === undefined) {
    sendText(reply, 400, "Expecting 'Content-Type' to be present");
    return undefined;
  }
  const contentType = kindOf(contentTypeHeader);
  if (contentType === undefined) {
    sendText(reply, 415, AGENT_CONTENT_TYPE_MESSAGE);
    return undefined;
  }
  const messageContentType = headerValue(request, MESSAGE_CONTENT_TYPE.toLowerCase());
  if (contentType === 'recordio') {
    if (messageContentType === undefined) {
      sendText(reply, 400, `Expecting '${MESSAGE_CONTENT_TYPE}' to be set for streaming requests`);
      return undefined;
    }
    const kind = kindOf(messageContentType);
    if (kind !== 'json' && kind !== 'protobuf') {
      sendText(reply, 415, `Expecting '${MESSAGE_CONTENT_TYPE}' of ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}`);
      return undefined;
    }
  } else if (messageContentType !== undefined) {
    sendText(reply, 415, `Expecting '${MESSAGE_CONTENT_TYPE}' to be not set for non-streaming requests`);
    return undefined;
  }

  const accept = headerValue(request, 'accept');
  let acceptKind: MediaKind;
  if (acceptsMediaType(accept, APPLICATION_JSON)) acceptKind = 'json';
  else if (acceptsMediaType(accept, APPLICATION_PROTOBUF)) acceptKind = 'protobuf';
  else if (acceptsMediaType(accept, APPLICATION_RECORDIO)) acceptKind = 'recordio';
  else {
    sendText(reply, 406, AGENT_ACCEPT_MESSAGE);
    return undefined;
  }
  const messageAccept = headerValue(request, MESSAGE_ACCEPT.toLowerCase());
  if (acceptKind === 'recordio') {
    if (!acceptsMediaType(messageAccept, APPLICATION_JSON) && !acceptsMediaType(messageAccept, APPLICATION_PROTOBUF)) {
      sendText(reply, 406, `Expecting '${MESSAGE_ACCEPT}' to allow ${APPLICATION_JSON} or ${APPLICATION_PROTOBUF}`);
      return undefined;
    }
  } else if (messageAccept !== undefined) {
    sendText(reply, 406, `Expecting '${MESSAGE_ACCEPT}' to be not set for non-streaming responses`);
    return undefined;
  }

  if (contentType === 'recordio') {
    sendText(reply, 501, STREAMING_NOT_IMPLEMENTED_MESSAGE);
    return undefined;
  }
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const decoded = decodeBody<AgentCall>('mesos.v1.agent.Call', 'Call', contentType, body);
  if (!decoded.ok) {
    sendText(reply, 400, decoded.message);
    return undefined;
  }
  const invalid = validateAgentCall(decoded.value);
  if (invalid !== undefined) {
    sendText(reply, 400, `Failed to validate agent::Call: ${invalid}`);
    return undefined;
  }
  if (acceptKind === 'recordio') {
    // Every implemented call answers one message; only streaming calls may answer recordio.
    sendText(reply, 406, NON_STREAMING_ACCEPT_MESSAGE);
    return undefined;
  }
  return { call: decoded.value, encoding: acceptKind };
}
