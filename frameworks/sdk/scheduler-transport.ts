/**
 * The HTTP side of the scheduler API (JSON encoding), with node:http:
 *  - `openSubscription` POSTs SUBSCRIBE to `http://<master>/api/v1/scheduler` and keeps the
 *    response open; a 200 hands back the `Mesos-Stream-Id` and the raw body stream, a 307 hands
 *    back the leader named by `Location` (`//host:port/path`, or an absolute URL), anything
 *    else is a refusal with status and body text, and a socket error is a connection failure;
 *  - `postCall` sends one call with the stream id and resolves with status and body text.
 * No exceptions leave this module: every outcome is a value. Masters are `host:port` strings.
 */
import { Agent, request, type IncomingMessage } from 'node:http';

export const SCHEDULER_PATH = '/api/v1/scheduler';

export type SubscribeAnswer =
  | { readonly kind: 'stream'; readonly streamId: string; readonly body: IncomingMessage; abort(): void }
  | { readonly kind: 'redirect'; readonly leader: string }
  | { readonly kind: 'refused'; readonly status: number; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

export interface CallAnswer {
  /** HTTP status; 0 when the request never got an answer. */
  readonly status: number;
  readonly text: string;
}

/** `//host:port/path` or `http://host:port/path` to `host:port`; undefined when unparsable. */
export function leaderFromLocation(location: string | undefined): string | undefined {
  if (location === undefined || location === '') return undefined;
  try {
    const url = new URL(location.startsWith('//') ? `http:${location}` : location);
    return url.host === '' ? undefined : url.host;
  } catch {
    return undefined;
  }
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    res.on('data', (c: Buffer) => parts.push(c));
    res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    res.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}

export interface SchedulerTransport {
  openSubscription(master: string, call: object, connectTimeoutMs: number): Promise<SubscribeAnswer>;
  postCall(master: string, call: object, streamId: string | undefined): Promise<CallAnswer>;
  /** Closes idle keep-alive sockets (the driver stopped). */
  close(): void;
}

export function createSchedulerTransport(): SchedulerTransport {
  // Calls reuse connections; the subscription has its own socket (agent: false), so a slow
  // call never queues behind the never-ending event stream.
  const callAgent = new Agent({ keepAlive: true, maxSockets: 8 });
  return {
    openSubscription(master, call, connectTimeoutMs) {
      return new Promise((resolve) => {
        const body = Buffer.from(JSON.stringify(call));
        let settled = false;
        const settle = (a: SubscribeAnswer) => {
          if (!settled) {
            settled = true;
            resolve(a);
          }
        };
        const req = request(`http://${master}${SCHEDULER_PATH}`, {
          method: 'POST',
          agent: false,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': String(body.length), Connection: 'keep-alive' },
        }, (res) => {
          clearTimeout(timer);
          const status = res.statusCode ?? 0;
          if (status === 200) {
            res.socket.setKeepAlive(true, 10_000);
            settle({ kind: 'stream', streamId: String(res.headers['mesos-stream-id'] ?? ''), body: res, abort: () => req.destroy() });
            return;
          }
          void readAll(res).then((text) => {
            const leader = status === 307 ? leaderFromLocation(res.headers.location) : undefined;
            if (leader !== undefined) settle({ kind: 'redirect', leader });
            else settle({ kind: 'refused', status, message: text.trim() || `HTTP ${status}` });
          });
        });
        const timer = setTimeout(() => {
          req.destroy();
          settle({ kind: 'unreachable', message: `no answer from ${master} within ${connectTimeoutMs} ms` });
        }, connectTimeoutMs);
        timer.unref();
        req.on('error', (e) => {
          clearTimeout(timer);
          settle({ kind: 'unreachable', message: `${master}: ${e.message}` });
        });
        req.end(body);
      });
    },
    postCall(master, call, streamId) {
      return new Promise((resolve) => {
        const body = Buffer.from(JSON.stringify(call));
        const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': String(body.length) };
        if (streamId !== undefined && streamId !== '') headers['Mesos-Stream-Id'] = streamId;
        const req = request(`http://${master}${SCHEDULER_PATH}`, { method: 'POST', agent: callAgent, headers }, (res) => {
          void readAll(res).then((text) => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', (e) => resolve({ status: 0, text: `${master}: ${e.message}` }));
        req.end(body);
      });
    },
    close() {
      callAgent.destroy();
    },
  };
}
