import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, systemTimers } from '../../common/ports.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { startCheck, startHealthCheck, type ProbeContext } from './index.ts';

// Made by a hook, not at load: a run that selects none of these tests (ava --match) leaves nothing behind.
const sandbox = join(tmpdir(), `maestro-health-index-${process.pid}-${randomBytes(4).toString('hex')}`);
test.before(() => mkdirSync(sandbox));
test.after.always(() => rmSync(sandbox, { recursive: true, force: true }));
const ctx: ProbeContext = { taskId: 't1', sandbox, environment: { PATH: '/usr/bin:/bin' } };

/** Resolves when `predicate` holds, polling; false if it never does. */
async function until(predicate: () => boolean): Promise<boolean> {
  for (let i = 0; i < 1_000; i++) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}

// Fast real schedules: first probe at once, then every 50 ms; no grace.
const fast = { delay_seconds: 0, interval_seconds: 0.05, grace_period_seconds: 0 };

test('startHealthCheck HTTP: healthy while the task answers 200, then unhealthy and killed once it answers 500', async (t) => {
  let status = 200;
  const server = createServer((_, res) => res.writeHead(status).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const events: string[] = [];
  const handle = startHealthCheck({ type: 'HTTP', http: { port, path: '/health' }, consecutive_failures: 2, timeout_seconds: 5, ...fast }, ctx, {
    clock: systemClock,
    timers: systemTimers,
    onHealthChange: (healthy, message) => events.push(`${healthy}: ${message}`),
    onUnhealthy: (message) => events.push(`kill: ${message}`),
  });
  try {
    t.true(await until(() => events.length === 1));
    status = 500;
    t.true(await until(() => events.length === 3));
    t.deepEqual(events, [
      'true: HTTP health check passed',
      'false: HTTP health check failed: Unexpected HTTP response code: 500 Internal Server Error',
      'kill: HTTP health check failed: Unexpected HTTP response code: 500 Internal Server Error',
    ]);
  } finally {
    handle.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('startHealthCheck HTTP: a server that never answers times out', async (t) => {
  const server = createServer(() => {});
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const kills: string[] = [];
  const handle = startHealthCheck({ type: 'HTTP', http: { port }, consecutive_failures: 1, timeout_seconds: 0.2, ...fast }, ctx, {
    clock: systemClock,
    timers: systemTimers,
    onHealthChange: () => {},
    onUnhealthy: (message) => kills.push(message),
  });
  try {
    t.true(await until(() => kills.length === 1));
    t.deepEqual(kills, ['HTTP health check failed: HTTP request has not returned after 200ms; aborting']);
  } finally {
    handle.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('startHealthCheck COMMAND: sleep 100 times out, is killed, and the task is reported unhealthy', async (t) => {
  const events: string[] = [];
  const handle = startHealthCheck({ type: 'COMMAND', command: { value: 'echo $$ >> probe.pids; exec sleep 100' }, consecutive_failures: 1, timeout_seconds: 0.3, ...fast }, ctx, {
    clock: systemClock,
    timers: systemTimers,
    onHealthChange: (healthy, message) => events.push(`${healthy}: ${message}`),
    onUnhealthy: (message) => events.push(`kill: ${message}`),
  });
  const why = 'COMMAND health check failed: Command has not returned after 300ms; aborting';
  try {
    t.true(await until(() => events.length === 2));
    t.deepEqual(events, [`false: ${why}`, `kill: ${why}`]);
  } finally {
    handle.stop();
  }
  const { readFileSync } = await import('node:fs');
  const pids = readFileSync(join(sandbox, 'probe.pids'), 'utf8').trim().split('\n').map(Number);
  const alive = (pid: number) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
    } catch {
      return false;
    }
  };
  t.true(await until(() => pids.every((pid) => !alive(pid))));
});

test('startCheck TCP: succeeded true while listening, false once closed', async (t) => {
  const server = createTcpServer((socket) => socket.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const statuses: mesos.v1.CheckStatusInfo[] = [];
  const handle = startCheck({ type: 'TCP', tcp: { port }, delay_seconds: 0, interval_seconds: 0.05, timeout_seconds: 5 }, ctx, {
    clock: systemClock,
    timers: systemTimers,
    onCheckStatus: (s) => statuses.push(s),
  });
  try {
    t.true(await until(() => statuses.length === 1));
    await new Promise((r) => server.close(r));
    t.true(await until(() => statuses.length === 2));
    t.deepEqual(statuses, [
      { type: 'TCP', tcp: { succeeded: true } },
      { type: 'TCP', tcp: { succeeded: false } },
    ]);
  } finally {
    handle.stop();
    if (server.listening) server.close();
  }
});

test('startCheck COMMAND: the exit code', async (t) => {
  const statuses: mesos.v1.CheckStatusInfo[] = [];
  const handle = startCheck({ type: 'COMMAND', command: { command: { value: 'exit 3' } }, delay_seconds: 0, interval_seconds: 0.05 }, ctx, {
    clock: systemClock,
    timers: systemTimers,
    onCheckStatus: (s) => statuses.push(s),
  });
  try {
    t.true(await until(() => statuses.length === 1));
    t.deepEqual(statuses, [{ type: 'COMMAND', command: { exit_code: 3 } }]);
  } finally {
    handle.stop();
  }
});

test('start* refuse an invalid check (the caller validates first)', (t) => {
  const deps = { clock: systemClock, timers: systemTimers, onHealthChange() {}, onUnhealthy() {}, onCheckStatus() {} };
  t.throws(() => startHealthCheck({ type: 'HTTP', http: { port: 80, path: 'x' } }, ctx, deps), {
    message: "Invalid health check for task 't1': The path 'x' of HTTP health check must start with '/'",
  });
  t.throws(() => startCheck({ type: 'TCP' }, ctx, deps), { message: "Invalid check for task 't1': Expecting 'tcp' to be set for TCP check" });
});
