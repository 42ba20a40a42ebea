/**
 * Recovery of a run whose agent died between the launch handshake and `container.json`: its only
 * record is `pids` (no start times). The pid it names may belong to another process by now (a
 * supervisor of another run, on this host another agent's too, or any process): recovery must not
 * take it for this container's supervisor, and the end's sweep must not kill that process's
 * children or session. A run with no record at all is reported ended: its run directory is claimed,
 * so that a launcher that outlived its agent cannot start the task there afterwards.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../common/resources/resources.ts';
import { asContainerId } from '../containerizer.ts';
import { existsSync, readFileSync } from 'node:fs';
import { createTimers, silentLogger } from '../../common/ports.ts';
import { createLauncher } from './launcher.ts';
import { parsePids } from './run-files.ts';
import { taskScript } from './task-script.ts';
import { SUPERVISOR_PATH, createPosixContainerizer } from './posix-containerizer.ts';
import { readStatSync } from './proc-stat.ts';

const running = (pid: number): boolean => {
  const s = readStatSync(pid);
  return s !== undefined && s.state !== 'Z';
};

async function runDirs(name: string): Promise<{ root: string; sandbox: string; runDir: string }> {
  const root = await mkdtemp(join(tmpdir(), `maestro-${name}-`));
  const sandbox = join(root, 'sandbox');
  const runDir = join(root, 'run');
  await mkdir(sandbox, { recursive: true });
  await mkdir(runDir, { recursive: true });
  return { root, sandbox, runDir };
}

test.serial('a pids-only record naming the live supervisor of another run is not that container\'s, and its task lives on', async (t) => {
  const first = createPosixContainerizer();
  const a = await runDirs('pids-only-a');
  const b = await runDirs('pids-only-b');
  const idA = asContainerId('pids-only-a');
  t.teardown(async () => {
    await first.kill(idA, 'SIGKILL');
    await rm(a.root, { recursive: true, force: true });
    await rm(b.root, { recursive: true, force: true });
  });
  const launched = await first.launch({
    containerId: idA, sandbox: a.sandbox, runDir: a.runDir, command: { shell: true, value: 'exec sleep 300', arguments: [] },
    environment: { MESOS_SANDBOX: a.sandbox }, resources: Resources.parse('cpus:0.1;mem:32'),
  });
  if (!launched.ok) return t.fail(launched.message);
  // B's record names A's processes (its own supervisor's pid, reused).
  await writeFile(join(b.runDir, 'pids'), await readFile(join(a.runDir, 'pids'), 'utf8'));
  const second = createPosixContainerizer();
  const found = await second.recover([{ containerId: asContainerId('pids-only-b'), runDir: b.runDir, sandbox: b.sandbox }]);
  t.like(found.get(asContainerId('pids-only-b')), { kind: 'unknown' });
  t.true(running(launched.pid), 'the other run\'s task lives on');
  await second.cleanup(asContainerId('pids-only-b'));
});

test.serial('a pids-only record whose supervisor pid names an unrelated process: its children are left alone', async (t) => {
  const c = await runDirs('pids-only-c');
  // A session leader with a child, as any process on the host that got the dead supervisor's pid.
  const leader = spawn('/bin/sh', ['-c', 'sleep 300 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const child = await new Promise<number>((resolve) => leader.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  t.teardown(async () => {
    try {
      process.kill(-leader.pid!, 'SIGKILL');
    } catch {
      // Gone.
    }
    await rm(c.root, { recursive: true, force: true });
  });
  await writeFile(join(c.runDir, 'pids'), `${leader.pid} ${child}\n`);
  const recovering = createPosixContainerizer();
  const found = await recovering.recover([{ containerId: asContainerId('pids-only-c'), runDir: c.runDir, sandbox: c.sandbox }]);
  t.like(found.get(asContainerId('pids-only-c')), { kind: 'unknown' });
  t.true(running(leader.pid!) && running(child), 'the unrelated process and its child live on');
  await recovering.cleanup(asContainerId('pids-only-c'));
});

test.serial('a run without a record is claimed at recovery: a launcher that outlived its agent starts nothing there', async (t) => {
  const d = await runDirs('unrecorded');
  await writeFile(join(d.runDir, 'task.sh'), taskScript({ workingDirectory: d.sandbox, sandbox: d.sandbox, environment: { PATH: '/usr/bin:/bin' }, envTool: '/usr/bin/env', asUser: [], argv: ['/bin/sleep', '300'] }));
  const timers = createTimers({ setTimeout: (fn, ms) => setTimeout(fn, ms), setInterval: (fn, ms) => setInterval(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) });
  // The old agent's launcher, with the request still unread in its pipe (here: sent after the recovery looked).
  const launcher = createLauncher({ supervisorPath: SUPERVISOR_PATH, timers, logger: silentLogger, handshakeTimeoutMs: 1000 });
  t.teardown(async () => {
    launcher.close();
    const pids = parsePids(existsSync(join(d.runDir, 'pids')) ? readFileSync(join(d.runDir, 'pids'), 'utf8') : '');
    if (pids !== undefined) {
      try {
        process.kill(pids.taskPid, 'SIGKILL');
      } catch {
        // Gone.
      }
      while (running(pids.supervisorPid)) await new Promise((r) => setTimeout(r, 10));
    }
    await rm(d.root, { recursive: true, force: true, maxRetries: 10 });
  });
  const recovering = createPosixContainerizer();
  const found = await recovering.recover([{ containerId: asContainerId('unrecorded'), runDir: d.runDir, sandbox: d.sandbox }]);
  t.like(found.get(asContainerId('unrecorded')), { kind: 'unknown' });
  // The claim makes the launcher's redirection fail: no supervisor, so no answer (the request times out).
  const started = await launcher.start(d.runDir);
  t.false(started.ok, 'no supervisor started');
  t.false(existsSync(join(d.runDir, 'pids')), 'no task started');
});
