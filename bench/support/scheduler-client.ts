/**
 * A lean Mesos v1 scheduler client for benchmarks, written against the wire only (no maestro
 * SDK): SUBSCRIBE over a raw TCP socket whose chunked RecordIO stream is decoded incrementally
 * (record-stream.ts), every event decoded in the subscription's encoding (JSON or protobuf via
 * proto/codec.ts) with its size and decode time recorded, and calls sent over a keep-alive
 * `node:http` agent so that thousands of ACCEPT or ACKNOWLEDGE calls do not each open a socket.
 *
 * Waiting is callback-driven: `until(predicate)` is armed before the call whose effect it waits
 * for and sees every later event once, so waiting stays O(events) however many events arrive.
 */
import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { codec } from '../../proto/codec.ts';
import { ChunkedDecoder, RecordIoDecoder } from './record-stream.ts';

export type Json = Record<string, any>;
export type Encoding = 'json' | 'protobuf';
const MEDIA: Record<Encoding, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

const callCodec = () => codec<Json>('mesos.v1.scheduler.Call');
const eventCodec = () => codec<Json>('mesos.v1.scheduler.Event');

/** One received event with what it cost to receive. */
export interface ReceivedEvent {
  readonly event: Json;
  /** Size of the RecordIO payload on the wire. */
  readonly bytes: number;
  /** Framework-side decode time (JSON.parse, or protobuf decode). */
  readonly decodeMs: number;
  /** process.hrtime.bigint() when the whole record had arrived. */
  readonly at: bigint;
}

export interface CallAnswer {
  readonly status: number;
  readonly text: string;
}

export interface BenchScheduler {
  readonly encoding: Encoding;
  readonly streamId: string;
  readonly frameworkId: string;
  /** Runs `listener` on every event from now on; returns a function that removes it. */
  onEvent(listener: (e: ReceivedEvent) => void): () => void;
  /** Resolves when `predicate` returns true for an event after this call; rejects after `timeoutMs`. */
  until(predicate: (e: ReceivedEvent) => boolean, timeoutMs: number, what: string): Promise<void>;
  /** Sends a call with this stream's id; `framework_id` is added. */
  call(call: Json): Promise<CallAnswer>;
  /** Resolves when the stream is gone (closed here, or by the master); pending waits then fail. */
  readonly closed: Promise<void>;
  /** Sends TEARDOWN and closes the stream. */
  teardown(): Promise<void>;
  close(): void;
}

export interface SubscribeOptions {
  readonly encoding: Encoding;
  readonly frameworkInfo: Json;
  /** Keep-alive sockets for calls (default 8). */
  readonly maxSockets?: number;
  readonly timeoutMs?: number;
}

function encodeCall(encoding: Encoding, call: Json): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify(call));
  return Buffer.from(callCodec().encode(callCodec().fromJson(call)));
}

/** Subscribes; resolves once the SUBSCRIBED event has arrived. */
export function subscribeScheduler(baseUrl: string, options: SubscribeOptions): Promise<BenchScheduler> {
  const { encoding } = options;
  const url = new URL('/api/v1/scheduler', baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 8 });
  const body = encodeCall(encoding, { type: 'SUBSCRIBE', subscribe: { framework_info: options.frameworkInfo } });
  const socket: Socket = connect(Number(url.port), url.hostname);
  socket.setNoDelay(true);
  const head = [
    `POST ${url.pathname} HTTP/1.1`, `Host: ${url.host}`, `Content-Type: ${MEDIA[encoding]}`, `Accept: ${MEDIA[encoding]}`,
    `Content-Length: ${body.length}`, 'Connection: keep-alive',
  ].join('\r\n');
  socket.write(`${head}\r\n\r\n`);
  socket.write(body);

  const listeners = new Set<(e: ReceivedEvent) => void>();
  const chunked = new ChunkedDecoder();
  const records = new RecordIoDecoder();
  let headBuf = Buffer.alloc(0);
  let headersDone = false;
  let streamId = '';
  let frameworkId = '';
  let closed = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => { markClosed = () => { closed = true; resolve(); }; });

  const decode = (payload: Buffer): Json => encoding === 'json' ? JSON.parse(payload.toString('utf8')) as Json : eventCodec().decode(payload);

  return new Promise<BenchScheduler>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`no SUBSCRIBED within ${options.timeoutMs ?? 30_000} ms`)), options.timeoutMs ?? 30_000);
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      agent.destroy();
      reject(error);
    };

    const client: BenchScheduler = {
      encoding,
      get streamId() { return streamId; },
      get frameworkId() { return frameworkId; },
      onEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      until(predicate, timeoutMs, what) {
        return new Promise<void>((res, rej) => {
          let waiting = true;
          const finish = (error?: Error) => {
            if (!waiting) return;
            waiting = false;
            clearTimeout(t);
            listeners.delete(l);
            if (error === undefined) res();
            else rej(error);
          };
          const t = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
          const l = (e: ReceivedEvent) => { if (predicate(e)) finish(); };
          listeners.add(l);
          void closedPromise.then(() => finish(new Error(`the event stream closed while waiting for ${what}`)));
        });
      },
      call(c) {
        const payload = encodeCall(encoding, { framework_id: { value: frameworkId }, ...c });
        return new Promise<CallAnswer>((res, rej) => {
          const r = httpRequest(url, {
            method: 'POST', agent,
            headers: { 'Content-Type': MEDIA[encoding], 'Mesos-Stream-Id': streamId, 'Content-Length': String(payload.length) },
          }, (answer) => {
            const parts: Buffer[] = [];
            answer.on('data', (p: Buffer) => parts.push(p));
            answer.on('end', () => res({ status: answer.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
            answer.on('error', rej);
          });
          r.on('error', rej);
          r.end(payload);
        });
      },
      async teardown() {
        if (!closed && frameworkId !== '') await client.call({ type: 'TEARDOWN' }).catch(() => undefined);
        client.close();
      },
      closed: closedPromise,
      close() {
        markClosed();
        socket.destroy();
        agent.destroy();
        listeners.clear();
      },
    };

    // Events that arrive with SUBSCRIBED in one socket read (OFFERS right behind it, typically)
    // are held back until the subscriber's `await` continuation has armed its listeners: it runs
    // as a microtask, before the setImmediate that releases them. Later reads queue behind them.
    let held: Buffer[] | undefined;
    const onRecords = (payloads: Buffer[]) => {
      if (held !== undefined) {
        held.push(...payloads);
        return;
      }
      for (let i = 0; i < payloads.length; i++) {
        const payload = payloads[i];
        const t0 = process.hrtime.bigint();
        const event = decode(payload);
        const t1 = process.hrtime.bigint();
        const received: ReceivedEvent = { event, bytes: payload.length, decodeMs: Number(t1 - t0) / 1e6, at: t1 };
        if (!settled) {
          if (event.type === 'SUBSCRIBED') {
            frameworkId = event.subscribed.framework_id.value as string;
            settled = true;
            clearTimeout(timer);
            resolve(client);
            for (const l of [...listeners]) l(received);
            held = payloads.slice(i + 1);
            setImmediate(() => {
              const release = held ?? [];
              held = undefined;
              onRecords(release);
            });
            return;
          } else if (event.type === 'ERROR') {
            fail(new Error(`SUBSCRIBE: ERROR ${event.error?.message}`));
            return;
          }
        }
        for (const l of [...listeners]) l(received);
      }
    };

    const onBody = (piece: Buffer) => {
      const chunks = chunked.push(piece);
      if (!chunks.ok) return fail(new Error(`event stream: ${chunks.message}`));
      for (const chunk of chunks.payloads) {
        const recs = records.push(chunk);
        if (!recs.ok) return fail(new Error(`event stream: ${recs.message}`));
        onRecords(recs.payloads);
      }
    };

    socket.on('data', (d: Buffer) => {
      if (headersDone) return onBody(d);
      headBuf = Buffer.concat([headBuf, d]);
      const end = headBuf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const lines = headBuf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers = new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).trim().toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      if (status !== 200) return fail(new Error(`SUBSCRIBE answered ${status}: ${headBuf.subarray(end + 4).toString('utf8')}`));
      streamId = headers.get('mesos-stream-id') ?? '';
      headersDone = true;
      onBody(headBuf.subarray(end + 4));
    });
    socket.on('error', (e) => fail(e));
    socket.on('close', () => {
      markClosed();
      fail(new Error('the subscription closed before SUBSCRIBED'));
    });
  });
}

/** A FrameworkInfo as the benchmarks subscribe with. */
export function benchFrameworkInfo(name: string, extra: Json = {}): Json {
  return { user: 'root', name, roles: ['*'], capabilities: [{ type: 'MULTI_ROLE' }], ...extra };
}
