/**
 * `POST /api/v1` on the agent: the Mesos v1 agent operator API. The request steps are the
 * master's (master/http/call-request.ts: 405 for another method, 400 without Content-Type, 415
 * for another media type, 400 for a body that does not decode or a call that does not validate,
 * "Failed to validate agent::Call: ..."), then `Accept` picks the answer encoding (406 when
 * neither JSON nor protobuf is acceptable), then agent-calls.ts answers with a
 * `mesos.v1.agent.Response` in that encoding.
 */
import type { FastifyInstance } from 'fastify';
import { headerValue, readCall } from '../../master/http/call-request.ts';
import { mediaTypeOf, negotiateEncoding, NOT_ACCEPTABLE_MESSAGE } from '../../master/http/media-type.ts';
import { sendText } from '../../master/http/text-response.ts';
import { encodeMessage } from '../../master/http/wire-codec.ts';
import { validateAgentCall, type AgentCall } from './agent-call-validation.ts';
import { answerAgentCall, type AgentCallContext } from './agent-calls.ts';

export const AGENT_OPERATOR_API_PATH = '/api/v1';

export function registerAgentOperatorApi(app: FastifyInstance, ctx: AgentCallContext): void {
  app.all(AGENT_OPERATOR_API_PATH, async (request, reply) => {
    const call = readCall<AgentCall>(request, reply, {
      typeName: 'mesos.v1.agent.Call', validate: validateAgentCall, validationLabel: 'agent::Call', leader: undefined,
    });
    if (call === undefined) return;
    const encoding = negotiateEncoding(headerValue(request, 'accept'));
    if (encoding === undefined) {
      sendText(reply, 406, NOT_ACCEPTABLE_MESSAGE);
      return;
    }
    const answer = await answerAgentCall(ctx, call);
    if (answer.kind === 'rejected') {
      sendText(reply, answer.status, answer.message);
      return;
    }
    reply.code(200).type(mediaTypeOf(encoding)).send(encodeMessage('mesos.v1.agent.Response', encoding, answer.response));
  });
}
