/**
 * test-executor.mjs as a real process against a small agent stand-in served from this test on a
 * loopback port (it tests the executor program, so the agent side is the test's: it answers
 * SUBSCRIBE with a chunked RecordIO stream of JSON events it chooses, and UPDATE / MESSAGE with
 * 202, recording every call). Tasks are real `/bin/sh` children; every test kills what it
 * started and removes its sandbox, also when it fails.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Json = Record<string, any>;

const EXECUTOR = join(dirname(fileURLToPath(import.meta.url)), 'test-executor.mjs');
const WAIT_MS = 20_000;
const FRAMEWORK_ID = 'fw-1';
const EXECUTOR_ID = 'exec-1';

function until<T>(what: string, probe: () => T | undefined, onChange: (wake: () => void) => () => void): Promise<T> {
  return new Promise((resolve, reject) => {
    let unsubscribe = (): void => undefined;
    const timer = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    const check = (): void => {
      const value = probe();
      if (value === undefined) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(value);
    };
    unsubscribe = onChange(check);
    check();
  });
}

/** The agent side: one executor stream at a time, every call recorded. */
class AgentStandIn {
  readonly subscribes: Json[] = [];
  readonly calls: Json[] = [];
  #stream: ServerResponse | undefined;
  #listeners = new Set<() => void>();
  readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return `127.0.0.1:${address.port}`;
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const call = JSON.parse(Buffer.concat(parts).toString('utf8')) as Json;
      if (call.type === 'SUBSCRIBE') {
        this.subscribes.push({ call, accept: req.headers.accept, contentType: req.headers['content-type'] });
        res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
        this.#stream = res;
        this.send({
          type: 'SUBSCRIBED',
          subscribed: {
            executor_info: { executor_id: { value: EXECUTOR_ID }, type: 'CUSTOM' },
            framework_info: { user: 'root', name: 'fw' },
            agent_info: { hostname: 'localhost' },
          },
        });
      } else {
        this.calls.push(call);
        res.writeHead(202).end();
      }
      this.#changed();
    });
  }

  #changed(): void {
    for (const l of [...this.#listeners]) l();
  }

  send(event: Json): void {
    const payload = Buffer.from(JSON.stringify(event));
    this.#stream?.write(Buffer.concat([Buffer.from(`${payload.length}\n`), payload]));
  }

  /** Ends the current stream, as an agent that restarts or drops the executor would. */
  endStream(): void {
    this.#stream?.end();
    this.#stream = undefined;
  }

  async close(): Promise<void> {
    this.#stream?.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  waitFor<T>(what: string, probe: () => T | undefined): Promise<T> {
    return until(what, probe, (wake) => {
      this.#listeners.add(wake);
      return () => this.#listeners.delete(wake);
    });
  }

  updates(taskId?: string): Json[] {
    return this.calls
      .filter((c) => c.type === 'UPDATE' && (taskId === undefined || c.update.status.task_id.value === taskId))
      .map((c) => c.update.status as Json);
  }

  waitForState(taskId: string, state: string): Promise<Json> {
    return this.waitFor(`${state} of ${taskId}`, () => this.updates(taskId).find((s) => s.state === state));
  }

  ack(status: Json): void {
    this.send({ type: 'ACKNOWLEDGED', acknowledged: { task_id: status.task_id, uuid: status.uuid } });
  }

  launch(task: Json): void {
    this.send({ type: 'LAUNCH', launch: { task } });
  }
}

interface ExecutorRun {
  readonly agent: AgentStandIn;
  readonly sandbox: string;
  readonly child: ChildProcess;
  /** The JSON lines the executor wrote to stdout. */
  readonly lines: Json[];
  /** The exit code, once the process has exited and its output is all read. */
  readonly exited: Promise<number | null>;
  /** Pid of a task's `/bin/sh`, from the executor's note. */
  taskPid(taskId: string): Promise<number>;
}

function taskInfo(id: string, command?: string, extra: Json = {}): Json {
  return {
    name: id,
    task_id: { value: id },
    agent_id: { value: 'S1' },
    ...(command === undefined ? {} : { command: { value: command } }),
    ...extra,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie still answers signal 0; it is gone for our purpose.
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

async function startExecutor(t: ExecutionContext, env: Record<string, string> = {}): Promise<ExecutorRun> {
  const agent = new AgentStandIn();
  const endpoint = await agent.listen();
  const sandbox = mkdtempSync(join(tmpdir(), 'maestro-test-executor-'));
  const child = spawn(process.execPath, [EXECUTOR], {
    cwd: sandbox,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      MESOS_AGENT_ENDPOINT: endpoint,
      MESOS_FRAMEWORK_ID: FRAMEWORK_ID,
      MESOS_EXECUTOR_ID: EXECUTOR_ID,
      MESOS_CHECKPOINT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Json[] = [];
  const lineListeners = new Set<() => void>();
  let pending = '';
  child.stdout!.on('data', (data: Buffer) => {
    pending += data.toString('utf8');
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      try {
        const parsed = JSON.parse(line) as unknown;
        if (typeof parsed === 'object' && parsed !== null && 'kind' in parsed) lines.push(parsed as Json);
      } catch {
        // A task's own output.
      }
    }
    for (const l of [...lineListeners]) l();
  });
  let stderr = '';
  child.stderr!.on('data', (data: Buffer) => { stderr += data.toString('utf8'); });
  // 'close', not 'exit': the exit code together with everything the executor wrote to stdout.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const taskPids = new Set<number>();

  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const pid of taskPids) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await agent.close();
    rmSync(sandbox, { recursive: true, force: true });
    if (!t.passed) t.log(`executor stdout:\n${lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${stderr}`);
  });

  await agent.waitFor('SUBSCRIBE', () => agent.subscribes[0]);
  return {
    agent,
    sandbox,
    child,
    lines,
    exited,
    taskPid: (taskId) => until(`pid of ${taskId}`, () => {
      const line = lines.find((l) => l.kind === 'note' && String(l.message).startsWith(`task ${taskId} runs as pid `));
      if (line === undefined) return undefined;
      const pid = Number(String(line.message).split(' ').pop());
      taskPids.add(pid);
      return pid;
    }, (wake) => {
      lineListeners.add(wake);
      return () => lineListeners.delete(wake);
    }),
  };
}

test('SUBSCRIBE: JSON call and Accept, the ids from the environment, nothing unacknowledged yet', async (t) => {
  const { agent } = await startExecutor(t);
  const first = agent.subscribes[0];
  t.is(first.accept, 'application/json');
  t.is(first.contentType, 'application/json');
  t.deepEqual(first.call, {
    type: 'SUBSCRIBE', framework_id: { value: FRAMEWORK_ID }, executor_id: { value: EXECUTOR_ID }, subscribe: {},
  });
});

test('a command task: STARTING, RUNNING, FINISHED, each a fresh uuid from SOURCE_EXECUTOR; env and cwd; logs; SHUTDOWN exits 0', async (t) => {
  const run = await startExecutor(t);
  const { agent } = run;
  agent.launch(taskInfo('t1', undefined, {
    command: {
      value: 'printf "%s %s" "$MESOS_TASK_ID" "$GREETING" > out.txt; pwd > pwd.txt',
      environment: { variables: [{ name: 'GREETING', value: 'hello' }] },
    },
  }));
  await agent.waitForState('t1', 'TASK_FINISHED');

  const statuses = agent.updates('t1');
  t.deepEqual(statuses.map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']);
  for (const s of statuses) {
    t.is(s.source, 'SOURCE_EXECUTOR');
    t.deepEqual(s.executor_id, { value: EXECUTOR_ID });
    t.is(Buffer.from(s.uuid, 'base64').length, 16);
    t.is(typeof s.timestamp, 'number');
  }
  t.is(new Set(statuses.map((s) => s.uuid)).size, 3, 'every update has its own uuid');
  for (const c of agent.calls) {
    t.deepEqual(c.framework_id, { value: FRAMEWORK_ID });
    t.deepEqual(c.executor_id, { value: EXECUTOR_ID });
  }
  t.is(readFileSync(join(run.sandbox, 'out.txt'), 'utf8'), 't1 hello');
  t.is(readFileSync(join(run.sandbox, 'pwd.txt'), 'utf8').trim(), realpathSync(run.sandbox));

  for (const s of statuses) agent.ack(s);
  agent.send({ type: 'SHUTDOWN' });
  t.is(await run.exited, 0);

  const received = run.lines.filter((l) => l.kind === 'event').map((l) => l.event.type);
  t.deepEqual(received, ['SUBSCRIBED', 'LAUNCH', 'ACKNOWLEDGED', 'ACKNOWLEDGED', 'ACKNOWLEDGED', 'SHUTDOWN']);
  const sent = run.lines.filter((l) => l.kind === 'call')
    .map((l) => [l.call.type, l.call.update?.status.state, l.status].filter((x) => x !== undefined).join(' '));
  t.deepEqual(sent, ['SUBSCRIBE 200', 'UPDATE TASK_STARTING 202', 'UPDATE TASK_RUNNING 202', 'UPDATE TASK_FINISHED 202']);
});

test('a failing command: TASK_FAILED naming its exit code', async (t) => {
  const { agent } = await startExecutor(t);
  agent.launch(taskInfo('t1', 'exit 7'));
  const failed = await agent.waitForState('t1', 'TASK_FAILED');
  t.is(failed.message, 'Command exited with status 7');
  t.deepEqual(agent.updates('t1').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FAILED']);
});

test('a task with an ExecutorInfo carries its shell text in data (a master refuses command and executor together)', async (t) => {
  const run = await startExecutor(t);
  run.agent.launch(taskInfo('t1', undefined, { data: Buffer.from('echo "from data $MESOS_TASK_ID" > data.txt').toString('base64') }));
  await run.agent.waitForState('t1', 'TASK_FINISHED');
  t.is(readFileSync(join(run.sandbox, 'data.txt'), 'utf8'), 'from data t1\n');
});

test('KILL: SIGTERM to the task process group, then TASK_KILLED; a task without a command is killed at once', async (t) => {
  const run = await startExecutor(t);
  const { agent } = run;
  // The inner sleep is a grandchild: the whole group must go.
  agent.launch(taskInfo('sleeper', 'sleep 600 & wait'));
  agent.launch(taskInfo('idle'));
  await agent.waitForState('sleeper', 'TASK_RUNNING');
  await agent.waitForState('idle', 'TASK_RUNNING');
  const pid = await run.taskPid('sleeper');
  t.true(alive(pid));

  agent.send({ type: 'KILL', kill: { task_id: { value: 'sleeper' } } });
  const killed = await agent.waitForState('sleeper', 'TASK_KILLED');
  t.is(killed.message, 'Command terminated with signal SIGTERM');
  t.true(await gone(pid));

  agent.send({ type: 'KILL', kill: { task_id: { value: 'idle' } } });
  await agent.waitForState('idle', 'TASK_KILLED');
  t.deepEqual(agent.updates('idle').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING', 'TASK_KILLED']);
});

test('MESSAGE: answered with a MESSAGE call carrying the same data', async (t) => {
  const { agent } = await startExecutor(t);
  const data = Buffer.from('ping \u00e9').toString('base64');
  agent.send({ type: 'MESSAGE', message: { data } });
  const echoed = await agent.waitFor('MESSAGE call', () => agent.calls.find((c) => c.type === 'MESSAGE'));
  t.deepEqual(echoed, { type: 'MESSAGE', framework_id: { value: FRAMEWORK_ID }, executor_id: { value: EXECUTOR_ID }, message: { data } });
});

test('LAUNCH_GROUP: every task of the group runs', async (t) => {
  const { agent } = await startExecutor(t);
  agent.send({ type: 'LAUNCH_GROUP', launch_group: { task_group: { tasks: [taskInfo('a', 'true'), taskInfo('b', 'exit 1')] } } });
  await agent.waitForState('a', 'TASK_FINISHED');
  await agent.waitForState('b', 'TASK_FAILED');
  t.pass();
});

test('SHUTDOWN: live tasks are killed and reported TASK_KILLED, then the executor exits 0', async (t) => {
  const run = await startExecutor(t);
  const { agent } = run;
  agent.launch(taskInfo('sleeper', 'sleep 600'));
  await agent.waitForState('sleeper', 'TASK_RUNNING');
  const pid = await run.taskPid('sleeper');
  agent.send({ type: 'SHUTDOWN' });
  await agent.waitForState('sleeper', 'TASK_KILLED');
  for (const s of agent.updates('sleeper')) agent.ack(s);
  t.is(await run.exited, 0);
  t.regex(String(run.lines.at(-1)?.message), /^shutting down: 0 update\(s\) unacknowledged$/);
  t.true(await gone(pid));
});

test('ERROR: the executor logs it and exits 1', async (t) => {
  const run = await startExecutor(t);
  run.agent.send({ type: 'ERROR', error: { message: 'framework removed' } });
  t.is(await run.exited, 1);
  t.true(run.lines.some((l) => l.kind === 'note' && l.message === 'ERROR from the agent: framework removed'));
});

test('label exit_executor=1: the executor exits 3 right after TASK_RUNNING', async (t) => {
  const run = await startExecutor(t);
  run.agent.launch(taskInfo('t1', undefined, { labels: { labels: [{ key: 'exit_executor', value: '1' }] } }));
  t.is(await run.exited, 3);
  t.deepEqual(run.agent.updates('t1').map((s) => s.state), ['TASK_STARTING', 'TASK_RUNNING']);
});

test('without checkpointing, a broken stream kills the tasks and exits 1', async (t) => {
  const run = await startExecutor(t);
  const { agent } = run;
  agent.launch(taskInfo('sleeper', 'sleep 600'));
  await agent.waitForState('sleeper', 'TASK_RUNNING');
  const pid = await run.taskPid('sleeper');
  agent.endStream();
  t.is(await run.exited, 1);
  t.true(await gone(pid));
  t.is(agent.subscribes.length, 1);
});

test('with checkpointing, a broken stream is subscribed again with the unacknowledged tasks and updates', async (t) => {
  const run = await startExecutor(t, { MESOS_CHECKPOINT: '1', MESOS_RECOVERY_TIMEOUT: '1mins', MESOS_SUBSCRIPTION_BACKOFF_MAX: '1secs' });
  const { agent } = run;
  const done = taskInfo('done', 'true');
  const idle = taskInfo('idle');
  agent.launch(done);
  agent.launch(idle);
  const finished = await agent.waitForState('done', 'TASK_FINISHED');
  await agent.waitForState('idle', 'TASK_RUNNING');
  for (const s of agent.updates('done')) agent.ack(s);
  const starting = agent.updates('idle').find((s) => s.state === 'TASK_STARTING')!;
  agent.ack(starting);
  await until('the acknowledgements', () => (run.lines.filter((l) => l.kind === 'event' && l.event.type === 'ACKNOWLEDGED').length === 4 ? true : undefined),
    (wake) => {
      const timer = setInterval(wake, 20);
      return () => clearInterval(timer);
    });

  agent.endStream();
  const again = await agent.waitFor('a second SUBSCRIBE', () => agent.subscribes[1]);
  const running = agent.updates('idle').find((s) => s.state === 'TASK_RUNNING')!;
  t.deepEqual(again.call.subscribe, {
    unacknowledged_tasks: [idle],
    unacknowledged_updates: [{ status: running }],
  }, 'the finished task is settled; the idle one and its RUNNING update are not');
  t.not(finished.uuid, running.uuid);

  agent.send({ type: 'KILL', kill: { task_id: { value: 'idle' } } });
  await agent.waitForState('idle', 'TASK_KILLED');
});

test('with checkpointing, the executor gives up after the recovery timeout when the agent stays away', async (t) => {
  const run = await startExecutor(t, { MESOS_CHECKPOINT: '1', MESOS_RECOVERY_TIMEOUT: '1secs', MESOS_SUBSCRIPTION_BACKOFF_MAX: '200ms' });
  await run.agent.close();
  t.is(await run.exited, 1);
  t.true(run.lines.some((l) => l.kind === 'note' && /recovery timeout of 1000 ms passed/.test(String(l.message))));
});
