#!/usr/bin/env node
/**
 * A real, small custom executor for tests: it speaks the Mesos v1 executor HTTP API
 * (`POST /api/v1/executor`, JSON, RecordIO event stream) to the agent that launched it, as a
 * framework's own executor would. Plain Node ESM, no dependencies, so the agent can run it with
 * `node test-executor.mjs` from any directory.
 *
 * Environment (the agent sets it): MESOS_AGENT_ENDPOINT (ip:port), MESOS_FRAMEWORK_ID,
 * MESOS_EXECUTOR_ID, MESOS_CHECKPOINT ('1' or '0'), MESOS_RECOVERY_TIMEOUT and
 * MESOS_SUBSCRIPTION_BACKOFF_MAX (Mesos durations such as `15mins`, `2secs`; checkpointing only),
 * MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD.
 *
 * Behaviour:
 *  - SUBSCRIBE with `Accept: application/json`; read the stream's RecordIO records as events.
 *  - LAUNCH / each task of LAUNCH_GROUP: UPDATE TASK_STARTING, run the task's command with
 *    `/bin/sh -c` in this process's cwd (the sandbox) in a process group of its own, with the
 *    task's VALUE environment variables and MESOS_TASK_ID, UPDATE TASK_RUNNING; when the child
 *    exits, TASK_FINISHED (exit 0) or TASK_FAILED (the code or signal in the message). The
 *    command is `command.value`, else the task's `data` as UTF-8 text: a Mesos master refuses a
 *    TaskInfo that has both an ExecutorInfo and a CommandInfo, so through a real master a task
 *    carries its shell text in `data`. A task with neither stays RUNNING until killed.
 *  - Every UPDATE carries a fresh random 16-byte uuid, source SOURCE_EXECUTOR, executor_id,
 *    task_id and timestamp, and stays unacknowledged until an ACKNOWLEDGED event names its uuid.
 *    UPDATEs are sent one at a time, in order; while the stream is down they are only kept.
 *  - KILL: SIGTERM to the task's process group (SIGKILL after the kill policy's grace period,
 *    3 s by default), TASK_KILLED when it has exited. MESSAGE: answered with a MESSAGE call
 *    carrying the same data. SHUTDOWN: kill every task, TASK_KILLED for each live one, wait
 *    briefly for the acknowledgements, exit 0. ERROR: log, exit 1.
 *  - The stream breaks: with MESOS_CHECKPOINT=1, SUBSCRIBE again with backoff (doubling from
 *    100 ms up to the backoff max) until the recovery timeout, sending the tasks without an
 *    acknowledged terminal update and the unacknowledged updates; otherwise kill the tasks, exit 1.
 *  - Test knob: a task labelled `exit_executor=1` makes this process exit with code 3 right
 *    after its TASK_RUNNING update was accepted (its child, if any, is killed first).
 *  - stdout gets one JSON line per event received (`{"ts","kind":"event","event"}`), per call
 *    sent (`{"ts","kind":"call","call","status"}`, status 0 when the request failed) and per
 *    note (`{"ts","kind":"note","message"}`). Tasks inherit stdout and stderr, so a reader keeps
 *    the lines that parse as JSON objects with a `kind`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';

const API_PATH = '/api/v1/executor';
const TERMINAL = new Set(['TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_GONE']);
const INITIAL_BACKOFF_MS = 100;
const DEFAULT_KILL_GRACE_MS = 3000;
/** How long SHUTDOWN waits for the tasks to exit and their TASK_KILLED to be acknowledged. */
const SHUTDOWN_WAIT_MS = 3000;
const SHUTDOWN_KILL_GRACE_NS = 1e9;

// ---- logging ----

function log(entry) {
  process.stdout.write(`${JSON.stringify({ ts: new Date().toISOString(), ...entry })}\n`);
}
const note = (message, extra = {}) => log({ kind: 'note', message, ...extra });

// ---- configuration ----

const DURATION_UNITS_MS = { ns: 1e-6, us: 1e-3, ms: 1, secs: 1000, mins: 60_000, hrs: 3_600_000, days: 86_400_000, weeks: 604_800_000 };

/** A Mesos duration (`15mins`, `2secs`, `1.5hrs`) in milliseconds; `fallback` when absent or malformed. */
function parseDuration(text, fallback) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ns|us|ms|secs|mins|hrs|days|weeks)\s*$/.exec(text ?? '');
  if (match === null) return fallback;
  return Number(match[1]) * DURATION_UNITS_MS[match[2]];
}

function required(name) {
  const value = process.env[name];
  if (value === undefined || value === '') {
    note(`${name} is not set`);
    process.exit(1);
  }
  return value;
}

const agentEndpoint = required('MESOS_AGENT_ENDPOINT');
const frameworkId = { value: required('MESOS_FRAMEWORK_ID') };
const executorId = { value: required('MESOS_EXECUTOR_ID') };
const checkpoint = process.env.MESOS_CHECKPOINT === '1';
const recoveryTimeoutMs = parseDuration(process.env.MESOS_RECOVERY_TIMEOUT, 15 * 60_000);
const backoffMaxMs = parseDuration(process.env.MESOS_SUBSCRIPTION_BACKOFF_MAX, 2000);
const [agentHost, agentPort] = (() => {
  const colon = agentEndpoint.lastIndexOf(':');
  return [agentEndpoint.slice(0, colon).replace(/^\[|\]$/g, ''), Number(agentEndpoint.slice(colon + 1))];
})();

// ---- state ----

/** task id -> { info, state, child, killed, terminalAcked, killTimer } */
const tasks = new Map();
/** uuid (base64) -> Call.Update, in the order sent */
const unacknowledged = new Map();
let connected = false;
let subscribeRequest;
let shuttingDown = false;
let disconnectedSince;
let reconnectAttempt = 0;
const keepAlive = new Agent({ keepAlive: true });

// ---- HTTP ----

/** POSTs one call; resolves with the status (0 when the request failed). */
function post(call) {
  return new Promise((resolve) => {
    const body = Buffer.from(JSON.stringify(call));
    const req = httpRequest({
      host: agentHost, port: agentPort, path: API_PATH, method: 'POST', agent: keepAlive,
      headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
    }, (res) => {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        log({ kind: 'call', call, status: res.statusCode, ...(text === '' ? {} : { answer: text }) });
        resolve(res.statusCode ?? 0);
      });
      res.on('error', () => resolve(0));
    });
    req.on('error', (error) => {
      log({ kind: 'call', call, status: 0, error: error.message });
      resolve(0);
    });
    req.end(body);
  });
}

/** Calls go out one at a time, in the order they were made. */
let callChain = Promise.resolve();
function sendCall(call) {
  const sent = callChain.then(() => post(call));
  callChain = sent.then(() => undefined);
  return sent;
}

/** Splits a byte stream into RecordIO records (`<decimal length>\n<bytes>`). */
function recordReader(onRecord) {
  let buffer = Buffer.alloc(0);
  return (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const newline = buffer.indexOf(0x0a);
      if (newline < 0) return;
      const header = buffer.subarray(0, newline).toString('ascii');
      if (!/^\d+$/.test(header)) throw new Error(`bad RecordIO length prefix ${JSON.stringify(header)}`);
      const length = Number(header);
      if (buffer.length < newline + 1 + length) return;
      const record = buffer.subarray(newline + 1, newline + 1 + length);
      buffer = buffer.subarray(newline + 1 + length);
      onRecord(record);
    }
  };
}

// ---- subscription ----

function subscribeCall() {
  const subscribe = {};
  const pendingTasks = [...tasks.values()].filter((t) => !t.terminalAcked).map((t) => t.info);
  if (pendingTasks.length > 0) subscribe.unacknowledged_tasks = pendingTasks;
  if (unacknowledged.size > 0) subscribe.unacknowledged_updates = [...unacknowledged.values()];
  return { type: 'SUBSCRIBE', framework_id: frameworkId, executor_id: executorId, subscribe };
}

function subscribe() {
  const call = subscribeCall();
  const body = Buffer.from(JSON.stringify(call));
  let broken = false;
  const onBroken = (why) => {
    if (broken) return;
    broken = true;
    disconnected(why);
  };
  const req = httpRequest({
    host: agentHost, port: agentPort, path: API_PATH, method: 'POST', agent: false,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': body.length },
  }, (res) => {
    if (res.statusCode !== 200) {
      const parts = [];
      res.on('data', (c) => parts.push(c));
      res.on('end', () => {
        log({ kind: 'call', call, status: res.statusCode, answer: Buffer.concat(parts).toString('utf8') });
        onBroken(`SUBSCRIBE answered ${res.statusCode}`);
      });
      res.on('error', () => onBroken(`SUBSCRIBE answered ${res.statusCode}`));
      return;
    }
    log({ kind: 'call', call, status: 200 });
    const feed = recordReader((record) => {
      let event;
      try {
        event = JSON.parse(record.toString('utf8'));
      } catch (error) {
        note(`undecodable event: ${error.message}`);
        return;
      }
      handleEvent(event);
    });
    res.on('data', (chunk) => {
      try {
        feed(chunk);
      } catch (error) {
        note(error.message);
        req.destroy();
      }
    });
    res.on('end', () => onBroken('the agent ended the stream'));
    res.on('close', () => onBroken('the stream closed'));
    res.on('error', (error) => onBroken(error.message));
  });
  req.on('error', (error) => onBroken(error.message));
  req.end(body);
  subscribeRequest = req;
}

function disconnected(why) {
  connected = false;
  subscribeRequest = undefined;
  if (shuttingDown) {
    note(`disconnected while shutting down: ${why}`);
    return;
  }
  if (!checkpoint) {
    note(`disconnected (${why}); not checkpointing, so exiting`);
    killAllTasks('SIGKILL');
    process.exit(1);
  }
  disconnectedSince ??= Date.now();
  if (Date.now() - disconnectedSince >= recoveryTimeoutMs) {
    note(`disconnected (${why}); recovery timeout of ${recoveryTimeoutMs} ms passed, exiting`);
    killAllTasks('SIGKILL');
    process.exit(1);
  }
  const delay = Math.min(backoffMaxMs, INITIAL_BACKOFF_MS * 2 ** reconnectAttempt);
  reconnectAttempt += 1;
  note(`disconnected (${why}); subscribing again in ${delay} ms`);
  setTimeout(subscribe, delay);
}

// ---- events ----

function handleEvent(event) {
  log({ kind: 'event', event });
  switch (event.type) {
    case 'SUBSCRIBED':
      connected = true;
      disconnectedSince = undefined;
      reconnectAttempt = 0;
      return;
    case 'LAUNCH':
      launchTask(event.launch.task);
      return;
    case 'LAUNCH_GROUP':
      for (const task of event.launch_group.task_group.tasks ?? []) launchTask(task);
      return;
    case 'KILL':
      killTask(event.kill.task_id.value, event.kill.kill_policy);
      return;
    case 'ACKNOWLEDGED':
      acknowledged(event.acknowledged.uuid);
      return;
    case 'MESSAGE':
      void sendCall({ type: 'MESSAGE', framework_id: frameworkId, executor_id: executorId, message: { data: event.message.data } });
      return;
    case 'SHUTDOWN':
      shutdown();
      return;
    case 'ERROR':
      note(`ERROR from the agent: ${event.error?.message ?? ''}`);
      killAllTasks('SIGKILL');
      process.exit(1);
      return;
    default:
      note(`ignoring event of type ${String(event.type)}`);
  }
}

function acknowledged(uuid) {
  const update = unacknowledged.get(uuid);
  if (update === undefined) {
    note(`ACKNOWLEDGED for an unknown uuid ${uuid}`);
    return;
  }
  unacknowledged.delete(uuid);
  const task = tasks.get(update.status.task_id.value);
  if (task !== undefined && TERMINAL.has(update.status.state)) task.terminalAcked = true;
  if (shuttingDown && unacknowledged.size === 0 && liveTasks().length === 0) finishShutdown();
}

// ---- tasks ----

function sendUpdate(task, state, message) {
  task.state = state;
  const status = {
    task_id: task.info.task_id,
    state,
    source: 'SOURCE_EXECUTOR',
    executor_id: executorId,
    uuid: randomBytes(16).toString('base64'),
    timestamp: Date.now() / 1000,
    ...(message === undefined ? {} : { message }),
  };
  const update = { status };
  unacknowledged.set(status.uuid, update);
  if (!connected) {
    note(`not connected: ${state} of ${task.info.task_id.value} waits for the next SUBSCRIBE`);
    return Promise.resolve(0);
  }
  return sendCall({ type: 'UPDATE', framework_id: frameworkId, executor_id: executorId, update });
}

function label(info, key) {
  return (info.labels?.labels ?? []).find((l) => l.key === key)?.value;
}

function taskEnvironment(info) {
  const env = { ...process.env, MESOS_TASK_ID: info.task_id.value };
  for (const variable of info.command?.environment?.variables ?? []) {
    if ((variable.type ?? 'VALUE') === 'VALUE') env[variable.name] = variable.value ?? '';
  }
  return env;
}

/** The shell text a task runs: `command.value`, else `data` (base64 in the canonical form) as UTF-8. */
function taskCommand(info) {
  if (typeof info.command?.value === 'string' && info.command.value !== '') return info.command.value;
  if (typeof info.data === 'string' && info.data !== '') return Buffer.from(info.data, 'base64').toString('utf8');
  return undefined;
}

function launchTask(info) {
  const id = info.task_id.value;
  if (tasks.has(id)) {
    note(`task ${id} is already known; LAUNCH ignored`);
    return;
  }
  const task = { info, state: 'TASK_STAGING', child: undefined, killed: false, terminalAcked: false, killTimer: undefined };
  tasks.set(id, task);
  if (shuttingDown) {
    void sendUpdate(task, 'TASK_KILLED', 'The executor is shutting down');
    return;
  }
  void sendUpdate(task, 'TASK_STARTING');

  const command = taskCommand(info);
  if (command !== undefined) {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: process.cwd(), env: taskEnvironment(info), detached: true, stdio: ['ignore', 'inherit', 'inherit'],
    });
    task.child = child;
    child.on('error', (error) => {
      task.child = undefined;
      if (!TERMINAL.has(task.state)) void sendUpdate(task, 'TASK_FAILED', `Failed to run the command: ${error.message}`);
    });
    child.on('exit', (code, signal) => childExited(task, code, signal));
    note(`task ${id} runs as pid ${child.pid}`);
  }

  const running = sendUpdate(task, 'TASK_RUNNING');
  if (label(info, 'exit_executor') === '1') {
    void running.then(() => {
      note(`task ${id} asks the executor to exit (label exit_executor=1)`);
      killAllTasks('SIGKILL');
      process.exit(3);
    });
  }
}

function childExited(task, code, signal) {
  task.child = undefined;
  clearTimeout(task.killTimer);
  if (TERMINAL.has(task.state)) return;
  if (task.killed) void sendUpdate(task, 'TASK_KILLED', signal === null ? `Command exited with status ${code}` : `Command terminated with signal ${signal}`);
  else if (code === 0) void sendUpdate(task, 'TASK_FINISHED', 'Command exited with status 0');
  else if (signal !== null) void sendUpdate(task, 'TASK_FAILED', `Command terminated with signal ${signal}`);
  else void sendUpdate(task, 'TASK_FAILED', `Command exited with status ${code}`);
}

function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function killTask(id, killPolicy) {
  const task = tasks.get(id);
  if (task === undefined) {
    note(`KILL for unknown task ${id}`);
    return;
  }
  if (TERMINAL.has(task.state) || task.killed) return;
  task.killed = true;
  if (task.child === undefined) {
    void sendUpdate(task, 'TASK_KILLED', 'Killed before it ran a command');
    return;
  }
  const graceNs = killPolicy?.grace_period?.nanoseconds;
  const graceMs = typeof graceNs === 'number' ? graceNs / 1e6 : DEFAULT_KILL_GRACE_MS;
  signalGroup(task.child, 'SIGTERM');
  const child = task.child;
  task.killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
}

function liveTasks() {
  return [...tasks.values()].filter((t) => !TERMINAL.has(t.state));
}

function killAllTasks(signal) {
  for (const task of tasks.values()) if (task.child !== undefined) signalGroup(task.child, signal);
}

function shutdown() {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const task of liveTasks()) killTask(task.info.task_id.value, { grace_period: { nanoseconds: SHUTDOWN_KILL_GRACE_NS } });
  if (unacknowledged.size === 0 && liveTasks().length === 0) {
    finishShutdown();
    return;
  }
  // What is still unacknowledged then is the agent's to settle (it knows the updates it forwarded).
  setTimeout(finishShutdown, SHUTDOWN_WAIT_MS);
}

function finishShutdown() {
  note(`shutting down: ${unacknowledged.size} update(s) unacknowledged`);
  killAllTasks('SIGKILL');
  void callChain.then(() => process.exit(0));
}

process.on('SIGTERM', () => {
  note('SIGTERM: killing the tasks and exiting');
  killAllTasks('SIGKILL');
  process.exit(143);
});

note(`starting: agent ${agentEndpoint}, framework ${frameworkId.value}, executor ${executorId.value}, checkpoint ${checkpoint}`);
subscribe();
