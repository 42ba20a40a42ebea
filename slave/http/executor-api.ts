/**
 * `POST /api/v1/executor`: the Apache Mesos v1 executor HTTP API in front of the agent core's
 * ExecutorEndpoint (slave/executor-endpoint.ts). The checks run in Mesos' order
 * (src/slave/http.cpp, `Http::executor`), each with its status:
 *
 *   recovering (503) -> POST? (405) -> Content-Type present (400) and known (415)
 *   -> body decodes (400, naming the field) -> call validates (400, executor-call-validation.ts)
 *   -> SUBSCRIBE: Accept allows JSON or protobuf (406), core decides (400/403/503 or the stream)
 *   -> UPDATE, MESSAGE: core decides (202 or 400/403/503)
 *   -> UNKNOWN: 501
 *
 * A successful SUBSCRIBE answers 200 with the accepted encoding as Content-Type and keeps the
 * response open as a chunked RecordIO stream, one event per record and per HTTP chunk, in the
 * order the core sent them (executor-event-stream.ts buffers those sent before the headers).
 * The core ends it with `sink.close()`; when the executor goes away instead, the core hears
 * `executorDisconnected(sink)` once. Nothing is decided here: a rejected request reaches the
 * core not at all, or the core rejects it and changes nothing. When the app closes, open streams
 * are ended (as by the core) so that `close()` does not wait on them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { headerValue, readCall } from '../../master/http/call-request.ts';
import { mediaTypeOf, negotiateEncoding, NOT_ACCEPTABLE_MESSAGE, type Encoding } from '../../master/http/media-type.ts';
import { sendText } from '../../master/http/text-response.ts';
import { encodeMessage } from '../../master/http/wire-codec.ts';
import { encodeRecord } from '../../proto/recordio.ts';
import type { ExecutorCall, ExecutorCallOutcome, ExecutorEndpoint, ExecutorEvent } from '../executor-endpoint.ts';
import { RECOVERING_MESSAGE } from './agent-call-request.ts';
import { validateExecutorCall } from './executor-call-validation.ts';
import { pipeToResponse } from '../../master/http/event-stream.ts';
import { createExecutorEventStream, type ExecutorEventStream } from './executor-event-stream.ts';

export const EXECUTOR_API_PATH = '/api/v1/executor';
export const UNKNOWN_CALL_MESSAGE = "Received 'UNKNOWN' call, which is not implemented";

/** One event as one RecordIO record in the subscriber's encoding. */
export function frameExecutorEvent(encoding: Encoding, event: ExecutorEvent): Buffer {
  return encodeRecord(encodeMessage('mesos.v1.executor.Event', encoding, event));
}

function answer(reply: FastifyReply, outcome: ExecutorCallOutcome): void {
  if (outcome.ok) reply.code(202).send();
  else sendText(reply, outcome.status, outcome.message);
}

export function registerExecutorApi(app: FastifyInstance, executors: ExecutorEndpoint): void {
  const openStreams = new Set<ExecutorEventStream>();

  app.addHook('preClose', (done) => {
    for (const stream of [...openStreams]) stream.sink.close();
    done();
  });

  const subscribe = (request: FastifyRequest, reply: FastifyReply, call: ExecutorCall): void => {
    const encoding = negotiateEncoding(headerValue(request, 'accept'));
    if (encoding === undefined) {
      sendText(reply, 406, NOT_ACCEPTABLE_MESSAGE);
      return;
    }

    const stream: ExecutorEventStream = createExecutorEventStream({
      frame: (event) => frameExecutorEvent(encoding, event),
      onClosed: (byCore) => {
        openStreams.delete(stream);
        if (!byCore) executors.executorDisconnected(stream.sink);
      },
      onFrameError: (error, event) => {
        // A core bug; skipping the event silently would leave the executor out of step.
        request.log.error({ err: error, eventType: event.type }, 'cannot encode an executor event; breaking the stream');
        reply.raw.destroy();
      },
    });
    const outcome = executors.subscribeExecutor(call, stream.sink);
    if (!outcome.ok) {
      stream.discard();
      sendText(reply, outcome.status, outcome.message);
      return;
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': mediaTypeOf(encoding),
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    res.flushHeaders();
    // The stream lives as long as the executor: no idle timeout on its socket.
    request.raw.socket?.setTimeout(0);
    openStreams.add(stream);
    pipeToResponse(stream, res);
  };

  app.all(EXECUTOR_API_PATH, (request, reply) => {
    if (executors.recovering()) {
      sendText(reply, 503, RECOVERING_MESSAGE);
      return;
    }
    const call = readCall<ExecutorCall>(request, reply, {
      typeName: 'mesos.v1.executor.Call', validate: validateExecutorCall, validationLabel: 'Executor::Call', leader: undefined,
    });
    if (call === undefined) return;
    switch (call.type) {
      case 'SUBSCRIBE':
        subscribe(request, reply, call);
        return;
      case 'UPDATE':
        answer(reply, executors.executorUpdate(call));
        return;
      case 'MESSAGE':
        answer(reply, executors.executorMessage(call));
        return;
      default:
        sendText(reply, 501, UNKNOWN_CALL_MESSAGE);
    }
  });
}
