/**
 * The server side of a live feed (protocol: common/ui/web/live-protocol.ts): a `ws` WebSocket
 * endpoint on a path of an HTTP server, where each client subscribes to topics with parameters.
 *
 * Two kinds of topic:
 * - snapshot topics compute a view from the component's state (`snapshot(params)`). The hub
 *   computes only what somebody subscribed to. When the owner calls `changed()`, every snapshot
 *   subscription is marked dirty; dirty subscriptions are recomputed together in one flush, at most
 *   one flush per `minIntervalMs` (default 250 ms: at most 4 pushes a second each; one flush lets
 *   the owner share work between views of one state), and pushed only if the JSON differs from
 *   the last push. A new subscription gets its first snapshot at once;
 * - stream topics (`stream(params, emit)`) push on their own (a file being tailed); the hub only
 *   starts and stops them.
 *
 * Parameters are validated by the topic (`parse`); a bad one is answered with an `error` naming the
 * field and no subscription is made. A client whose socket is backed up (more than `maxBufferedBytes`
 * unsent) is skipped until it drains, then gets the newest snapshot; a stream asks `emit.backedUp()`
 * and waits instead of reading more. A client holds at most `maxSubscriptions` (64) subscriptions.
 * Closing a socket stops all of its subscriptions. Nothing a client sends, and no exception of a
 * topic, escapes the hub: the owner's process (the master) never dies of a feed message.
 *
 * A browser's upgrade must come from a page of the same origin (its `Origin` host equals the
 * `Host` it connects to), else 403: WebSockets are not under the same-origin policy, and another
 * site's page must not read the cluster's state through a visitor's browser. Clients that send no
 * Origin (not browsers) are let in.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import type { ClientMessage, ServerMessage } from './web/live-protocol.ts';
import type { ParseResult } from './paging.ts';

export interface StreamEmitter {
  snapshot(data: unknown): void;
  append(data: unknown): void;
  error(message: string, field?: string): void;
  /** The client's socket holds more than `maxBufferedBytes` unsent: read no more until it drains. */
  backedUp?(): boolean;
}

export interface LiveTopic<P = unknown> {
  parse(raw: Readonly<Record<string, unknown>>): ParseResult<P>;
  /** A snapshot topic: the view for these parameters. */
  snapshot?(params: P): unknown;
  /** A stream topic: starts pushing; answers the function that stops it. */
  stream?(params: P, emit: StreamEmitter): () => void;
}

export interface LiveHubOptions {
  // Topics differ in their parameter types; the hub passes each its own parsed value.
  readonly topics: Readonly<Record<string, LiveTopic<any>>>;
  readonly minIntervalMs?: number;
  readonly maxBufferedBytes?: number;
  /** Per client (default 64): a page needs a handful; more is refused with an `error` on `id`. */
  readonly maxSubscriptions?: number;
  readonly logger?: { warn(obj: object, msg: string): void };
}

export interface LiveHubStats {
  readonly clients: number;
  readonly subscriptions: number;
  readonly messages: number;
  readonly bytes: number;
}

export interface LiveHub {
  /** The state changed: recompute (coalesced) every snapshot subscription. */
  changed(): void;
  /** Serves the feed on `path` of `server`; upgrades for `otherPaths` are left to their owners, any other path is refused with 404. */
  attach(server: Server, path: string, otherPaths?: readonly string[]): void;
  stats(): LiveHubStats;
  close(): Promise<void>;
}

interface Subscription {
  readonly id: number;
  readonly topic: LiveTopic<any>;
  readonly params: unknown;
  dirty: boolean;
  lastJson: string | undefined;
  stop: (() => void) | undefined;
  closed: boolean;
}

/** No Origin (not a browser), or an Origin whose host:port is the Host asked for. */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export function createLiveHub(options: LiveHubOptions): LiveHub {
  const minInterval = options.minIntervalMs ?? 250;
  const maxBuffered = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const maxSubscriptions = options.maxSubscriptions ?? 64;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Map<WebSocket, Map<number, Subscription>>();
  let messages = 0;
  let bytes = 0;
  let detach: (() => void) | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let lastFlushAt = 0;

  const sendTo = (ws: WebSocket, msg: ServerMessage): void => {
    if (ws.readyState !== ws.OPEN) return;
    const text = JSON.stringify(msg);
    messages++;
    bytes += Buffer.byteLength(text);
    ws.send(text);
  };

  /** Computes and pushes one subscription's snapshot; false when its socket is backed up (it stays dirty). */
  const flush = (ws: WebSocket, sub: Subscription): boolean => {
    if (sub.closed || !sub.dirty || sub.topic.snapshot === undefined) return true;
    if (ws.bufferedAmount > maxBuffered) return false;
    sub.dirty = false;
    let json: string;
    try {
      json = JSON.stringify(sub.topic.snapshot(sub.params));
    } catch (e) {
      options.logger?.warn({ error: (e as Error).stack }, 'live feed: a snapshot failed');
      sendTo(ws, { op: 'error', id: sub.id, message: `snapshot failed: ${(e as Error).message}` });
      return true;
    }
    if (json === sub.lastJson) return true;
    sub.lastJson = json;
    const text = `{"op":"snapshot","id":${sub.id},"now":${Date.now()},"data":${json}}`;
    if (ws.readyState !== ws.OPEN) return true;
    messages++;
    bytes += Buffer.byteLength(text);
    ws.send(text);
    return true;
  };

  const flushAll = (): void => {
    flushTimer = undefined;
    lastFlushAt = Date.now();
    let backedUp = false;
    for (const [ws, subs] of clients) for (const sub of subs.values()) if (!flush(ws, sub)) backedUp = true;
    if (backedUp) scheduleFlush();
  };

  const scheduleFlush = (): void => {
    if (flushTimer !== undefined) return;
    flushTimer = setTimeout(flushAll, Math.max(0, lastFlushAt + minInterval - Date.now()));
  };

  const stopSub = (sub: Subscription): void => {
    sub.closed = true;
    sub.stop?.();
    sub.stop = undefined;
  };

  /** Whatever a client sends or a topic throws ends here, never in the owner's process. */
  const onMessage = (ws: WebSocket, data: RawData, isBinary: boolean): void => {
    try {
      handleMessage(ws, data, isBinary);
    } catch (e) {
      options.logger?.warn({ error: (e as Error).stack }, 'live feed: a message failed');
      sendTo(ws, { op: 'error', id: -1, message: `message failed: ${(e as Error).message}` });
    }
  };

  const handleMessage = (ws: WebSocket, data: RawData, isBinary: boolean): void => {
    const subs = clients.get(ws);
    if (subs === undefined) return;
    let msg: ClientMessage;
    try {
      if (isBinary) throw new Error('binary frames are not part of the feed');
      msg = JSON.parse(data.toString()) as ClientMessage;
      if (typeof msg !== 'object' || msg === null || !Number.isInteger(msg.id)) throw new Error('id must be an integer');
    } catch (e) {
      sendTo(ws, { op: 'error', id: -1, field: 'id', message: `malformed message: ${(e as Error).message}` });
      return;
    }
    const old = subs.get(msg.id);
    if (msg.op === 'unsubscribe') {
      if (old) stopSub(old);
      subs.delete(msg.id);
      return;
    }
    if (msg.op !== 'subscribe') {
      sendTo(ws, { op: 'error', id: (msg as { id: number }).id, field: 'op', message: "op must be 'subscribe' or 'unsubscribe'" });
      return;
    }
    if (typeof msg.topic !== 'string') {
      sendTo(ws, { op: 'error', id: msg.id, field: 'topic', message: 'topic must be a string' });
      return;
    }
    const topic = Object.hasOwn(options.topics, msg.topic) ? options.topics[msg.topic] : undefined;
    if (topic === undefined) {
      sendTo(ws, { op: 'error', id: msg.id, field: 'topic', message: `unknown topic '${msg.topic.slice(0, 100)}'` });
      return;
    }
    if (old === undefined && subs.size >= maxSubscriptions) {
      sendTo(ws, { op: 'error', id: msg.id, field: 'id', message: `at most ${maxSubscriptions} subscriptions per connection` });
      return;
    }
    const raw = typeof msg.params === 'object' && msg.params !== null ? msg.params : {};
    const parsed = topic.parse(raw);
    if (!parsed.ok) {
      sendTo(ws, { op: 'error', id: msg.id, field: parsed.field, message: parsed.message });
      return;
    }
    if (old) stopSub(old);
    const sub: Subscription = { id: msg.id, topic, params: parsed.value, dirty: true, lastJson: undefined, stop: undefined, closed: false };
    subs.set(msg.id, sub);
    if (topic.stream) {
      try {
        sub.stop = topic.stream(parsed.value, {
          snapshot: (d) => { if (!sub.closed) sendTo(ws, { op: 'snapshot', id: sub.id, now: Date.now(), data: d }); },
          append: (d) => { if (!sub.closed) sendTo(ws, { op: 'append', id: sub.id, data: d }); },
          error: (message, field) => { if (!sub.closed) sendTo(ws, { op: 'error', id: sub.id, message, ...(field === undefined ? {} : { field }) }); },
          backedUp: () => ws.bufferedAmount > maxBuffered,
        });
      } catch (e) {
        sub.closed = true;
        subs.delete(msg.id);
        throw e;
      }
    } else if (!flush(ws, sub)) {
      scheduleFlush();
    }
  };

  wss.on('connection', (ws: WebSocket) => {
    clients.set(ws, new Map());
    ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on('error', () => { /* the close event follows */ });
    ws.on('close', () => {
      for (const sub of clients.get(ws)?.values() ?? []) stopSub(sub);
      clients.delete(ws);
    });
  });

  return {
    changed() {
      let any = false;
      for (const subs of clients.values()) {
        for (const sub of subs.values()) {
          if (sub.topic.snapshot === undefined) continue;
          sub.dirty = true;
          any = true;
        }
      }
      if (any) scheduleFlush();
    },
    attach(server, path, otherPaths = []) {
      const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const p = (req.url ?? '').split('?')[0];
        if (p === path) {
          if (!sameOrigin(req)) {
            socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
            socket.destroy();
            return;
          }
          wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
        } else if (!otherPaths.includes(p)) {
          socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
          socket.destroy();
        }
      };
      server.on('upgrade', onUpgrade);
      detach = () => server.off('upgrade', onUpgrade);
    },
    stats() {
      let subscriptions = 0;
      for (const subs of clients.values()) subscriptions += subs.size;
      return { clients: clients.size, subscriptions, messages, bytes };
    },
    close() {
      detach?.();
      if (flushTimer) clearTimeout(flushTimer);
      flushTimer = undefined;
      for (const [ws, subs] of clients) {
        for (const sub of subs.values()) stopSub(sub);
        ws.terminate();
      }
      clients.clear();
      return new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
