/**
 * The agent's end of the agent protocol (docs/agent-protocol.md): a WebSocket client to
 * `ws://<master>/maestro/agent/v1`, one protobuf `maestro.agent.Envelope` per binary frame.
 *
 * - On every new connection it sends what `hello()` builds (RegisterAgent for a fresh agent,
 *   ReregisterAgent once it has an id) and is "registered" once AgentRegistered /
 *   AgentReregistered arrives; until then it sends nothing else.
 * - It answers Ping with Pong itself. If nothing arrives from the master for
 *   `max_agent_ping_timeouts` (5) ping intervals, it drops the connection: the master is gone.
 * - A lost or refused connection is retried with exponential backoff as Mesos' agent does:
 *   each wait is a random fraction of the current backoff (jitter from an injected RNG), which
 *   starts at `initialMs` and doubles up to `maxMs`; a registration resets it.
 * - `--master` may list several masters (`host:port,host:port`); each attempt tries the next one,
 *   and an HTTP redirect of the upgrade (a non-leading master answering 307) is followed, so the
 *   agent finds and follows the leader.
 *
 * A frame that does not decode is logged and dropped (the master never sends one).
 */
import WebSocket from 'ws';
import { codec } from '../proto/codec.ts';
import type { maestro } from '../proto/types.generated.ts';
import type { Logger, TimerHandle, Timers } from '../common/ports.ts';

export type Envelope = maestro.agent.Envelope;

const envelopeCodec = codec<Envelope>('maestro.agent.Envelope');

export const AGENT_PROTOCOL_PATH = '/maestro/agent/v1';
/** Mesos' agent gives up on a master after this many ping intervals without a ping. */
export const PING_TIMEOUTS = 5;

export interface MasterLinkOptions {
  /** `host:port` of each master, tried in turn. */
  readonly masters: readonly string[];
  readonly timers: Timers;
  readonly logger: Logger;
  /** A number in [0, 1) for backoff jitter. */
  random(): number;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** The registration message for a new connection. */
  hello(): Envelope;
  /** AgentRegistered or AgentReregistered arrived (the envelope holds which). */
  onRegistered(envelope: Envelope): void;
  /** Any other message from the master after registration (Ping is answered here and not passed on). */
  onMessage(envelope: Envelope): void;
  /** The registered connection was lost. */
  onDisconnected(reason: string): void;
  /** The master refused the registration (the link retries with backoff). */
  onRefused?(message: string): void;
}

export const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 60_000 };

export function parseMasters(flag: string): string[] {
  return flag.split(',').map((s) => s.trim().replace(/^(?:https?|wss?):\/\//, '').replace(/\/.*$/, '')).filter((s) => s !== '');
}

export class MasterLink {
  private ws: WebSocket | undefined;
  private isRegistered = false;
  private stopped = false;
  private attempt = 0;
  private backoffMs: number;
  private reconnectTimer: TimerHandle | undefined;
  private watchdog: TimerHandle | undefined;
  private pingIntervalMs = 15_000;
  private current: string;

  constructor(private readonly o: MasterLinkOptions) {
    if (o.masters.length === 0) throw new Error('MasterLink needs at least one master address');
    this.backoffMs = (o.backoff ?? DEFAULT_BACKOFF).initialMs;
    this.current = o.masters[0];
  }

  get registered(): boolean {
    return this.isRegistered;
  }

  /** `host:port` of the master of the current (or last) connection. */
  get address(): string {
    return this.current;
  }

  start(): void {
    this.connect();
  }

  /** Sends when registered on an open connection; false otherwise (the caller's retry logic covers it). */
  send(envelope: Envelope): boolean {
    if (!this.isRegistered || this.ws === undefined || this.ws.readyState !== WebSocket.OPEN) return false;
    this.corkUntilNextTick(this.ws);
    this.ws.send(envelopeCodec.encode(envelope), { binary: true });
    return true;
  }

  /**
   * The messages sent in one turn of the event loop (a launch wave's status updates) leave in one
   * socket write: the socket is corked at the first and uncorked on the next tick. `ws` keeps its
   * socket in `_socket` (stable across its versions; there is no public accessor).
   */
  private corked = false;
  private corkUntilNextTick(ws: WebSocket): void {
    if (this.corked) return;
    const socket = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (socket === undefined) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  /** Drops the current connection (the link reconnects with backoff). */
  drop(reason: string): void {
    this.ws?.close(1000, reason);
  }

  stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer !== undefined) this.o.timers.clear(this.reconnectTimer);
    if (this.watchdog !== undefined) this.o.timers.clear(this.watchdog);
    const ws = this.ws;
    if (ws === undefined || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      ws.once('close', () => resolve());
      ws.close(1000, 'agent stopping');
      const t = this.o.timers.setTimeout(() => { ws.terminate(); resolve(); }, 2000);
      ws.once('close', () => this.o.timers.clear(t));
    });
  }

  private connect(): void {
    if (this.stopped) return;
    this.current = this.o.masters[this.attempt % this.o.masters.length];
    this.attempt++;
    const url = `ws://${this.current}${AGENT_PROTOCOL_PATH}`;
    const ws = new WebSocket(url, { followRedirects: true, maxPayload: 64 * 1024 * 1024, handshakeTimeout: 10_000 });
    this.ws = ws;
    let closedOnce = false;
    ws.on('open', () => {
      ws.send(envelopeCodec.encode(this.o.hello()), { binary: true });
      this.armWatchdog();
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (ws !== this.ws) return;
      this.armWatchdog();
      let env: Envelope;
      try {
        if (!isBinary) throw new Error('text frame');
        env = envelopeCodec.decode(data);
      } catch (e) {
        this.o.logger.warn({ master: this.current, error: (e as Error).message }, 'dropped a malformed message from the master');
        return;
      }
      this.dispatch(ws, env);
    });
    ws.on('error', (e) => {
      this.o.logger.debug({ master: this.current, error: e.message }, 'master connection error');
    });
    ws.on('close', (code, reason) => {
      if (closedOnce) return;
      closedOnce = true;
      if (ws !== this.ws) return;
      const text = reason.toString() || `code ${code}`;
      this.ws = undefined;
      if (this.watchdog !== undefined) {
        this.o.timers.clear(this.watchdog);
        this.watchdog = undefined;
      }
      if (this.isRegistered) {
        this.isRegistered = false;
        this.o.logger.warn({ master: this.current, reason: text }, 'lost the master connection');
        this.o.onDisconnected(text);
      }
      this.scheduleReconnect();
    });
  }

  private dispatch(ws: WebSocket, env: Envelope): void {
    if (env.ping !== undefined) {
      if (ws.readyState === WebSocket.OPEN) ws.send(envelopeCodec.encode({ pong: { sequence: env.ping.sequence } }), { binary: true });
      return;
    }
    const answer = env.agent_registered ?? env.agent_reregistered;
    if (answer !== undefined) {
      this.isRegistered = true;
      this.backoffMs = (this.o.backoff ?? DEFAULT_BACKOFF).initialMs;
      if (answer.ping_interval_seconds !== undefined && answer.ping_interval_seconds > 0) this.pingIntervalMs = answer.ping_interval_seconds * 1000;
      this.armWatchdog();
      this.o.onRegistered(env);
      return;
    }
    if (env.registration_refused !== undefined) {
      this.o.logger.error({ master: this.current, message: env.registration_refused.message }, 'the master refused the registration');
      this.o.onRefused?.(env.registration_refused.message);
      return;
    }
    // ShutdownAgent also before registration: a master refusing an agent on a DOWN machine sends it first (as Mesos).
    if (!this.isRegistered && env.shutdown_agent === undefined) return;
    this.o.onMessage(env);
  }

  private armWatchdog(): void {
    if (this.watchdog !== undefined) this.o.timers.clear(this.watchdog);
    const ws = this.ws;
    this.watchdog = this.o.timers.setTimeout(() => {
      this.watchdog = undefined;
      if (ws !== this.ws || ws === undefined) return;
      this.o.logger.warn({ master: this.current, silentMs: this.pingIntervalMs * PING_TIMEOUTS }, 'no ping from the master; reconnecting');
      ws.terminate();
    }, this.pingIntervalMs * PING_TIMEOUTS);
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const max = (this.o.backoff ?? DEFAULT_BACKOFF).maxMs;
    const wait = Math.floor(this.o.random() * this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, max);
    this.reconnectTimer = this.o.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, wait);
  }
}
