/**
 * The browser side of a live feed (protocol: live-protocol.ts): one WebSocket, many subscriptions.
 * Reconnects with backoff (0.5 s doubling to 10 s) and subscribes again with the same ids and
 * the latest parameters; `onState` tells the page whether it is live. No polling anywhere: the
 * server pushes a snapshot whenever the view changed.
 */
import type { ClientMessage, ServerMessage } from './live-protocol.ts';

export type LiveState = 'connecting' | 'live' | 'reconnecting';

export interface Handlers<T> {
  snapshot?(data: T): void;
  append?(data: unknown): void;
  error?(message: string, field: string | undefined): void;
}

export interface LiveSubscription {
  /** New parameters for the same subscription (the server answers with a fresh snapshot). */
  update(params: Readonly<Record<string, unknown>>): void;
  close(): void;
}

export interface LiveConnection {
  subscribe<T>(topic: string, params: Readonly<Record<string, unknown>>, handlers: Handlers<T>): LiveSubscription;
  onState(listener: (state: LiveState) => void): () => void;
  readonly state: LiveState;
  /** The server's clock now, as far as the last snapshot told (the browser's clock may be off): what ages count from. */
  serverNow(): number;
  close(): void;
}

/** `path` on this page's host, ws: or wss: as the page. */
export function liveUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

export function connectLive(url: string): LiveConnection {
  const subs = new Map<number, { topic: string; params: Readonly<Record<string, unknown>>; handlers: Handlers<any> }>();
  const listeners = new Set<(s: LiveState) => void>();
  let nextId = 1;
  let ws: WebSocket | undefined;
  let state: LiveState = 'connecting';
  let backoff = 500;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  /** The server's clock minus the browser's, from the newest snapshot (0 until one came). */
  let clockOffset = 0;

  const setState = (s: LiveState) => {
    state = s;
    for (const l of listeners) l(s);
  };
  const send = (msg: ClientMessage) => {
    if (ws?.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };
  const open = () => {
    const socket = new WebSocket(url);
    ws = socket;
    socket.onopen = () => {
      backoff = 500;
      setState('live');
      for (const [id, s] of subs) send({ op: 'subscribe', id, topic: s.topic, params: s.params });
    };
    socket.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as ServerMessage;
      const sub = subs.get(msg.id);
      if (sub === undefined) {
        if (msg.op === 'error') console.warn('live feed:', msg.message);
        return;
      }
      if (msg.op === 'snapshot' && typeof msg.now === 'number') clockOffset = msg.now - Date.now();
      if (msg.op === 'snapshot') sub.handlers.snapshot?.(msg.data);
      else if (msg.op === 'append') sub.handlers.append?.(msg.data);
      else sub.handlers.error?.(msg.message, msg.field);
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = undefined;
      if (closed) return;
      setState('reconnecting');
      retry = setTimeout(open, backoff);
      backoff = Math.min(10_000, backoff * 2);
    };
  };
  open();

  return {
    subscribe(topic, params, handlers) {
      const id = nextId++;
      subs.set(id, { topic, params, handlers });
      send({ op: 'subscribe', id, topic, params });
      return {
        update(p) {
          const s = subs.get(id);
          if (s === undefined) return;
          s.params = p;
          send({ op: 'subscribe', id, topic, params: p });
        },
        close() {
          if (subs.delete(id)) send({ op: 'unsubscribe', id });
        },
      };
    },
    onState(listener) {
      listeners.add(listener);
      listener(state);
      return () => listeners.delete(listener);
    },
    get state() {
      return state;
    },
    serverNow: () => Date.now() + clockOffset,
    close() {
      closed = true;
      if (retry) clearTimeout(retry);
      ws?.close();
    },
  };
}
