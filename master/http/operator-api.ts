/**
 * `POST /api/v1`: the Mesos v1 operator API of the master. Same request steps as the scheduler
 * API (call-request.ts: 405, 400 without Content-Type, 415, 400 for a body that does not decode
 * or a call that does not validate), then `Accept` picks the answer encoding (406 when neither JSON nor
 * protobuf is acceptable), then operator-calls.ts decides. Answers are `mesos.v1.master.Response`
 * messages in the chosen encoding; mutations answer 200 with no body, as Mesos does.
 */
import type { FastifyInstance } from 'fastify';
import type { OperatorEndpoint } from '../operator-endpoint.ts';
import { headerValue, readCall } from './call-request.ts';
import type { LeaderCheck } from './leader-check.ts';
import { mediaTypeOf, negotiateEncoding, NOT_ACCEPTABLE_MESSAGE } from './media-type.ts';
import { validateOperatorCall, type OperatorCall } from './operator-call-validation.ts';
import { answerOperatorCall } from './operator-calls.ts';
import { sendText } from './text-response.ts';
import type { BuildInfo } from './version-info.ts';
import { encodeMessage } from './wire-codec.ts';

export const OPERATOR_API_PATH = '/api/v1';

export interface OperatorApiDeps {
  readonly operator: OperatorEndpoint;
  readonly version: string;
  readonly build: BuildInfo;
  readonly leader?: LeaderCheck;
}

export function registerOperatorApi(app: FastifyInstance, deps: OperatorApiDeps): void {
  app.all(OPERATOR_API_PATH, (request, reply) => {
    const call = readCall<OperatorCall>(request, reply, {
      typeName: 'mesos.v1.master.Call', validate: validateOperatorCall, validationLabel: 'master::Call', leader: deps.leader,
    });
    if (call === undefined) return;
    const encoding = negotiateEncoding(headerValue(request, 'accept'));
    if (encoding === undefined) {
      sendText(reply, 406, NOT_ACCEPTABLE_MESSAGE);
      return;
    }
    const answer = answerOperatorCall(deps.operator, call, deps.version, deps.build);
    switch (answer.kind) {
      case 'ok':
        if (answer.written === undefined) {
          reply.code(200).send();
        } else {
          answer.written.then(
            () => reply.code(200).send(),
            (err: Error) => sendText(reply, 503, `Failed to update the registry: ${err.message}`));
        }
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
