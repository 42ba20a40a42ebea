/**
 * A minimal Mesos v1 scheduler client for tests, written against the wire only (no maestro SDK):
 *  - `subscribe` opens `POST /api/v1/scheduler` over a raw TCP socket and parses the HTTP/1.1
 *    response itself, so it sees the real chunk boundaries: it records every HTTP chunk, checks
 *    the RecordIO framing (`<decimal length>\n<bytes>`) and decodes each record as an Event
 *    (JSON, or protobuf through proto/codec.ts);
 *  - `call` and `rawRequest` use `node:http`, with any headers and body, so tests can send
 *    well-formed calls as well as every kind of bad input.
 * Events are collected in arrival order; `waitForEvent` resolves on the first matching event at
 * or after a cursor, so no event is missed between a call and the wait for its effect.
 */
import { connect, type Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { codec } from '../../proto/codec.ts';

export type Json = Record<string, any>;

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  readonly text: string;
}

export interface RawRequest {
  readonly method?: string;
  readonly path: string;
  /** Headers to send; an undefined value leaves that header out. */
  readonly headers?: Record<string, string | undefined>;
  readonly body?: string | Buffer;
}

/** One HTTP request with node:http; resolves with the whole answer. */
export function rawRequest(baseUrl: string, req: RawRequest): Promise<HttpAnswer> {
  const url = new URL(req.path, baseUrl);
  return new Promise((resolve, reject) => {
    const headers = Object.fromEntries(Object.entries(req.headers ?? {}).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const r = httpRequest(url, { method: req.method ?? 'POST', headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const body = Buffer.concat(parts);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

export async function getJson(baseUrl: string, path: string): Promise<Json> {
  const answer = await rawRequest(baseUrl, { method: 'GET', path });
  if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text}`);
  return JSON.parse(answer.text) as Json;
}

export type Encoding = 'json' | 'protobuf';
const MEDIA: Record<Encoding, string> = { json: 'application/json', protobuf: 'application/x-protobuf' };

const callCodec = () => codec<Json>('mesos.v1.scheduler.Call');
const eventCodec = () => codec<Json>('mesos.v1.scheduler.Event');

function encodeCall(encoding: Encoding, call: Json): Buffer {
  if (encoding === 'json') return Buffer.from(JSON.stringify(call));
  const bytes = callCodec().encode(callCodec().fromJson(call));
  return Buffer.from(bytes);
}

export interface SubscribeOptions {
  /** Body encoding (Content-Type), JSON by default. */
  readonly encoding?: Encoding;
  /** Accept header; defaults to the body encoding's media type. */
  readonly accept?: string;
  readonly headers?: Record<string, string>;
}

export interface Subscription {
  /** Status and headers of the SUBSCRIBE answer. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The body of a non-200 answer. */
  readonly errorText: string;
  readonly streamId: string;
  /** Every event, in arrival order. */
  readonly events: Json[];
  /** Every HTTP chunk's payload, as received. */
  readonly chunks: Buffer[];
  /** Chunks that did not hold exactly one whole RecordIO record. */
  readonly misframedChunks: number;
  frameworkId(): string;
  /** Waits for an event of `type` (matching `predicate`) at index >= `from` (default: 0). */
  waitForEvent(type: string, predicate?: (e: Json) => boolean, timeoutMs?: number, from?: number): Promise<Json>;
  /** Sends a call with this stream's id and encoding; `framework_id` is filled in when absent. */
  call(call: Json, headers?: Record<string, string | undefined>): Promise<HttpAnswer>;
  /** Resolves when the server ends the stream or the socket closes. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Parses one RecordIO record that must span the whole buffer; undefined when it does not. */
function wholeRecord(chunk: Buffer): Buffer | undefined {
  const nl = chunk.indexOf(0x0a);
  if (nl <= 0) return undefined;
  const text = chunk.subarray(0, nl).toString('ascii');
  if (!/^\d+$/.test(text)) return undefined;
  const length = Number(text);
  return chunk.length === nl + 1 + length ? chunk.subarray(nl + 1) : undefined;
}

export function subscribe(baseUrl: string, call: Json, options: SubscribeOptions = {}): Promise<Subscription> {
  const encoding = options.encoding ?? 'json';
  const url = new URL('/api/v1/scheduler', baseUrl);
  const body = encodeCall(encoding, call);
  const headers: Record<string, string> = {
    Host: url.host,
    'Content-Type': MEDIA[encoding],
    Accept: options.accept ?? MEDIA[encoding],
    'Content-Length': String(body.length),
    Connection: 'keep-alive',
    ...options.headers,
  };
  const socket: Socket = connect(Number(url.port), url.hostname);
  socket.write(`POST ${url.pathname} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`);
  socket.write(body);

  const events: Json[] = [];
  const chunks: Buffer[] = [];
  let misframed = 0;
  let eventEncoding: Encoding = encoding;
  const waiters = new Set<() => void>();
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => { endedResolve = r; });
  let isEnded = false;

  const onEvent = (payload: Buffer) => {
    const event = eventEncoding === 'json' ? JSON.parse(payload.toString('utf8')) as Json : eventCodec().decode(payload);
    events.push(event);
    for (const w of [...waiters]) w();
  };

  return new Promise<Subscription>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let phase: 'head' | 'chunks' | 'fixed' | 'done' = 'head';
    let status = 0;
    const resHeaders: Record<string, string> = {};
    let fixedLength = 0;
    let resolved = false;

    const finishHead = (sub: Subscription) => {
      if (!resolved) {
        resolved = true;
        resolve(sub);
      }
    };

    const makeSub = (errorText: string): Subscription => ({
      status,
      headers: resHeaders,
      errorText,
      streamId: resHeaders['mesos-stream-id'] ?? '',
      events,
      chunks,
      get misframedChunks() { return misframed; },
      frameworkId() {
        const subscribed = events.find((e) => e.type === 'SUBSCRIBED');
        if (subscribed === undefined) throw new Error('no SUBSCRIBED event yet');
        return subscribed.subscribed.framework_id.value as string;
      },
      waitForEvent(type, predicate = () => true, timeoutMs = 10_000, from = 0) {
        return new Promise<Json>((res, rej) => {
          const check = () => {
            for (let i = from; i < events.length; i++) {
              if (events[i].type === type && predicate(events[i])) {
                waiters.delete(check);
                clearTimeout(timer);
                res(events[i]);
                return true;
              }
            }
            return false;
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            rej(new Error(`no ${type} event within ${timeoutMs} ms; got ${events.map((e) => e.type).join(', ')}`));
          }, timeoutMs);
          if (!check()) waiters.add(check);
        });
      },
      call(c, extra = {}) {
        const full = { framework_id: { value: this.frameworkId() }, ...c };
        return rawRequest(baseUrl, {
          path: '/api/v1/scheduler',
          headers: { 'Content-Type': MEDIA[encoding], 'Mesos-Stream-Id': resHeaders['mesos-stream-id'] ?? '', ...extra },
          body: encodeCall(encoding, full),
        });
      },
      ended,
      close() { socket.destroy(); },
    });

    const pump = () => {
      for (;;) {
        if (phase === 'head') {
          const end = buffer.indexOf('\r\n\r\n');
          if (end === -1) return;
          const lines = buffer.subarray(0, end).toString('latin1').split('\r\n');
          buffer = buffer.subarray(end + 4);
          status = Number(lines[0].split(' ')[1]);
          for (const line of lines.slice(1)) {
            const colon = line.indexOf(':');
            resHeaders[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
          }
          if ((resHeaders['content-type'] ?? '').startsWith(MEDIA.protobuf)) eventEncoding = 'protobuf';
          if (status === 200 && resHeaders['transfer-encoding'] === 'chunked') {
            phase = 'chunks';
            finishHead(makeSub(''));
          } else {
            phase = 'fixed';
            fixedLength = Number(resHeaders['content-length'] ?? '0');
          }
        } else if (phase === 'fixed') {
          if (buffer.length < fixedLength) return;
          phase = 'done';
          finishHead(makeSub(buffer.subarray(0, fixedLength).toString('utf8')));
          socket.destroy();
          return;
        } else if (phase === 'chunks') {
          const lineEnd = buffer.indexOf('\r\n');
          if (lineEnd === -1) return;
          const size = parseInt(buffer.subarray(0, lineEnd).toString('latin1'), 16);
          if (size === 0) {
            phase = 'done';
            socket.end();
            return;
          }
          if (buffer.length < lineEnd + 2 + size + 2) return;
          const chunk = buffer.subarray(lineEnd + 2, lineEnd + 2 + size);
          buffer = buffer.subarray(lineEnd + 2 + size + 2);
          chunks.push(Buffer.from(chunk));
          const record = wholeRecord(chunk);
          if (record === undefined) misframed++;
          else onEvent(record);
        } else {
          return;
        }
      }
    };

    socket.on('data', (d: Buffer) => {
      buffer = Buffer.concat([buffer, d]);
      try {
        pump();
      } catch (error) {
        socket.destroy();
        if (!resolved) reject(error);
      }
    });
    socket.on('error', (error) => { if (!resolved) reject(error); });
    socket.on('close', () => {
      if (!isEnded) {
        isEnded = true;
        endedResolve();
      }
      for (const w of [...waiters]) w();
      if (!resolved) reject(new Error(`connection closed before an answer (status ${status})`));
    });
  });
}

/** A FrameworkInfo as real clients send it: every unset optional field an explicit null. */
export function frameworkInfo(overrides: Json = {}): Json {
  return {
    user: 'root',
    name: 'test-framework',
    id: null,
    failover_timeout: null,
    checkpoint: null,
    role: null,
    roles: null,
    hostname: null,
    principal: null,
    webui_url: null,
    capabilities: null,
    labels: null,
    ...overrides,
  };
}

export function subscribeCall(info: Json = frameworkInfo()): Json {
  return { type: 'SUBSCRIBE', framework_id: null, subscribe: { framework_info: info } };
}
