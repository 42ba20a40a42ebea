/**
 * `POST /api/v1` on the agent: the Mesos v1 agent operator API. agent-call-request.ts runs the
 * agent's request steps (503 while recovering, 405, 400/415 Content-Type, 406 Accept, 400 for a
 * body that does not decode or a call that does not validate); agent-calls.ts answers with a
 * `mesos.v1.agent.Response` in the negotiated encoding, or a rejection (501 names a call this
 * agent does not implement).
 */
import type { FastifyInstance } from 'fastify';
import { mediaTypeOf } from '../../master/http/media-type.ts';
import { sendText } from '../../master/http/text-response.ts';
import { encodeMessage } from '../../master/http/wire-codec.ts';
import { readAgentCall } from './agent-call-request.ts';
import { answerAgentCall, type AgentCallContext } from './agent-calls.ts';

export const AGENT_OPERATOR_API_PATH = '/api/v1';

export function registerAgentOperatorApi(app: FastifyInstance, ctx: AgentCallContext, recovering: () => boolean): void {
  app.all(AGENT_OPERATOR_API_PATH, async (request, reply) => {
    const read = readAgentCall(request, reply, recovering());
    if (read === undefined) return;
    const answer = await answerAgentCall(ctx, read.call);
    if (answer.kind === 'rejected') {
      sendText(reply, answer.status, answer.message);
      return;
    }
    reply.code(200).type(mediaTypeOf(read.encoding)).send(encodeMessage('mesos.v1.agent.Response', read.encoding, answer.response));
  });
}
