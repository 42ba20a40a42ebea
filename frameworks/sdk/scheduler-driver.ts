/**
 * The scheduler driver: keeps one framework subscribed to the leading master and turns the
 * event stream into `SchedulerHandler` calls; the framework's calls go out with the stream id.
 *
 * Connection (driver-state.ts has the table): DISCONNECTED --connect--> SUBSCRIBING
 * --subscribed--> SUBSCRIBED; a failed attempt, an ended stream or a silent master (no event for
 * `heartbeatMisses` × heartbeat_interval_seconds) is `lost`, and the next attempt waits for the
 * backoff delay (exponential, jittered by the RNG port; reset once SUBSCRIBED). A 307 moves the
 * attempt to the leader its `Location` names at once; a master that does not answer makes the
 * next attempt go to the next master in the list. Every SUBSCRIBE after the first carries the
 * framework id (the caller's persisted one, or the one the master gave), so the master treats it
 * as a failover and the tasks stay. ERROR (framework removed, failed over by another scheduler)
 * or a 4xx refusal of SUBSCRIBE stops the driver for good.
 *
 * Invariants: handler calls happen one at a time in stream order, and only for the current
 * stream (events of a stream the driver gave up are dropped; after an ERROR, the events that came
 * before it are still handed over, then `error`); an update with a uuid is
 * acknowledged (auto mode) only after `handler.update` resolved, and never when it threw; calls
 * never throw (`CallResult`); demand is re-applied after every SUBSCRIBED.
 */
import type { Clock, Logger, TimerHandle, Timers } from '../../common/ports.ts';
import { silentLogger, systemClock, systemTimers } from '../../common/ports.ts';
import { createBackoff, createSeededRandom, type BackoffOptions, type RandomSource } from './backoff.ts';
import { transition, type DriverEvent, type DriverState } from './driver-state.ts';
import { createRecordIoDecoder } from './recordio-decoder.ts';
import type { CallResult, Filters, FrameworkInfo, Offer, Operation, SchedulerEvent, SchedulerHandler, TaskRef } from './scheduler-handler.ts';
import { createSchedulerTransport, type SchedulerTransport } from './scheduler-transport.ts';

export type { DriverState } from './driver-state.ts';
export type { CallResult, SchedulerHandler, TaskRef } from './scheduler-handler.ts';

export interface SchedulerDriverOptions {
  /** `host:port` of every master; the driver finds the leader by redirect. */
  readonly masters: readonly string[];
  readonly frameworkInfo: FrameworkInfo;
  /** The id the caller persisted: the first SUBSCRIBE is a failover of that framework. */
  readonly frameworkId?: string;
  readonly handler: SchedulerHandler;
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly timers?: Timers;
  /** Jitter source; seeded from the clock when absent. */
  readonly random?: RandomSource;
  readonly backoff?: BackoffOptions;
  /** Missed heartbeats before the stream counts as lost (default 5). */
  readonly heartbeatMisses?: number;
  /** 'auto' (default): the driver acknowledges updates; 'explicit': the framework calls `acknowledge`. */
  readonly acks?: 'auto' | 'explicit';
  /** How long a SUBSCRIBE may wait for response headers (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Transport port (tests of the driver without a master may pass another). */
  readonly transport?: SchedulerTransport;
}

export interface ReconciliationOptions {
  readonly intervalMs: number;
  /** The tasks the framework believes in, asked for explicitly at each round. */
  readonly tasks: () => readonly TaskRef[];
}

export interface SchedulerDriver {
  readonly state: DriverState;
  /** The framework id, once known (the caller's or the master's). */
  readonly frameworkId: string | undefined;
  /** The master currently (or last) subscribed to, `host:port`. */
  readonly master: string | undefined;
  /** Starts connecting; idempotent. */
  start(): void;
  accept(offerIds: readonly string[], operations: readonly Operation[], filters?: Filters): Promise<CallResult>;
  decline(offerIds: readonly string[], filters?: Filters): Promise<CallResult>;
  revive(roles?: readonly string[]): Promise<CallResult>;
  suppress(roles?: readonly string[]): Promise<CallResult>;
  kill(taskId: string, agentId?: string): Promise<CallResult>;
  /** Explicit reconciliation of `tasks`; an empty list is implicit reconciliation (all tasks). */
  reconcile(tasks: readonly TaskRef[]): Promise<CallResult>;
  acknowledge(ack: { readonly taskId: string; readonly agentId: string; readonly uuid: string }): Promise<CallResult>;
  /** Suppresses offers when false, revives when it turns true; re-applied after re-subscription. */
  setDemand(hasDemand: boolean): Promise<CallResult>;
  /** Reconciles at every SUBSCRIBED and every `intervalMs` after; returns a function that stops it. */
  startReconciliation(options: ReconciliationOptions): () => void;
  /** TEARDOWN (the master removes the framework and kills its tasks), then stop. */
  teardown(): Promise<CallResult>;
  /** Closes the stream and stops reconnecting; the framework stays registered (failover possible). */
  stop(): void;
}

const NOT_SUBSCRIBED = (state: DriverState): CallResult => ({ ok: false, status: 0, message: `not subscribed (driver is ${state})` });

export function createSchedulerDriver(opts: SchedulerDriverOptions): SchedulerDriver {
  if (opts.masters.length === 0) throw new Error('createSchedulerDriver: masters is empty');
  const log = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const timers = opts.timers ?? systemTimers;
  const backoff = createBackoff(opts.backoff ?? { initialMs: 500, maxMs: 30_000 }, opts.random ?? createSeededRandom(clock.now() & 0xffffffff));
  const transport = opts.transport ?? createSchedulerTransport();
  const misses = opts.heartbeatMisses ?? 5;
  const autoAck = (opts.acks ?? 'auto') === 'auto';
  const handler = opts.handler;

  let state: DriverState = 'DISCONNECTED';
  let started = false;
  let frameworkId = opts.frameworkId;
  let masterIndex = 0;
  let leader: string | undefined;
  let current: string | undefined;
  let streamId: string | undefined;
  /** Bumped for every attempt; callbacks of an older attempt see a stale generation and do nothing. */
  let generation = 0;
  let abortStream: (() => void) | undefined;
  let watchdog: TimerHandle | undefined;
  let retryTimer: TimerHandle | undefined;
  let demand: boolean | undefined;
  let reconciliation: { options: ReconciliationOptions; timer: TimerHandle } | undefined;
  let queue: Promise<void> = Promise.resolve();
  let heartbeatSeconds = 15;
  /** A stream stopped by ERROR: the events that came before the ERROR are still handed over. */
  let draining: number | undefined;

  const move = (event: DriverEvent): boolean => {
    const r = transition(state, event);
    if (!r.ok) {
      log.error({ state, event }, r.message);
      return false;
    }
    log.debug({ from: state, to: r.state, event }, 'driver transition');
    state = r.state;
    return true;
  };

  const clearWatchdog = () => {
    if (watchdog !== undefined) timers.clear(watchdog);
    watchdog = undefined;
  };

  const safely = async (what: string, fn: () => void | Promise<void>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (e) {
      log.warn({ handler: what, error: e instanceof Error ? e.message : String(e) }, 'scheduler handler threw');
      return false;
    }
  };

  const scheduleAttempt = (delayMs: number) => {
    if (retryTimer !== undefined) timers.clear(retryTimer);
    retryTimer = timers.setTimeout(() => {
      retryTimer = undefined;
      void attempt(0);
    }, delayMs);
  };

  const lose = (reason: string, nextMaster: boolean) => {
    if (state === 'STOPPED' || state === 'DISCONNECTED') return;
    const wasSubscribed = state === 'SUBSCRIBED';
    generation++;
    clearWatchdog();
    abortStream?.();
    abortStream = undefined;
    streamId = undefined;
    if (!move('lost')) return;
    leader = undefined;
    if (nextMaster) masterIndex = (masterIndex + 1) % opts.masters.length;
    const delay = backoff.nextDelayMs();
    log.warn({ reason, retryInMs: delay, attempt: backoff.attempts }, 'scheduler stream lost');
    if (wasSubscribed && handler.disconnected) queue = queue.then(() => safely('disconnected', () => handler.disconnected!())).then(() => undefined);
    scheduleAttempt(delay);
  };

  const stopWith = (message: string | undefined, drain?: number) => {
    if (state === 'STOPPED') return;
    draining = drain;
    generation++;
    clearWatchdog();
    if (retryTimer !== undefined) timers.clear(retryTimer);
    retryTimer = undefined;
    if (reconciliation) timers.clear(reconciliation.timer);
    abortStream?.();
    abortStream = undefined;
    move('stop');
    transport.close();
    if (message !== undefined) {
      log.error({ message }, 'framework stopped by the master');
      queue = queue.then(() => safely('error', () => handler.error(message))).then(() => undefined);
    }
  };

  const armWatchdog = (intervalSeconds: number, gen: number) => {
    clearWatchdog();
    const ms = Math.max(1, intervalSeconds) * 1000 * misses;
    watchdog = timers.setTimeout(() => {
      if (gen === generation) lose(`no event for ${ms} ms (${misses} heartbeats)`, false);
    }, ms);
  };

  const subscribeCall = () => {
    const info: FrameworkInfo = frameworkId !== undefined ? { ...opts.frameworkInfo, id: { value: frameworkId } } : opts.frameworkInfo;
    return { type: 'SUBSCRIBE', ...(frameworkId !== undefined ? { framework_id: { value: frameworkId } } : {}), subscribe: { framework_info: info } };
  };

  /** One SUBSCRIBE attempt; `redirects` counts 307s followed within it. */
  const attempt = async (redirects: number): Promise<void> => {
    if (state === 'STOPPED') return;
    if (redirects === 0 && !move('connect')) return;
    const gen = ++generation;
    const master = leader ?? opts.masters[masterIndex];
    log.info({ master, frameworkId }, 'subscribing');
    const answer = await transport.openSubscription(master, subscribeCall(), opts.connectTimeoutMs ?? 10_000);
    if (gen !== generation || state !== 'SUBSCRIBING') {
      if (answer.kind === 'stream') answer.abort();
      return;
    }
    switch (answer.kind) {
      case 'redirect':
        if (redirects >= 3) return lose(`too many redirects (last to ${answer.leader})`, true);
        leader = answer.leader;
        log.info({ from: master, leader }, 'following the leader');
        return attempt(redirects + 1);
      case 'unreachable':
        return lose(answer.message, true);
      case 'refused':
        // 503: no leader yet (or this one is not ready); 4xx: the call itself is wrong, retrying will not help.
        if (answer.status >= 400 && answer.status < 500) return stopWith(`SUBSCRIBE refused: ${answer.status} ${answer.message}`);
        return lose(`SUBSCRIBE answered ${answer.status}: ${answer.message}`, answer.status === 503);
      case 'stream':
        break;
    }
    current = master;
    streamId = answer.streamId;
    abortStream = answer.abort;
    // Until SUBSCRIBED arrives, the watchdog guards with the default interval.
    armWatchdog(15, gen);
    const decoder = createRecordIoDecoder();
    answer.body.on('data', (chunk: Buffer) => {
      if (gen !== generation) return;
      const decoded = decoder.push(chunk);
      if (!decoded.ok) return lose(decoded.message, false);
      for (const record of decoded.records) {
        let event: SchedulerEvent;
        try {
          event = JSON.parse(record.toString('utf8')) as SchedulerEvent;
        } catch {
          return lose('an event that is not JSON', false);
        }
        onEvent(event, gen);
      }
    });
    const ended = (why: string) => {
      if (gen === generation) lose(why, false);
    };
    answer.body.on('end', () => ended('the master ended the stream'));
    answer.body.on('error', (e: Error) => ended(`stream error: ${e.message}`));
    answer.body.on('close', () => ended('stream closed'));
  };

  /** Whether queued handler calls of stream `gen` still run. */
  const isLive = (gen: number) => gen === generation || gen === draining;

  const enqueue = (gen: number, what: string, fn: () => void | Promise<void>) => {
    queue = queue.then(async () => {
      if (!isLive(gen)) return;
      await safely(what, fn);
    });
  };

  const onEvent = (event: SchedulerEvent, gen: number) => {
    // Any event proves the master alive.
    armWatchdog(heartbeatSeconds, gen);
    switch (event.type) {
      case 'SUBSCRIBED': {
        const sub = event.subscribed!;
        frameworkId = sub.framework_id.value;
        heartbeatSeconds = sub.heartbeat_interval_seconds ?? 15;
        armWatchdog(heartbeatSeconds, gen);
        if (!move('subscribed')) return;
        backoff.reset();
        log.info({ frameworkId, master: current }, 'subscribed');
        enqueue(gen, 'subscribed', () => handler.subscribed(sub.framework_id.value, sub.master_info));
        enqueue(gen, 'demand', async () => {
          // Re-applied: suppressed again, or revived (the filters of an earlier subscription would otherwise hold back the offers it wants).
          if (demand === false) await send({ type: 'SUPPRESS', suppress: {} });
          else if (demand === true) await send({ type: 'REVIVE', revive: {} });
        });
        if (reconciliation) enqueue(gen, 'reconcile', () => reconcileRound(reconciliation!.options));
        return;
      }
      case 'HEARTBEAT':
        return;
      case 'OFFERS':
        return enqueue(gen, 'offers', () => handler.offers(event.offers?.offers ?? []));
      case 'RESCIND':
        return enqueue(gen, 'rescind', () => handler.rescind(event.rescind!.offer_id.value));
      case 'UPDATE': {
        const status = event.update!.status;
        queue = queue.then(async () => {
          if (!isLive(gen)) return;
          const handled = await safely('update', () => handler.update(status));
          if (handled && autoAck && status.uuid !== undefined && status.uuid !== '' && status.agent_id !== undefined) {
            // Sent, not awaited: the next event need not wait a round trip (acks of different
            // updates are independent; a lost one makes the agent resend the update).
            void send({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid } }).then((r) => {
              if (!r.ok) log.warn({ taskId: status.task_id.value, status: r.status, message: r.message }, 'acknowledgement failed');
            });
          }
        });
        return;
      }
      case 'FAILURE':
        if (handler.failure) enqueue(gen, 'failure', () => handler.failure!(event.failure!));
        return;
      case 'MESSAGE':
        if (handler.message) enqueue(gen, 'message', () => handler.message!(event.message!));
        return;
      case 'ERROR':
        return stopWith(event.error?.message ?? 'ERROR event without a message', gen);
      default:
        log.debug({ type: event.type }, 'event ignored');
    }
  };

  const send = async (call: Record<string, unknown>): Promise<CallResult> => {
    if (state !== 'SUBSCRIBED' || current === undefined || frameworkId === undefined) return NOT_SUBSCRIBED(state);
    const answer = await transport.postCall(current, { framework_id: { value: frameworkId }, ...call }, streamId);
    if (answer.status >= 200 && answer.status < 300) return { ok: true };
    return { ok: false, status: answer.status, message: answer.text.trim() || `HTTP ${answer.status}` };
  };

  const reconcileRound = async (options: ReconciliationOptions) => {
    const known = options.tasks();
    if (known.length > 0) await driver.reconcile(known);
    await driver.reconcile([]);
  };

  const roleList = (roles: readonly string[] | undefined) => (roles !== undefined && roles.length > 0 ? { roles: [...roles] } : {});

  const driver: SchedulerDriver = {
    get state() {
      return state;
    },
    get frameworkId() {
      return frameworkId;
    },
    get master() {
      return current;
    },
    start() {
      if (started) return;
      started = true;
      void attempt(0);
    },
    accept: (offerIds, operations, filters) =>
      send({ type: 'ACCEPT', accept: { offer_ids: offerIds.map((value) => ({ value })), operations: [...operations], ...(filters ? { filters } : {}) } }),
    decline: (offerIds, filters) => send({ type: 'DECLINE', decline: { offer_ids: offerIds.map((value) => ({ value })), ...(filters ? { filters } : {}) } }),
    revive: (roles) => send({ type: 'REVIVE', revive: roleList(roles) }),
    suppress: (roles) => send({ type: 'SUPPRESS', suppress: roleList(roles) }),
    kill: (taskId, agentId) => send({ type: 'KILL', kill: { task_id: { value: taskId }, ...(agentId !== undefined ? { agent_id: { value: agentId } } : {}) } }),
    reconcile: (tasks) =>
      send({
        type: 'RECONCILE',
        reconcile: { tasks: tasks.map((task) => ({ task_id: { value: task.taskId }, ...(task.agentId !== undefined ? { agent_id: { value: task.agentId } } : {}) })) },
      }),
    acknowledge: (ack) => send({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: { value: ack.agentId }, task_id: { value: ack.taskId }, uuid: ack.uuid } }),
    async setDemand(hasDemand) {
      if (demand === hasDemand) return { ok: true };
      const previous = demand;
      demand = hasDemand;
      // While not subscribed the new demand is applied at the next SUBSCRIBED.
      if (state !== 'SUBSCRIBED') return { ok: true };
      const result = hasDemand ? await driver.revive() : await driver.suppress();
      // Not applied: a later setDemand with the same value tries again.
      if (!result.ok && demand === hasDemand) demand = previous;
      return result;
    },
    startReconciliation(options) {
      if (reconciliation) timers.clear(reconciliation.timer);
      const timer = timers.setInterval(() => {
        if (state === 'SUBSCRIBED') void reconcileRound(options);
      }, options.intervalMs);
      const mine = { options, timer };
      reconciliation = mine;
      if (state === 'SUBSCRIBED') void reconcileRound(options);
      return () => {
        timers.clear(timer);
        if (reconciliation === mine) reconciliation = undefined;
      };
    },
    async teardown() {
      const r = await send({ type: 'TEARDOWN' });
      stopWith(undefined);
      return r;
    },
    stop() {
      stopWith(undefined);
    },
  };
  return driver;
}

/** Offers' ids, for `accept` and `decline`. */
export const offerIds = (offers: readonly Offer[]): string[] => offers.map((o) => o.id.value);
