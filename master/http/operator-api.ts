/**
 * `POST /api/v1`: the Mesos v1 operator API of the master. Same request rules as the scheduler
 * API (405, 400 without Content-Type, 415, 400 for a body that does not decode or a call that
 * does not validate), then `Accept` picks the answer encoding (406 when neither JSON nor
 * protobuf is acceptable), then operator-calls.ts decides. Answers are `mesos.v1.master.Response`
 * messages in the chosen encoding; mutations answer 200 with no body, as Mesos does.
 */
import type { FastifyInstance } from 'fastify';
import type { OperatorEndpoint } from '../operator-endpoint.ts';
import { answeredByLeaderCheck, type LeaderCheck } from './leader-check.ts';
import {
  checkContentType, mediaTypeOf, negotiateEncoding, MISSING_CONTENT_TYPE_MESSAGE, NOT_ACCEPTABLE_MESSAGE,
  UNSUPPORTED_CONTENT_TYPE_MESSAGE,
} from './media-type.ts';
import { validateOperatorCall, type OperatorCall } from './operator-call-validation.ts';
import { answerOperatorCall } from './operator-calls.ts';
import { sendMethodNotAllowed, sendText } from './text-response.ts';
import type { BuildInfo } from './version-info.ts';
import { decodeBody, encodeMessage } from './wire-codec.ts';

export const OPERATOR_API_PATH = '/api/v1';

export interface OperatorApiDeps {
  readonly operator: OperatorEndpoint;
  readonly version: string;
  readonly build: BuildInfo;
  readonly leader?: LeaderCheck;
}

export function registerOperatorApi(app: FastifyInstance, deps: OperatorApiDeps): void {
  app.all(OPERATOR_API_PATH, (request, reply) => {
    if (answeredByLeaderCheck(deps.leader, request, reply)) return;
    if (request.method !== 'POST') {
      sendMethodNotAllowed(reply, ['POST'], request.method);
      return;
    }
    const contentType = checkContentType(request.headers['content-type']);
    if (contentType.kind === 'missing') {
      sendText(reply, 400, MISSING_CONTENT_TYPE_MESSAGE);
      return;
    }
    if (contentType.kind === 'unsupported') {
      sendText(reply, 415, UNSUPPORTED_CONTENT_TYPE_MESSAGE);
      return;
    }
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const decoded = decodeBody<OperatorCall>('mesos.v1.master.Call', 'Call', contentType.encoding, body);
    if (!decoded.ok) {
      sendText(reply, 400, decoded.message);
      return;
    }
    const invalid = validateOperatorCall(decoded.value);
    if (invalid !== undefined) {
      sendText(reply, 400, `Failed to validate master::Call: ${invalid}`);
      return;
    }
    const accept = request.headers.accept;
    const encoding = negotiateEncoding(Array.isArray(accept) ? accept[0] : accept);
    if (encoding === undefined) {
      sendText(reply, 406, NOT_ACCEPTABLE_MESSAGE);
      return;
    }
    const answer = answerOperatorCall(deps.operator, decoded.value, deps.version, deps.build);
    switch (answer.kind) {
      case 'ok':
        reply.code(200).send();
        return;
      case 'rejected':
        sendText(reply, answer.status, answer.message);
        return;
      case 'response':
        reply
          .code(200)
          .type(mediaTypeOf(encoding))
          .send(encodeMessage('mesos.v1.master.Response', encoding, answer.response));
    }
  });
}
