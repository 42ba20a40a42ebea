/**
 * `POST /api/v1/scheduler`: the Apache Mesos v1 scheduler HTTP API in front of the master core's
 * SchedulerEndpoint. The checks run in Mesos' order, each with Mesos' status and message:
 *
 *   leader? -> POST? (405) -> Content-Type present (400) and known (415) -> body decodes (400)
 *   -> call validates (400)                   [these first steps: call-request.ts, shared with /api/v1]
 *                           -> SUBSCRIBE: Accept (406), no Mesos-Stream-Id (400), core decides
 *                                         (a refused FrameworkInfo: 200, one ERROR event, end)
 *                           -> other:     framework known (400), subscribed (403),
 *                                         Mesos-Stream-Id present and current (400), core decides (202)
 *
 * A successful SUBSCRIBE answers 200 with the chosen Content-Type and a fresh `Mesos-Stream-Id`,
 * and the response stays open as a chunked RecordIO stream of events (see event-stream.ts: one
 * record per HTTP chunk, heartbeats, close by either side). Nothing is decided here: a rejected
 * request reaches the core not at all, or the core rejects it and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { asFrameworkId, asStreamId, type FrameworkId, type StreamId } from '../../common/ids.ts';
import { encodeRecord } from '../../proto/recordio.ts';
import type { SchedulerCall, SchedulerEndpoint, SchedulerEvent } from '../scheduler-endpoint.ts';
import { createEventStream, pipeToResponse, realTicker, type EventStream, type Ticker } from './event-stream.ts';
import { headerValue, readCall } from './call-request.ts';
import type { LeaderCheck } from './leader-check.ts';
import { mediaTypeOf, negotiateEncoding, NOT_ACCEPTABLE_MESSAGE, type Encoding } from './media-type.ts';
import { validateSchedulerCall } from './scheduler-call-validation.ts';
import { sendText } from './text-response.ts';
import { encodeMessage } from './wire-codec.ts';

export const SCHEDULER_API_PATH = '/api/v1/scheduler';
const STREAM_ID_HEADER = 'mesos-stream-id';

export const SchedulerApiMessages = {
  frameworkNotFound: 'Framework cannot be found',
  notSubscribed: 'Framework is not subscribed',
  subscribeWithStreamId: "Subscribe calls should not include the 'Mesos-Stream-Id' header",
  missingStreamId: "All non-subscribe calls should include the 'Mesos-Stream-Id' header",
  streamIdMismatch: (given: string, frameworkId: string) =>
    `The stream ID '${given}' included in this request didn't match the stream ID currently associated with framework ID ${frameworkId}`,
  unknownCall: "Received 'UNKNOWN' call, which is not implemented",
} as const;

export interface SchedulerApiDeps {
  readonly scheduler: SchedulerEndpoint;
  readonly leader?: LeaderCheck;
  readonly ticker?: Ticker;
  /** Open subscription streams, so the app can end them when it closes. */
  readonly openStreams: Set<EventStream>;
}

/** One event as one RecordIO record in the subscriber's encoding. */
export function frameEvent(encoding: Encoding, event: SchedulerEvent): Buffer {
  return encodeRecord(encodeMessage('mesos.v1.scheduler.Event', encoding, event));
}

/** Takes the response over from Fastify and sends the 200 stream headers; the body is RecordIO records. */
function openStreamResponse(request: FastifyRequest, reply: FastifyReply, encoding: Encoding, streamId: StreamId): ServerResponse {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'Content-Type': mediaTypeOf(encoding),
    'Mesos-Stream-Id': streamId,
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache',
  });
  res.flushHeaders();
  request.raw.socket?.setTimeout(0);
  return res;
}

export function registerSchedulerApi(app: FastifyInstance, deps: SchedulerApiDeps): void {
  const { scheduler } = deps;
  const ticker = deps.ticker ?? realTicker;

  const subscribe = (request: FastifyRequest, reply: FastifyReply, call: SchedulerCall): void => {
    const encoding = negotiateEncoding(headerValue(request, 'accept'));
    if (encoding === undefined) {
      sendText(reply, 406, NOT_ACCEPTABLE_MESSAGE);
      return;
    }
    if (headerValue(request, STREAM_ID_HEADER) !== undefined) {
      sendText(reply, 400, SchedulerApiMessages.subscribeWithStreamId);
      return;
    }

    const streamId: StreamId = asStreamId(randomUUID());
    let frameworkId: FrameworkId | undefined;
    const stream = createEventStream({
      frame: (event) => frameEvent(encoding, event),
      heartbeatIntervalSeconds: scheduler.heartbeatIntervalSeconds,
      ticker,
      onClosed: (byCore) => {
        deps.openStreams.delete(stream);
        if (!byCore && frameworkId !== undefined) scheduler.disconnected(frameworkId, streamId);
      },
    });

    const outcome = scheduler.subscribe(call, stream.sink, streamId, undefined);
    if (!outcome.ok) {
      stream.discard();
      if (outcome.status === 200) {
        // Mesos refuses a FrameworkInfo on the stream itself: headers, one ERROR event, the end.
        const res = openStreamResponse(request, reply, encoding, streamId);
        res.write(frameEvent(encoding, { type: 'ERROR', error: { message: outcome.message } }));
        res.end();
      } else {
        sendText(reply, outcome.status, outcome.message);
      }
      return;
    }
    frameworkId = outcome.frameworkId;

    const res = openStreamResponse(request, reply, encoding, streamId);
    deps.openStreams.add(stream);
    pipeToResponse(stream, res);
  };

  const otherCall = (request: FastifyRequest, reply: FastifyReply, call: SchedulerCall): void => {
    const frameworkId = asFrameworkId(call.framework_id!.value);
    const connection = scheduler.connection(frameworkId);
    if (connection.kind === 'unknown') {
      sendText(reply, 400, SchedulerApiMessages.frameworkNotFound);
      return;
    }
    if (connection.kind === 'disconnected') {
      sendText(reply, 403, SchedulerApiMessages.notSubscribed);
      return;
    }
    const given = headerValue(request, STREAM_ID_HEADER);
    if (given === undefined) {
      sendText(reply, 400, SchedulerApiMessages.missingStreamId);
      return;
    }
    if (given !== connection.streamId) {
      sendText(reply, 400, SchedulerApiMessages.streamIdMismatch(given, frameworkId));
      return;
    }
    if (call.type === 'UNKNOWN') {
      sendText(reply, 501, SchedulerApiMessages.unknownCall);
      return;
    }
    const outcome = scheduler.call(frameworkId, call);
    if (outcome.ok) reply.code(202).send();
    else sendText(reply, outcome.status, outcome.message);
  };

  app.all(SCHEDULER_API_PATH, (request, reply) => {
    const call = readCall<SchedulerCall>(request, reply, {
      typeName: 'mesos.v1.scheduler.Call', validate: validateSchedulerCall, validationLabel: 'scheduler::Call', leader: deps.leader,
    });
    if (call === undefined) return;
    if (call.type === 'SUBSCRIBE') subscribe(request, reply, call);
    else otherCall(request, reply, call);
  });
}
