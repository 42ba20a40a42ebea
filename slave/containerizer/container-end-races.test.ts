/**
 * Hard cases of a container's end and kill, with real processes (review of the children-list
 * path): a task whose main thread has exited while another thread still runs (its /proc stat says
 * `Z`, yet it is alive), a child forked by a thread that is not the main one (it is listed only in
 * that thread's children list), and an orphan that left the session by a double fork + setsid.
 * A supervisor that is not (yet) the agent's child (the launcher's subshell has not let go of it)
 * is read too. Alone in its file (its own process): the agent's children are the containerizer's.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import type { ExecutionContext } from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../common/resources/resources.ts';
import { asContainerId } from '../containerizer.ts';
import type { Containerizer, LaunchSpec } from '../containerizer.ts';
import { createPosixContainerizer } from './posix-containerizer.ts';
import { registerAgentHelper } from './agent-helpers.ts';
import { reapChild } from './native.ts';
import { readStatSync } from './proc-stat.ts';
import { launchBox, sh } from './launch-box.ts';

/** A process that can still run: not gone, and not a zombie unless other threads of it live. */
const running = (pid: number): boolean => {
  const s = readStatSync(pid);
  return s !== undefined && (s.state !== 'Z' || s.threads > 1);
};

const killQuietly = (pid: number): void => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone.
  }
};

/** SYS_exit (the calling thread only, not exit_group) on the architectures Node runs on here. */
const SYS_EXIT = arch() === 'arm64' ? 93 : 60;

const hasPython = existsSync('/usr/bin/python3');

async function setup(t: ExecutionContext): Promise<{ c: Containerizer; spec(name: string, script: string): Promise<LaunchSpec>; pids: number[] }> {
  const c = createPosixContainerizer();
  const box = await launchBox(t, () => [c], {
    prefix: 'maestro-end-races-', resources: 'cpus:0.1;mem:32', environment: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });
  const pids: number[] = [];
  // Runs before the box's teardown (teardowns run last first): strays, then containers, then the dir.
  t.teardown(() => {
    for (const pid of pids) killQuietly(pid);
  });
  return { c, pids, spec: (name, script) => box.spec(name, sh(script)) };
}

/** Reads `file` in the sandbox once the task has written it whole (a line ending in a newline). */
async function written(sandbox: string, file: string): Promise<string> {
  for (;;) {
    const text = await readFile(join(sandbox, file), 'utf8').catch(() => '');
    if (text.endsWith('\n')) return text.trim();
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The task's main thread calls exit(2) (only itself); a second thread forks a child, then lives on. ps shows such a
// process as a defunct zombie (stat `Z`, threads 2): it must still be killed, and so must the second thread's child.
const mainThreadExits = (sysExit: number) => `
import ctypes, os, threading, time
libc = ctypes.CDLL(None)
me = os.getpid()
def second():
    child = os.fork()
    if child == 0:
        time.sleep(300)
        os._exit(0)
    while open('/proc/%d/stat' % me).read().split(') ')[1][0] != 'Z':
        time.sleep(0.005)
    with open('ready.tmp', 'w') as f:
        f.write('%d %d\\n' % (me, child))
    os.rename('ready.tmp', 'ready')
    time.sleep(300)
threading.Thread(target=second).start()
libc.syscall(${sysExit}, 0)
`;

test.serial('SIGKILL kills a task whose main thread has exited (stat Z, another thread alive) and the child that thread forked', async (t) => {
  if (!hasPython) return t.fail('python3 is needed to make a thread exit alone');
  const { c, spec, pids } = await setup(t);
  const s = await spec('main-thread-exited', 'exec python3 prog.py');
  await writeFile(join(s.sandbox, 'prog.py'), mainThreadExits(SYS_EXIT));
  t.true((await c.launch(s)).ok);
  const [task, child] = (await written(s.sandbox, 'ready')).split(' ').map(Number);
  pids.push(task, child);
  t.is(readStatSync(task)?.state, 'Z', 'the main thread has exited');
  t.true(running(task) && running(child));
  await c.kill(s.containerId, 'SIGKILL');
  t.false(running(child), 'the second thread\'s child is dead');
  t.false(running(task), 'the task is dead');
  // Should the kill have missed them, the end still comes (the assertions above have failed).
  for (const pid of [task, child]) if (running(pid)) killQuietly(pid);
  t.like(await c.wait(s.containerId), { kind: 'signaled', signal: 9 });
  await c.cleanup(s.containerId);
});

// A child forked by a thread that is not the main one is in that thread's children list only.
const threadForks = `
import os, threading, time
def second():
    child = os.fork()
    if child == 0:
        os.setsid()
        time.sleep(300)
        os._exit(0)
    with open('ready.tmp', 'w') as f:
        f.write('%d\\n' % child)
    os.rename('ready.tmp', 'ready')
threading.Thread(target=second).start()
time.sleep(300)
`;

test.serial('SIGKILL kills a child forked by a thread that is not the main one, in a session of its own', async (t) => {
  if (!hasPython) return t.fail('python3 is needed');
  const { c, spec, pids } = await setup(t);
  const s = await spec('thread-forks', 'exec python3 prog.py');
  await writeFile(join(s.sandbox, 'prog.py'), threadForks);
  const launched = await c.launch(s);
  t.true(launched.ok);
  const child = Number(await written(s.sandbox, 'ready'));
  pids.push(child);
  t.is(readStatSync(child)?.ppid, launched.ok ? launched.pid : -1, 'the child\'s parent is the task (its second thread)');
  await c.kill(s.containerId, 'SIGKILL');
  t.false(running(child), 'the thread\'s child is dead');
  if (running(child)) killQuietly(child);
  t.like(await c.wait(s.containerId), { kind: 'signaled', signal: 9 });
  await c.cleanup(s.containerId);
});

test.serial('a double fork + setsid orphan dies with its container, also when the task ends on its own', async (t) => {
  const { c, spec, pids } = await setup(t);
  const s = await spec('double-fork', `(setsid sh -c 'echo $$ > orphan.tmp; mv orphan.tmp orphan; exec sleep 300' &) & while [ ! -s orphan ]; do :; done; exit 3`);
  t.true((await c.launch(s)).ok);
  t.like(await c.wait(s.containerId), { kind: 'exited', exitCode: 3 });
  const orphan = Number(await readFile(join(s.sandbox, 'orphan'), 'utf8'));
  pids.push(orphan);
  t.false(running(orphan), 'the orphan is dead');
  await c.cleanup(s.containerId);
});

// Right after a launch the supervisor may still be the child of the launcher's subshell (which exits just after its fork;
// a loaded host can run the supervisor's whole handshake first). Made lasting here: the containerizer is told another
// process is the agent, so this supervisor is never among "the agent's" children.
test.serial('a kill finds the task of a supervisor that is not among the agent\'s children', async (t) => {
  const stand = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
  t.teardown(() => stand.kill('SIGKILL'));
  const c = createPosixContainerizer({ agentPid: stand.pid! });
  const dir = await mkdtemp(join(tmpdir(), 'maestro-end-races-'));
  const sandbox = join(dir, 'sandbox');
  const runDir = join(dir, 'run');
  await mkdir(sandbox, { recursive: true });
  await mkdir(runDir, { recursive: true });
  const id = asContainerId('not-yet-adopted');
  let supervisor = 0;
  let task = 0;
  t.teardown(async () => {
    killQuietly(task);
    // This process is its parent, not the stand-in agent: the containerizer leaves its zombie alone.
    while (supervisor > 0 && readStatSync(supervisor) !== undefined && reapChild(supervisor) === undefined) await new Promise((r) => setTimeout(r, 10));
    await rm(dir, { recursive: true, force: true });
  });
  const launched = await c.launch({
    containerId: id, sandbox, runDir, command: { shell: true, value: 'exec sleep 300', arguments: [] },
    environment: { MESOS_SANDBOX: sandbox }, resources: Resources.parse('cpus:0.1;mem:32'),
  });
  if (!launched.ok) return t.fail(launched.message);
  task = launched.pid;
  supervisor = Number((await readFile(join(runDir, 'pids'), 'utf8')).split(' ')[0]);
  t.not(readStatSync(supervisor)?.ppid, stand.pid);
  await c.kill(id, 'SIGKILL');
  t.false(running(task), 'the task is dead');
  killQuietly(task);
  t.like(await c.wait(id), { kind: 'signaled', signal: 9 });
  await c.cleanup(id);
});

/** Polls until `done()` holds: a reap happens on a SIGCHLD of this process (debounced) or the containerizer's sweep, neither of which a test can await. */
async function eventually(done: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500 && !done(); i++) await new Promise((r) => setTimeout(r, 20));
  return done();
}

test.serial('a daemonizing task (fork, setsid, fork, exit) leaves no zombie in the agent, while it runs and after', async (t) => {
  const { c, spec, pids } = await setup(t);
  // The session leader exits as soon as it forked the daemon (both are then the agent's children); the daemon runs until `go` exists.
  const s = await spec('daemonizing', `(setsid sh -c 'echo $$ > leader; (while [ ! -e go ]; do sleep 0.02; done) & echo $! > daemon.tmp; mv daemon.tmp daemon' &); sleep 300`);
  t.true((await c.launch(s)).ok);
  const daemon = Number(await written(s.sandbox, 'daemon'));
  const leader = Number(await readFile(join(s.sandbox, 'leader'), 'utf8'));
  pids.push(daemon);
  const reaped = (pid: number) => readStatSync(pid) === undefined;
  t.true(await eventually(() => reaped(leader)), 'the session leader\'s zombie is reaped while the daemon runs');
  t.true(running(daemon));
  await writeFile(join(s.sandbox, 'go'), '');
  t.true(await eventually(() => reaped(daemon)), 'the daemon\'s zombie is reaped');
  t.like(await c.usage(s.containerId), { processes: 2 }, 'the task alone is left (its shell and its sleep)');
  await c.kill(s.containerId, 'SIGKILL');
  t.like(await c.wait(s.containerId), { kind: 'signaled', signal: 9 });
  await c.cleanup(s.containerId);
});

test.serial('the agent\'s own helper with the task\'s environment (a COMMAND check\'s probe) is not the container\'s: not killed, not reaped', async (t) => {
  const { c, spec } = await setup(t);
  const s = await spec('probed', 'exec sleep 300');
  t.true((await c.launch(s)).ok);
  // As slave/health/command-probe.ts spawns a probe: detached (a session of its own), the task's environment, registered.
  const probe = spawn('/bin/sleep', ['300'], { env: { MESOS_SANDBOX: s.sandbox }, detached: true, stdio: 'ignore' });
  const forget = registerAgentHelper(probe.pid);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => probe.once('exit', (_code, sig) => resolve(sig)));
  t.teardown(() => probe.kill('SIGKILL'));
  await c.kill(s.containerId, 'SIGKILL');
  t.like(await c.wait(s.containerId), { kind: 'signaled', signal: 9 });
  t.true(running(probe.pid!), 'the probe lives on (its checker ends it)');
  probe.kill('SIGKILL');
  t.is(await exited, 'SIGKILL', 'libuv reports its exit: nobody else reaped it');
  forget();
  await c.cleanup(s.containerId);
});

/** Processes on the host whose environment carries `MESOS_SANDBOX=sandbox` and that can still run. */
function carrying(sandbox: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(`MESOS_SANDBOX=${sandbox}`) && running(Number(name))) out.push(Number(name));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return out;
}

test.serial('SIGKILL of a task that forks without pause (children forked while the tree is read) leaves nothing', async (t) => {
  const { c, spec } = await setup(t);
  // Every child leaves the session at once (setsid), so only the children lists and the marker find it.
  const s = await spec('forking', 'while :; do setsid sleep 300 & done');
  t.true((await c.launch(s)).ok);
  while (carrying(s.sandbox).length < 20) await new Promise((r) => setTimeout(r, 10));
  await c.kill(s.containerId, 'SIGKILL');
  t.like(await c.wait(s.containerId), { kind: 'signaled', signal: 9 });
  t.deepEqual(carrying(s.sandbox), [], 'no process of the container is left');
  await c.cleanup(s.containerId);
});
