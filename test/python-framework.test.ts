/**
 * The example framework in another language (frameworks/examples/python/hello_framework.py,
 * Python standard library only) against a real `maestro master` and `maestro agent`: it runs with
 * Debian's `python3`, subscribes, launches on an offer, acknowledges every update, tears down and
 * exits 0 (all tasks finished) or 1 (a task failed). The checks look at what the cluster did, not
 * only at what the program printed: the task's stdout in the agent's sandbox, the framework among
 * the master's completed frameworks, no task left in the master's or the agent's books, no task
 * process left under the agent's work dir.
 *
 * The redirect test puts a stand-in for a non-leading master in front of the real one: a loopback
 * HTTP server that answers every request as master/http/leader-check.ts does for a non-leader
 * (307, `Location: //leader/api/v1/scheduler`), since one master alone is always the leader.
 *
 * Teardown kills the Python process if it is still running, stops agent and master, and kills any
 * task process left under the agent's work dir, also on failure.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskProcesses, type MaestroProcess } from './support/maestro-process.ts';
import { getJson, type Json } from './support/http-scheduler.ts';
import { startMasterAndAgent, until } from './support/task-cluster.ts';
import { taskStdouts } from './support/sandboxes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const program = join(root, 'frameworks', 'examples', 'python', 'hello_framework.py');

interface Cluster {
  readonly master: MaestroProcess;
  readonly agent: MaestroProcess;
  /** `127.0.0.1:PORT` of the master, as the program's --master takes it. */
  readonly address: string;
}

async function startCluster(t: ExecutionContext): Promise<Cluster> {
  const { master, agent } = await startMasterAndAgent(t, { resources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31010]' });
  return { master, agent, address: new URL(master.url).host };
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the example with `python3`; kills it after `timeoutMs` (a bound: a stuck run fails the test). */
function runFramework(t: ExecutionContext, args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  const child = spawn('python3', [program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function frameworkIdOf(run: Run): string {
  const m = /^SUBSCRIBED framework_id=(\S+) /m.exec(run.stdout);
  if (m === null) throw new Error(`no SUBSCRIBED line in:\n${run.stdout}${run.stderr}`);
  return m[1];
}

/** The stdout files of a task's runs in the agent's sandboxes. */
function sandboxStdouts(agent: MaestroProcess, frameworkId: string, taskId: string): string[] {
  return taskStdouts(agent.workDir, frameworkId, taskId);
}

/**
 * Asserts the master removed the framework with every task completed in the given state, and the
 * agent runs nothing of it; returns the master's completed-framework record. The program
 * subscribes with a failover_timeout of 60 s, so only its TEARDOWN removes it this soon.
 */
async function assertTornDown(t: ExecutionContext, c: Cluster, frameworkId: string, tasks: Record<string, string>): Promise<Json> {
  const frameworks = await getJson(c.master.url, '/master/frameworks');
  t.false((frameworks.frameworks as Json[]).some((f) => f.id === frameworkId), 'the framework is still registered');
  const completed = (frameworks.completed_frameworks as Json[]).find((f) => f.id === frameworkId);
  if (completed === undefined) throw new Error(`framework ${frameworkId} is not among the completed frameworks`);
  t.false(completed.active);
  t.deepEqual(completed.tasks, []);
  t.deepEqual(Object.fromEntries((completed.completed_tasks as Json[]).map((task) => [task.id, task.state])), tasks);
  const state = await getJson(c.master.url, '/master/state');
  t.deepEqual((state.frameworks as Json[]).flatMap((f) => f.tasks as Json[]), [], 'the master still has tasks');
  const agentState = await getJson(c.agent.url, '/state');
  t.deepEqual(agentState.frameworks, [], 'the agent still runs a framework');
  await until(() => taskProcesses(c.agent.workDir).length === 0, 'the task processes to exit');
  return completed;
}

test('echo hello: exit 0 after TASK_FINISHED and TEARDOWN; hello in the sandbox; the framework is completed, no task left', async (t) => {
  const c = await startCluster(t);
  const run = await runFramework(t, ['--master', c.address, '--command', 'echo hello']);
  t.is(run.code, 0, run.stdout + run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  t.regex(lines[0], /^SUBSCRIBED framework_id=\S+ stream_id=\S+ heartbeat=15s$/);
  t.regex(lines[1], /^OFFERS 1 offer\(s\): accepted \S+, declined 0$/);
  // Every update carries a uuid from the agent, so every one is acknowledged, in order.
  t.deepEqual(lines.filter((l) => l.startsWith('UPDATE ')), [
    'UPDATE hello-0 TASK_STARTING (acknowledged)',
    'UPDATE hello-0 TASK_RUNNING (acknowledged)',
    "UPDATE hello-0 TASK_FINISHED message='Command exited with status 0' (acknowledged)",
  ]);
  t.is(lines.at(-1), 'TEARDOWN sent; exiting 0');
  const frameworkId = frameworkIdOf(run);
  const stdouts = sandboxStdouts(c.agent, frameworkId, 'hello-0');
  t.is(stdouts.length, 1);
  t.is(readFileSync(stdouts[0], 'utf8'), 'hello\n');
  await assertTornDown(t, c, frameworkId, { 'hello-0': 'TASK_FINISHED' });
});

test('a failing command: exit 1, TASK_FAILED printed, the framework torn down anyway', async (t) => {
  const c = await startCluster(t);
  const run = await runFramework(t, ['--master', c.address, '--command', 'echo oops >&2; exit 3']);
  t.is(run.code, 1, run.stdout + run.stderr);
  t.regex(run.stdout, /^UPDATE hello-0 TASK_FAILED reason='REASON_COMMAND_EXECUTOR_FAILED' message='Command exited with status 3' \(acknowledged\)$/m);
  t.false(run.stdout.includes('TASK_FINISHED'));
  t.true(run.stdout.endsWith('TEARDOWN sent; exiting 1\n'), run.stdout);
  await assertTornDown(t, c, frameworkIdOf(run), { 'hello-0': 'TASK_FAILED' });
});

test('--tasks 3 --cpus 0.5 --mem 64: three tasks on one offer, each with its own sandbox, all acknowledged', async (t) => {
  const c = await startCluster(t);
  const run = await runFramework(t, ['--master', c.address, '--command', 'echo "hi from $MESOS_TASK_ID"', '--tasks', '3', '--cpus', '0.5', '--mem', '64']);
  t.is(run.code, 0, run.stdout + run.stderr);
  t.regex(run.stdout, /^OFFERS 1 offer\(s\): accepted \S+, declined 0$/m);
  const frameworkId = frameworkIdOf(run);
  for (const id of ['hello-0', 'hello-1', 'hello-2']) {
    for (const state of ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']) {
      t.regex(run.stdout, new RegExp(`^UPDATE ${id} ${state}( .*)? \\(acknowledged\\)$`, 'm'));
    }
    const stdouts = sandboxStdouts(c.agent, frameworkId, id);
    t.is(stdouts.length, 1);
    t.is(readFileSync(stdouts[0], 'utf8'), `hi from ${id}\n`);
  }
  const completed = await assertTornDown(t, c, frameworkId, { 'hello-0': 'TASK_FINISHED', 'hello-1': 'TASK_FINISHED', 'hello-2': 'TASK_FINISHED' });
  // 0.5 cpus and 64 MB each, as asked.
  t.deepEqual((completed.completed_tasks as Json[]).map((task) => [task.resources.cpus, task.resources.mem]), [[0.5, 64], [0.5, 64], [0.5, 64]]);
});

test('a non-leader answers 307: the program follows Location to the leader and runs there', async (t) => {
  const c = await startCluster(t);
  let redirected = 0;
  const standIn = createServer((req, res) => {
    redirected++;
    req.resume();
    res.writeHead(307, { Location: `//${c.address}${req.url}`, 'Content-Length': '0' }).end();
  });
  await new Promise<void>((resolve) => standIn.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => standIn.close(() => resolve())));
  const port = (standIn.address() as { port: number }).port;
  const run = await runFramework(t, ['--master', `127.0.0.1:${port}`, '--command', 'echo hello']);
  t.is(run.code, 0, run.stdout + run.stderr);
  t.is(run.stdout.split('\n')[0], `REDIRECT 127.0.0.1:${port} is not the leader; the leader is ${c.address}`);
  // Only SUBSCRIBE went to the stand-in: the calls after it go to the leader it named.
  t.is(redirected, 1);
  await assertTornDown(t, c, frameworkIdOf(run), { 'hello-0': 'TASK_FINISHED' });
});

test('no master at the address: exit 2 with the reason, no traceback', async (t) => {
  // A port that was just free: a server listened there and closed.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const run = await runFramework(t, ['--master', `127.0.0.1:${port}`, '--command', 'true']);
  t.is(run.code, 2, run.stdout + run.stderr);
  t.is(run.stdout, `cannot talk to the master at 127.0.0.1:${port}: [Errno 111] Connection refused\n`);
  t.is(run.stderr, '');
});
