/**
 * The SDK example (frameworks/examples/typescript/sleep-framework.ts) as a child process against a
 * real `maestro master` and `maestro agent`: three `echo hi` tasks (exit 0, `hi` in three
 * sandboxes, the framework torn down); a command that fails once (the framework relaunches it,
 * the master holds one TASK_FAILED and one TASK_FINISHED); a command that always fails (retries
 * exhausted, exit 1); and a failover: the framework is SIGKILLed while its task runs, started
 * again with the same --state file, subscribes with the same framework id, learns by
 * reconciliation that the task still runs and launches no second copy.
 *
 * Teardown kills the framework processes, stops agent and master, kills any task process left
 * under the agent's work dir and removes the temp dir, also on failure.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { taskProcesses, type MaestroProcess } from './support/maestro-process.ts';
import { getJson, type Json } from './support/http-scheduler.ts';
import { startMasterAndAgent, until } from './support/task-cluster.ts';
import { taskStdouts } from './support/sandboxes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const program = join(root, 'frameworks', 'examples', 'typescript', 'sleep-framework.ts');

interface Cluster {
  readonly master: MaestroProcess;
  readonly agent: MaestroProcess;
  /** `127.0.0.1:PORT`, as --master takes it. */
  readonly address: string;
  /** A private temp dir for state files and flag files. */
  readonly dir: string;
}

async function startCluster(t: ExecutionContext): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sdk-example-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const { master, agent } = await startMasterAndAgent(t, { resources: 'cpus:2;mem:1024;disk:1024;ports:[31000-31010]' });
  return { master, agent, address: new URL(master.url).host, dir };
}

interface Framework {
  readonly child: ChildProcess;
  output(): string;
  /** Exit code once it exits (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Starts the example; teardown SIGKILLs it if it still runs, and a run longer than `timeoutMs` is killed (a bound). */
function startFramework(t: ExecutionContext, args: readonly string[], timeoutMs = 60_000): Framework {
  const child = spawn(process.execPath, ['--import=tsx', program, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const kill = () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); };
  t.teardown(kill);
  const timer = setTimeout(kill, timeoutMs);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => { clearTimeout(timer); resolve(code); }));
  return { child, output: () => out, exited };
}

function frameworkIdOf(output: string): string {
  const m = /^subscribed (\S+)/m.exec(output);
  if (m === null) throw new Error(`no subscribed line in:\n${output}`);
  return m[1];
}

/** The stdout files of a task's runs in the agent's sandboxes. */
function sandboxStdouts(agent: MaestroProcess, frameworkId: string, taskId: string): string[] {
  return taskStdouts(agent.workDir, frameworkId, taskId);
}

/** The task ids (MESOS_TASK_ID) of the live task processes under the agent's work dir. */
function runningTaskIds(agent: MaestroProcess): string[] {
  const ids = new Set<string>();
  for (const pid of taskProcesses(agent.workDir)) {
    try {
      const v = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('MESOS_TASK_ID='));
      if (v !== undefined) ids.add(v.slice('MESOS_TASK_ID='.length));
    } catch {
      // Exited meanwhile.
    }
  }
  return [...ids].sort();
}

/** Task id to state of a framework the master completed (torn down). */
async function completedTasks(c: Cluster, frameworkId: string): Promise<Record<string, string>> {
  const frameworks = await getJson(c.master.url, '/master/frameworks');
  if ((frameworks.frameworks as Json[]).some((f) => f.id === frameworkId)) throw new Error(`framework ${frameworkId} is still registered`);
  const completed = (frameworks.completed_frameworks as Json[]).find((f) => f.id === frameworkId);
  if (completed === undefined) throw new Error(`framework ${frameworkId} is not among the completed frameworks`);
  return Object.fromEntries([...(completed.tasks as Json[]), ...(completed.completed_tasks as Json[])].map((task) => [task.id, task.state]));
}

test('three echo tasks: one offer, exit 0 after teardown, hi in three sandboxes, the state file removed', async (t) => {
  const c = await startCluster(t);
  const state = join(c.dir, 'state.json');
  const fw = startFramework(t, ['--master', c.address, '--tasks', '3', '--command', 'echo hi', '--cpus', '0.5', '--mem', '64', '--state', state]);
  t.is(await fw.exited, 0, fw.output());
  const out = fw.output();
  const frameworkId = frameworkIdOf(out);
  t.regex(out, /^launched task-0-1 task-1-1 task-2-1 on \S+: ok$/m);
  t.regex(out, /^all 3 tasks finished: teardown ok, exit 0$/m);
  for (const task of ['task-0-1', 'task-1-1', 'task-2-1']) {
    const stdouts = sandboxStdouts(c.agent, frameworkId, task);
    t.is(stdouts.length, 1, task);
    t.is(readFileSync(stdouts[0], 'utf8'), 'hi\n', task);
  }
  t.deepEqual(await completedTasks(c, frameworkId), { 'task-0-1': 'TASK_FINISHED', 'task-1-1': 'TASK_FINISHED', 'task-2-1': 'TASK_FINISHED' });
  t.false(existsSync(state), 'the state file of a torn-down framework is left');
});

test('a command that fails once is relaunched: exit 0, the master holds one TASK_FAILED and one TASK_FINISHED', async (t) => {
  const c = await startCluster(t);
  const flag = join(c.dir, 'failed-once');
  const fw = startFramework(t, ['--master', c.address, '--command', `[ -e ${flag} ] || { touch ${flag}; exit 1; }`, '--state', join(c.dir, 'state.json')]);
  t.is(await fw.exited, 0, fw.output());
  t.regex(fw.output(), /^task-0-1 TASK_FAILED REASON_COMMAND_EXECUTOR_FAILED$/m);
  t.regex(fw.output(), /^launched task-0-2 on \S+: ok$/m);
  t.deepEqual(await completedTasks(c, frameworkIdOf(fw.output())), { 'task-0-1': 'TASK_FAILED', 'task-0-2': 'TASK_FINISHED' });
});

test('a command that always fails: --retries 1 gives up after two runs, exit 1, torn down', async (t) => {
  const c = await startCluster(t);
  const fw = startFramework(t, ['--master', c.address, '--command', 'exit 3', '--retries', '1', '--state', join(c.dir, 'state.json')]);
  t.is(await fw.exited, 1, fw.output());
  t.regex(fw.output(), /^a task failed 2 times: teardown ok, exit 1$/m);
  t.deepEqual(await completedTasks(c, frameworkIdOf(fw.output())), { 'task-0-1': 'TASK_FAILED', 'task-0-2': 'TASK_FAILED' });
});

test('SIGKILL mid-run, restart with the same --state: failover to the same id, the running task reconciled, no second copy', async (t) => {
  const c = await startCluster(t);
  const state = join(c.dir, 'state.json');
  const release = join(c.dir, 'release');
  // Runs until the test creates `release` (at most 60 s), so the test decides when it finishes.
  const command = `for i in $(seq 600); do [ -e ${release} ] && exit 0; sleep 0.1; done; exit 1`;
  const args = ['--master', c.address, '--command', command, '--state', state];
  const first = startFramework(t, args);
  await until(() => /^task-0-1 TASK_RUNNING$/m.test(first.output()), `task-0-1 running; output:\n${first.output()}`, 400);
  const frameworkId = frameworkIdOf(first.output());
  first.child.kill('SIGKILL');
  t.is(await first.exited, null);

  const second = startFramework(t, args);
  await until(() => /REASON_RECONCILIATION/.test(second.output()), `a reconciliation answer; output:\n${second.output()}`, 400);
  t.is(frameworkIdOf(second.output()), frameworkId);
  t.regex(second.output(), new RegExp(`^subscribed ${frameworkId} \\(failover\\)$`, 'm'));
  t.regex(second.output(), /^task-0-1 TASK_RUNNING REASON_RECONCILIATION$/m);
  // Give a duplicate launch time to happen: the first run's ACCEPT left a 5 s refuse filter on the
  // rest of the agent (filters outlive a failover), after it a framework that wants to launch gets
  // an offer within one 50 ms allocation interval.
  await new Promise((r) => setTimeout(r, 6500));
  const frameworks = await getJson(c.master.url, '/master/frameworks');
  const registered = (frameworks.frameworks as Json[]).filter((f) => f.id === frameworkId);
  t.is(registered.length, 1);
  t.true(registered[0].active, 'the failed-over framework is not active');
  t.deepEqual((registered[0].tasks as Json[]).map((task) => [task.id, task.state]), [['task-0-1', 'TASK_RUNNING']]);
  t.false(/^launched /m.test(second.output()), second.output());
  // Nothing pending: it subscribed suppressed, so no offer came to decline once the filter expired.
  t.false(/^declined /m.test(second.output()), second.output());
  t.deepEqual(runningTaskIds(c.agent), ['task-0-1'], 'task processes on the agent');

  writeFileSync(release, '');
  t.is(await second.exited, 0, second.output());
  t.regex(second.output(), /^task-0-1 TASK_FINISHED$/m);
  t.deepEqual(await completedTasks(c, frameworkId), { 'task-0-1': 'TASK_FINISHED' });
});
