/**
 * Where the leading master is, as the HTTP layer needs to know it. With HA, a master that is not
 * the leader answers 307 with `Location` pointing at the same path on the leader, or 503 when no
 * leader is known (Mesos: "No leader elected"). Without `--database` there is no election: `leader`
 * is absent and every request is served here. master/main.ts builds the check from the election.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendText } from './text-response.ts';

export type LeaderStatus =
  /** Another master leads; `base` is its scheme-relative address, `//host:port`. */
  | { readonly kind: 'elsewhere'; readonly base: string }
  | { readonly kind: 'none' };

/** Returns undefined while this master is the leader. */
export type LeaderCheck = () => LeaderStatus | undefined;

export const NO_LEADER_MESSAGE = 'No leader elected';

/**
 * Answers for a non-leader and returns true, or returns false when this master should serve the
 * request itself.
 */
export function answeredByLeaderCheck(leader: LeaderCheck | undefined, request: FastifyRequest, reply: FastifyReply): boolean {
  const status = leader?.();
  if (status === undefined) return false;
  if (status.kind === 'none') {
    sendText(reply, 503, NO_LEADER_MESSAGE);
  } else {
    reply.code(307).header('Location', `${status.base}${request.url}`).send();
  }
  return true;
}
