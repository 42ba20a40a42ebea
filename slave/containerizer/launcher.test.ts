/**
 * The launcher with real processes: a run directory whose name holds a newline, quotes, a
 * backslash and spaces; a request for a directory that does not exist is answered at once; a
 * launcher SIGKILLed in the middle of a wave of launches is replaced, every launch of the wave
 * starts exactly one task, and exit codes still arrive.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../common/resources/resources.ts';
import { createTimers, silentLogger } from '../../common/ports.ts';
import { asContainerId } from '../containerizer.ts';
import type { Containerizer, LaunchSpec } from '../containerizer.ts';
import { writeFile } from 'node:fs/promises';
import { createLauncher, LAUNCHER_PATH } from './launcher.ts';
import { taskScript } from './task-script.ts';
import { SUPERVISOR_PATH, createPosixContainerizer } from './posix-containerizer.ts';

const timers = createTimers({ setTimeout: (fn, ms) => setTimeout(fn, ms), setInterval: (fn, ms) => setInterval(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
let next = 0;

async function spec(t: ExecutionContext, cz: Containerizer, dir: string, name: string, value: string): Promise<LaunchSpec> {
  const id = asContainerId(`l${next++}`);
  const sandbox = join(dir, name, 'sandbox');
  const runDir = join(dir, name, 'run');
  await mkdir(sandbox, { recursive: true });
  await mkdir(runDir, { recursive: true });
  t.teardown(() => cz.kill(id, 'SIGKILL'));
  return { containerId: id, sandbox, runDir, command: { shell: true, value, arguments: [] }, environment: { MESOS_SANDBOX: sandbox }, resources: Resources.parse('cpus:0.1;mem:16') };
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-launcher-'));
  // Retries: a supervisor may still be writing its exit status while the directory goes.
  t.teardown(() => rm(dir, { recursive: true, force: true, maxRetries: 10 }));
  return dir;
}

/**
 * The live launcher: the oldest child of this process running launcher.sh (the launcher's own
 * forks, on their way to becoming supervisors, carry its command line for a moment).
 */
function launcherPid(): number | undefined {
  let best: { pid: number; start: number } | undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const start = Number(fields[19]);
      if (Number(fields[1]) === process.pid && fields[0] !== 'Z' && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(LAUNCHER_PATH) && (best === undefined || start < best.start)) best = { pid: Number(name), start };
    } catch {
      // Gone meanwhile.
    }
  }
  return best?.pid;
}

/** Processes whose environment names exactly this sandbox. */
function tasksOf(sandbox: string): number {
  let n = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/\) Z /.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(`MESOS_SANDBOX=${sandbox}`)) n++;
    } catch {
      // Gone meanwhile.
    }
  }
  return n;
}

test('a run directory named with a newline, quotes, a backslash and spaces launches and reports its exit code', async (t) => {
  const cz = createPosixContainerizer();
  const dir = await tempDir(t);
  const s = await spec(t, cz, dir, "odd \n'dir' \\0134 \"x\" ü", 'echo hello; exit 3');
  const launched = await cz.launch(s);
  t.true(launched.ok, launched.ok ? '' : launched.message);
  t.like(await cz.wait(s.containerId), { kind: 'exited', exitCode: 3 });
  t.is(await readFile(join(s.sandbox, 'stdout'), 'utf8'), 'hello\n');
  await cz.cleanup(s.containerId);
  // The run files stay as the record until the sandbox GC removes the run directory whole (no unlink per task); no temporary is left.
  t.deepEqual((await readdir(s.runDir)).sort(), ['container.json', 'exit_status', 'pids', 'supervisor.log', 'task.sh']);
});

test('a request for a run directory that does not exist is answered with a failure, not a timeout', async (t) => {
  const launcher = createLauncher({ supervisorPath: SUPERVISOR_PATH, timers, logger: silentLogger, handshakeTimeoutMs: 60_000 });
  t.teardown(() => launcher.close());
  t.like(await launcher.start('/nonexistent/run\ndir'), { ok: false, message: 'the supervisor could not start' });
});

test.serial('a launcher killed mid-wave is replaced: every launch starts exactly one task, exit codes arrive', async (t) => {
  const cz = createPosixContainerizer();
  const dir = await tempDir(t);
  const specs = await Promise.all(Array.from({ length: 24 }, (_, i) => spec(t, cz, dir, `t${i}`, 'exec sleep 600')));
  const launches = specs.map((s) => cz.launch(s));
  await launches[0];
  const before = launcherPid();
  if (before === undefined) return t.fail('no launcher found');
  process.kill(before, 'SIGKILL');
  const results = await Promise.all(launches);
  for (const r of results) t.true(r.ok, r.ok ? '' : r.message);
  // The handshake names the task's subshell, which has MESOS_SANDBOX only once it exec'd env: on a loaded host some take a moment.
  for (let waited = 0; waited < 10_000 && specs.some((s) => tasksOf(s.sandbox) === 0); waited += 20) await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(specs.map((s) => tasksOf(s.sandbox)), specs.map(() => 1));
  const after = await cz.launch(await spec(t, cz, dir, 'after', 'exit 5'));
  t.true(after.ok);
  t.like(await cz.wait(asContainerId(`l${next - 1}`)), { kind: 'exited', exitCode: 5 });
  t.not(launcherPid(), before);
  for (const s of specs) await cz.kill(s.containerId, 'SIGKILL');
  for (const s of specs) {
    const end = await cz.wait(s.containerId);
    t.like(end, { kind: 'signaled', signal: 9 }, `${s.containerId} ${end.message}; supervisor.log: ${await readFile(join(s.runDir, 'supervisor.log'), 'utf8').catch(() => '')} files: ${(await readdir(s.runDir)).join(',')}`);
  }
});

test.serial('requests left unread by a launcher that died go to the next launcher, each started once', async (t) => {
  const dir = await tempDir(t);
  const launcher = createLauncher({ supervisorPath: SUPERVISOR_PATH, timers, logger: silentLogger });
  t.teardown(() => launcher.close());
  const runDirs: string[] = [];
  for (const name of ['a', 'b', 'c']) {
    const runDir = join(dir, name);
    await mkdir(runDir);
    await writeFile(join(runDir, 'task.sh'), taskScript({ workingDirectory: dir, sandbox: runDir, environment: { PATH: '/usr/bin:/bin' }, envTool: '/usr/bin/env', asUser: [], argv: ['/bin/sh', '-c', 'exec sleep 600'] }));
    runDirs.push(runDir);
  }
  const first = launcher.start(runDirs[0]);
  const pid = launcher.pid();
  if (pid === undefined) return t.fail('no launcher');
  process.kill(pid, 'SIGSTOP');
  const rest = [launcher.start(runDirs[1]), launcher.start(runDirs[2])];
  process.kill(pid, 'SIGKILL');
  const replies = await Promise.all([first, ...rest]);
  for (const r of replies) {
    if (!r.ok) return t.fail(r.message);
    t.teardown(() => { try { process.kill(r.taskPid, 'SIGKILL'); } catch { /* gone */ } });
  }
  t.not(launcher.pid(), pid);
  t.is(new Set(replies.map((r) => (r.ok ? r.supervisorPid : 0))).size, 3);
  for (const runDir of runDirs) t.regex(await readFile(join(runDir, 'pids'), 'utf8'), /^\d+ \d+\n$/);
});
