/**
 * `POST /api/v1/executor` through the agent app, with a fake ExecutorEndpoint that records what
 * the route hands it (a unit test of the HTTP layer: the core is the agent's, tested elsewhere).
 * Request errors in Mesos' order with their codes; UPDATE / MESSAGE answers; and the SUBSCRIBE
 * stream read off a real loopback socket, so that chunk boundaries, buffering of the events the
 * core writes before the headers, core close, client disconnect and app close are all seen.
 */
import test from 'ava';
import { connect, type Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { codec } from '../../proto/codec.ts';
import { RecordIoDecoder } from '../../proto/recordio.ts';
import type { mesos } from '../../proto/types.generated.ts';
import type { ExecutorCall, ExecutorCallOutcome, ExecutorEndpoint, ExecutorEvent, ExecutorSink } from '../executor-endpoint.ts';
import { createAgentApp } from './app.ts';
import { fakeAgentView, sandboxFixture } from './test-fixtures.ts';

const fixture = sandboxFixture();
test.after.always(() => fixture.cleanup());

const OK: ExecutorCallOutcome = { ok: true };

const subscribed: ExecutorEvent = {
  type: 'SUBSCRIBED',
  subscribed: {
    executor_info: { executor_id: { value: 'exec-1' }, type: 'CUSTOM' },
    framework_info: { user: 'root', name: 'fw' },
    agent_info: { hostname: 'localhost' },
  },
};
const launch = (taskId: string): ExecutorEvent => ({
  type: 'LAUNCH',
  launch: { task: { name: taskId, task_id: { value: taskId }, agent_id: { value: 'S1' } } },
});
const acknowledged: ExecutorEvent = {
  type: 'ACKNOWLEDGED',
  acknowledged: { task_id: { value: 't1' }, uuid: Buffer.alloc(16, 1).toString('base64') },
};

/** Records every call; outcomes and the SUBSCRIBE behaviour are set per test. */
class FakeExecutors implements ExecutorEndpoint {
  recoveringNow = false;
  readonly calls: { readonly kind: 'subscribe' | 'update' | 'message'; readonly call: ExecutorCall }[] = [];
  readonly sinks: ExecutorSink[] = [];
  readonly disconnected: ExecutorSink[] = [];
  subscribeOutcome: ExecutorCallOutcome = OK;
  /** Events written synchronously inside subscribeExecutor on success, as the agent core does. */
  eventsOnSubscribe: ExecutorEvent[] = [subscribed, launch('t1'), launch('t2')];
  closeOnSubscribe = false;
  updateOutcome: ExecutorCallOutcome = OK;
  messageOutcome: ExecutorCallOutcome = OK;
  #onDisconnect: (() => void)[] = [];

  subscribeExecutor(call: ExecutorCall, sink: ExecutorSink): ExecutorCallOutcome {
    this.calls.push({ kind: 'subscribe', call });
    if (!this.subscribeOutcome.ok) return this.subscribeOutcome;
    this.sinks.push(sink);
    for (const event of this.eventsOnSubscribe) sink.send(event);
    if (this.closeOnSubscribe) sink.close();
    return OK;
  }
  executorDisconnected(sink: ExecutorSink): void {
    this.disconnected.push(sink);
    for (const f of this.#onDisconnect.splice(0)) f();
  }
  executorUpdate(call: ExecutorCall): ExecutorCallOutcome {
    this.calls.push({ kind: 'update', call });
    return this.updateOutcome;
  }
  executorMessage(call: ExecutorCall): ExecutorCallOutcome {
    this.calls.push({ kind: 'message', call });
    return this.messageOutcome;
  }
  recovering(): boolean {
    return this.recoveringNow;
  }
  whenDisconnected(): Promise<void> {
    return this.disconnected.length > 0 ? Promise.resolve() : new Promise((resolve) => this.#onDisconnect.push(resolve));
  }
}

function appWith(executors: ExecutorEndpoint | undefined): FastifyInstance {
  return createAgentApp({ view: fakeAgentView(fixture), logger: false, version: '0.1.0', executors });
}

const ids = { executor_id: { value: 'exec-1' }, framework_id: { value: 'fw-1' } };
const uuid16 = Buffer.alloc(16, 9).toString('base64');
const updateCall = {
  ...ids,
  type: 'UPDATE',
  update: { status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR', uuid: uuid16 } },
};
const subscribeCall = { ...ids, type: 'SUBSCRIBE', subscribe: {} };
const JSON_HEADERS = { 'content-type': 'application/json' };

async function post(app: FastifyInstance, body: unknown, headers: Record<string, string> = JSON_HEADERS) {
  const payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return app.inject({ method: 'POST', url: '/api/v1/executor', headers, payload });
}

test('no route without an ExecutorEndpoint', async (t) => {
  const app = appWith(undefined);
  t.teardown(() => app.close());
  t.is((await post(app, updateCall)).statusCode, 404);
});

test('503 while the agent recovers, before any other check', async (t) => {
  const executors = new FakeExecutors();
  executors.recoveringNow = true;
  const app = appWith(executors);
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'GET', url: '/api/v1/executor' });
  t.is(res.statusCode, 503);
  t.is(res.body, 'Agent has not finished recovery');
  t.is((await post(app, updateCall)).statusCode, 503);
  t.deepEqual(executors.calls, []);
});

test('request errors in order: 405, 400 no Content-Type, 415, 400 decode, 400 validation', async (t) => {
  const executors = new FakeExecutors();
  const app = appWith(executors);
  t.teardown(() => app.close());

  const get = await app.inject({ method: 'GET', url: '/api/v1/executor' });
  t.is(get.statusCode, 405);
  t.is(get.headers.allow, 'POST');
  t.is(get.body, "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'.");

  const noType = await app.inject({ method: 'POST', url: '/api/v1/executor', payload: Buffer.from('{}') });
  t.is(noType.statusCode, 400);
  t.is(noType.body, "Expecting 'Content-Type' to be present");

  const text = await post(app, updateCall, { 'content-type': 'text/plain' });
  t.is(text.statusCode, 415);
  t.is(text.body, 'Expecting \'Content-Type\' of application/json or application/x-protobuf');

  const notJson = await post(app, '{"type":');
  t.is(notJson.statusCode, 400);
  t.regex(notJson.body, /^Failed to parse body into JSON: /);

  const noExecutor = await post(app, { framework_id: { value: 'fw-1' }, type: 'SUBSCRIBE', subscribe: {} });
  t.is(noExecutor.statusCode, 400);
  t.regex(noExecutor.body, /^Failed to convert JSON into Call protobuf: .*executor_id/);

  const badUuid = await post(app, { ...updateCall, update: { status: { ...updateCall.update.status, uuid: 42 } } });
  t.is(badUuid.statusCode, 400);
  t.regex(badUuid.body, /update\.status\.uuid/);

  const garbage = await post(app, Buffer.from([0x0a, 0x05, 0x0a]), { 'content-type': 'application/x-protobuf' });
  t.is(garbage.statusCode, 400);
  t.regex(garbage.body, /^Failed to parse body into Call protobuf: /);

  const noUpdate = await post(app, { ...ids, type: 'UPDATE' });
  t.is(noUpdate.statusCode, 400);
  t.is(noUpdate.body, "Failed to validate Executor::Call: Expecting 'update' to be present");

  const staging = await post(app, { ...updateCall, update: { status: { ...updateCall.update.status, state: 'TASK_STAGING' } } });
  t.is(staging.statusCode, 400);
  t.is(staging.body, "Failed to validate Executor::Call: 'update.status.state' TASK_STAGING is not allowed from an executor");

  t.deepEqual(executors.calls, [], 'no rejected request reaches the core');
});

test('UPDATE: 202 with an empty body, the call handed over in canonical form (JSON and protobuf)', async (t) => {
  const executors = new FakeExecutors();
  const app = appWith(executors);
  t.teardown(() => app.close());

  const json = await post(app, updateCall);
  t.is(json.statusCode, 202);
  t.is(json.body, '');

  const callCodec = codec<ExecutorCall>('mesos.v1.executor.Call');
  const bytes = callCodec.encode(callCodec.fromJson(updateCall));
  const proto = await app.inject({
    method: 'POST', url: '/api/v1/executor', headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from(bytes),
  });
  t.is(proto.statusCode, 202);

  t.is(executors.calls.length, 2);
  for (const { kind, call } of executors.calls) {
    t.is(kind, 'update');
    t.deepEqual(call, updateCall as unknown as ExecutorCall);
  }
});

test('UPDATE and MESSAGE rejected by the core: its status and text', async (t) => {
  const executors = new FakeExecutors();
  executors.updateOutcome = { ok: false, status: 403, message: 'Executor is not subscribed' };
  executors.messageOutcome = { ok: false, status: 400, message: 'Executor cannot be found' };
  const app = appWith(executors);
  t.teardown(() => app.close());

  const update = await post(app, updateCall);
  t.is(update.statusCode, 403);
  t.is(update.body, 'Executor is not subscribed');
  t.regex(String(update.headers['content-type']), /^text\/plain/);

  const message = await post(app, { ...ids, type: 'MESSAGE', message: { data: 'aGk=' } });
  t.is(message.statusCode, 400);
  t.is(message.body, 'Executor cannot be found');
  t.deepEqual(executors.calls.map((c) => c.kind), ['update', 'message']);
});

test('MESSAGE: 202, data handed over as base64', async (t) => {
  const executors = new FakeExecutors();
  const app = appWith(executors);
  t.teardown(() => app.close());
  const res = await post(app, { ...ids, type: 'MESSAGE', message: { data: Buffer.from('ping').toString('base64') } });
  t.is(res.statusCode, 202);
  t.is(executors.calls[0].call.message?.data, Buffer.from('ping').toString('base64'));
});

test('UNKNOWN: 501, the core is not called', async (t) => {
  const executors = new FakeExecutors();
  const app = appWith(executors);
  t.teardown(() => app.close());
  const res = await post(app, { ...ids, type: 'UNKNOWN' });
  t.is(res.statusCode, 501);
  t.is(res.body, "Received 'UNKNOWN' call, which is not implemented");
  t.deepEqual(executors.calls, []);
});

test('SUBSCRIBE: 406 when Accept allows neither JSON nor protobuf; the core is not called', async (t) => {
  const executors = new FakeExecutors();
  const app = appWith(executors);
  t.teardown(() => app.close());
  const res = await post(app, subscribeCall, { ...JSON_HEADERS, accept: 'text/html' });
  t.is(res.statusCode, 406);
  t.is(res.body, "Expecting 'Accept' to allow 'application/x-protobuf' or 'application/json'");
  t.deepEqual(executors.calls, []);
});

test('SUBSCRIBE rejected by the core: its status and text, no stream', async (t) => {
  const executors = new FakeExecutors();
  executors.subscribeOutcome = { ok: false, status: 400, message: 'Executor cannot be found' };
  const app = appWith(executors);
  t.teardown(() => app.close());
  const res = await post(app, subscribeCall, { ...JSON_HEADERS, accept: 'application/json' });
  t.is(res.statusCode, 400);
  t.is(res.body, 'Executor cannot be found');
  t.deepEqual(executors.disconnected, []);
});

// ---- the stream, over a real socket ----

interface RawStream {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Payloads of the HTTP chunks, as received. */
  readonly chunks: Buffer[];
  /** Resolves when the terminating chunk arrives or the socket closes. */
  readonly ended: Promise<void>;
  /** Resolves once `count` chunks have arrived. */
  chunksAtLeast(count: number): Promise<void>;
  destroy(): void;
}

/** POSTs with a raw socket and parses the chunked answer itself, so chunk boundaries are seen. */
function openStream(port: number, body: Buffer, contentType: string, accept: string): Promise<RawStream> {
  const socket: Socket = connect(port, '127.0.0.1');
  socket.write(
    `POST /api/v1/executor HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${contentType}\r\nAccept: ${accept}\r\n` +
    `Content-Length: ${body.length}\r\n\r\n`,
  );
  socket.write(body);
  const chunks: Buffer[] = [];
  const waiters: (() => void)[] = [];
  let endedResolve!: () => void;
  const ended = new Promise<void>((resolve) => { endedResolve = resolve; });
  socket.on('close', () => endedResolve());
  socket.on('error', () => endedResolve());
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string> } | undefined;
    const parse = () => {
      if (head === undefined) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const colon = line.indexOf(':');
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        head = { status: Number(lines[0].split(' ')[1]), headers };
        buffer = buffer.subarray(end + 4);
        if (headers['transfer-encoding'] !== 'chunked') {
          reject(new Error(`not chunked: ${lines[0]}`));
          return;
        }
        resolve({
          ...head, chunks, ended,
          chunksAtLeast: (count) => new Promise<void>((r) => {
            const check = (): void => {
              if (chunks.length >= count) r();
              else waiters.push(check);
            };
            check();
          }),
          destroy: () => socket.destroy(),
        });
      }
      for (;;) {
        const lineEnd = buffer.indexOf('\r\n');
        if (lineEnd < 0) return;
        const size = parseInt(buffer.subarray(0, lineEnd).toString('latin1'), 16);
        if (buffer.length < lineEnd + 2 + size + 2) return;
        const payload = buffer.subarray(lineEnd + 2, lineEnd + 2 + size);
        buffer = buffer.subarray(lineEnd + 2 + size + 2);
        if (size === 0) {
          endedResolve();
          return;
        }
        chunks.push(Buffer.from(payload));
        for (const w of waiters.splice(0)) w();
      }
    };
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      parse();
    });
  });
}

/** Each chunk must hold exactly one RecordIO record; returns the records' payloads. */
function recordsOf(t: { is: (a: unknown, b: unknown, m?: string) => void }, chunks: Buffer[]): Buffer[] {
  return chunks.map((chunk, i) => {
    const records = new RecordIoDecoder().feed(chunk);
    t.is(records.length, 1, `chunk ${i} holds one record`);
    return records[0];
  });
}

async function listening(executors: ExecutorEndpoint): Promise<{ app: FastifyInstance; port: number }> {
  const app = appWith(executors);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { app, port: address.port };
}

const jsonBody = Buffer.from(JSON.stringify(subscribeCall));

test('SUBSCRIBE stream (JSON): events written before the headers come first, in order, one record per chunk; core close ends it', async (t) => {
  const executors = new FakeExecutors();
  const { app, port } = await listening(executors);
  t.teardown(() => app.close());

  const stream = await openStream(port, jsonBody, 'application/json', 'application/json');
  t.is(stream.status, 200);
  t.is(stream.headers['content-type'], 'application/json');
  t.false('mesos-stream-id' in stream.headers, 'no Mesos-Stream-Id on the executor stream');
  await stream.chunksAtLeast(3);

  const sink = executors.sinks[0];
  sink.send(acknowledged);
  await stream.chunksAtLeast(4);
  sink.close();
  sink.close();
  await stream.ended;

  const events = recordsOf(t, stream.chunks).map((r) => JSON.parse(r.toString('utf8')) as ExecutorEvent);
  t.deepEqual(events.map((e) => e.type), ['SUBSCRIBED', 'LAUNCH', 'LAUNCH', 'ACKNOWLEDGED']);
  t.deepEqual(events[1].launch?.task.task_id, { value: 't1' });
  t.deepEqual(events[2].launch?.task.task_id, { value: 't2' });
  t.is(events[3].acknowledged?.uuid, acknowledged.acknowledged!.uuid);
  t.deepEqual(executors.calls.map((c) => c.kind), ['subscribe']);
  t.deepEqual(executors.disconnected, [], 'a stream the core closed is not reported as a disconnection');
  t.notThrows(() => sink.send(acknowledged), 'a closed sink drops events');
});

test('SUBSCRIBE stream (protobuf): Content-Type and records in protobuf', async (t) => {
  const executors = new FakeExecutors();
  const { app, port } = await listening(executors);
  t.teardown(() => app.close());

  const callCodec = codec<ExecutorCall>('mesos.v1.executor.Call');
  const body = Buffer.from(callCodec.encode(callCodec.fromJson(subscribeCall)));
  const stream = await openStream(port, body, 'application/x-protobuf', 'application/x-protobuf');
  t.is(stream.status, 200);
  t.is(stream.headers['content-type'], 'application/x-protobuf');
  await stream.chunksAtLeast(3);
  executors.sinks[0].close();
  await stream.ended;
  const eventCodec = codec<mesos.v1.executor.Event>('mesos.v1.executor.Event');
  const events = recordsOf(t, stream.chunks).map((r) => eventCodec.decode(r));
  t.deepEqual(events, [subscribed, launch('t1'), launch('t2')]);
});

test('SUBSCRIBE: a close by the core inside subscribeExecutor still delivers the buffered events, then ends', async (t) => {
  const executors = new FakeExecutors();
  executors.closeOnSubscribe = true;
  const { app, port } = await listening(executors);
  t.teardown(() => app.close());
  const stream = await openStream(port, jsonBody, 'application/json', 'application/json');
  await stream.ended;
  t.is(stream.chunks.length, 3);
  t.deepEqual(executors.disconnected, []);
});

test('SUBSCRIBE: the executor going away is reported once, with its sink; later events are dropped', async (t) => {
  const executors = new FakeExecutors();
  const { app, port } = await listening(executors);
  t.teardown(() => app.close());
  const stream = await openStream(port, jsonBody, 'application/json', 'application/json');
  await stream.chunksAtLeast(3);
  stream.destroy();
  await executors.whenDisconnected();
  const sink = executors.sinks[0];
  t.deepEqual(executors.disconnected, [sink]);
  t.notThrows(() => sink.send(acknowledged));
  sink.close();
  t.is(executors.disconnected.length, 1);
});

test('closing the app ends open streams instead of waiting on them', async (t) => {
  const executors = new FakeExecutors();
  const { app, port } = await listening(executors);
  const stream = await openStream(port, jsonBody, 'application/json', 'application/json');
  await stream.chunksAtLeast(3);
  await app.close();
  await stream.ended;
  t.is(stream.chunks.length, 3);
  t.deepEqual(executors.disconnected, [], 'the agent stopping is not an executor disconnection');
});

test('SUBSCRIBE: an event the route cannot encode breaks the stream (reported as a disconnection) instead of throwing into the core', async (t) => {
  const executors = new FakeExecutors();
  executors.eventsOnSubscribe = [subscribed];
  const { app, port } = await listening(executors);
  t.teardown(() => app.close());
  const callCodec = codec<ExecutorCall>('mesos.v1.executor.Call');
  const body = Buffer.from(callCodec.encode(callCodec.fromJson(subscribeCall)));
  const stream = await openStream(port, body, 'application/x-protobuf', 'application/x-protobuf');
  await stream.chunksAtLeast(1);
  // LAUNCH without its required task cannot be written as protobuf.
  t.notThrows(() => executors.sinks[0].send({ type: 'LAUNCH', launch: {} } as unknown as ExecutorEvent));
  await stream.ended;
  await executors.whenDisconnected();
  t.is(stream.chunks.length, 1);
  t.deepEqual(executors.disconnected, [executors.sinks[0]]);
});
