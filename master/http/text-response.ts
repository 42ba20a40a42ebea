/**
 * Error answers in the Mesos style: a status code and a `text/plain` body naming the problem,
 * plus the fixed texts Mesos' HTTP library writes for 405. Every master HTTP route answers its
 * errors through `sendText`, so clients can show the body as it is.
 */
import type { FastifyReply } from 'fastify';

export const TEXT_PLAIN = 'text/plain; charset=utf-8';

export function sendText(
  reply: FastifyReply,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  return reply.code(status).headers(headers).type(TEXT_PLAIN).send(message);
}

/** The body Mesos gives a 405, e.g. "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'." */
export function methodNotAllowedMessage(allowed: readonly string[], received: string): string {
  return `405 Method Not Allowed. Expecting one of { '${allowed.join("', '")}' }, but received '${received}'.`;
}

export function sendMethodNotAllowed(reply: FastifyReply, allowed: readonly string[], received: string): FastifyReply {
  return sendText(reply, 405, methodNotAllowedMessage(allowed, received), { Allow: allowed.join(', ') });
}
