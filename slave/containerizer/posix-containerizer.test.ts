/**
 * The POSIX containerizer with real processes: exit codes and signals (the 128+n case included),
 * output files, environment and working directory, launch failures, killing a whole tree that
 * ignores SIGTERM and escapes with setsid, usage, and recovery by a second containerizer after the
 * first was dropped without killing anything (an agent crash).
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { asContainerId } from '../containerizer.ts';
import type { Containerizer, LaunchSpec, Termination } from '../containerizer.ts';
import { createPosixContainerizer } from './posix-containerizer.ts';
import { readProcessTable } from './proc-stat.ts';
import { launchBox, sh } from './launch-box.ts';

let next = 0;

interface Box {
  readonly dir: string;
  spec(command: LaunchSpec['command'], extra?: Partial<LaunchSpec>): Promise<LaunchSpec>;
}

/** A launch box (launch-box.ts) whose containers are named `c0`, `c1`, ... */
async function box(t: ExecutionContext, cz: () => Containerizer[]): Promise<Box> {
  const b = await launchBox(t, cz, { prefix: 'maestro-posix-', resources: 'cpus:0.5;mem:64' });
  return { dir: b.dir, spec: (command, extra) => b.spec(`c${next++}`, command, extra) };
}

async function run(t: ExecutionContext, command: LaunchSpec['command'], extra?: Partial<LaunchSpec>): Promise<{ termination: Termination; spec: LaunchSpec }> {
  const c = createPosixContainerizer();
  const b = await box(t, () => [c]);
  const spec = await b.spec(command, extra);
  const launched = await c.launch(spec);
  if (!launched.ok) return { termination: { kind: 'launch-failed', message: launched.message }, spec };
  const termination = await c.wait(spec.containerId);
  await c.cleanup(spec.containerId);
  return { termination, spec };
}

const exits: Array<[string, string, Partial<Termination>]> = [
  ['exit 0', 'exit 0', { kind: 'exited', exitCode: 0 }],
  ['exit 3', 'exit 3', { kind: 'exited', exitCode: 3 }],
  ['exit 137 on its own (not a SIGKILL)', 'exit 137', { kind: 'exited', exitCode: 137 }],
  ['exit 143 on its own (not a SIGTERM)', 'exit 143', { kind: 'exited', exitCode: 143 }],
  ['killed by signal 9', 'kill -9 $$', { kind: 'signaled', signal: 9 }],
  ['killed by signal 15', 'kill -15 $$', { kind: 'signaled', signal: 15 }],
  ['killed by signal 2 (not ignored by the task)', 'kill -2 $$', { kind: 'signaled', signal: 2 }],
];
for (const [name, script, expected] of exits) {
  test(`termination: ${name}`, async (t) => {
    const { termination } = await run(t, sh(script));
    t.like(termination, expected);
  });
}

test('messages follow Mesos: "Command exited with status 3", "Command terminated with signal Killed"', async (t) => {
  t.is((await run(t, sh('exit 3'))).termination.message, 'Command exited with status 3');
  t.is((await run(t, sh('kill -9 $$'))).termination.message, 'Command terminated with signal Killed');
});

test('stdout and stderr land in the sandbox files', async (t) => {
  const { termination, spec } = await run(t, sh('echo to-out; echo to-err >&2'));
  t.like(termination, { kind: 'exited', exitCode: 0 });
  t.is(await readFile(join(spec.sandbox, 'stdout'), 'utf8'), 'to-out\n');
  t.is(await readFile(join(spec.sandbox, 'stderr'), 'utf8'), 'to-err\n');
});

test('the environment is exactly the spec (PATH added when absent), the working directory is the sandbox', async (t) => {
  const { spec } = await run(t, { shell: false, value: 'env', arguments: ['env'] });
  const lines = (await readFile(join(spec.sandbox, 'stdout'), 'utf8')).trim().split('\n').sort();
  t.deepEqual(lines, [`MESOS_SANDBOX=${spec.sandbox}`, 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  const { spec: spec2 } = await run(t, sh('pwd'), { environment: { PATH: '/usr/bin:/bin', FOO: 'bar baz' } });
  t.is(await readFile(join(spec2.sandbox, 'stdout'), 'utf8'), `${spec2.sandbox}\n`);
});

test('non-shell commands get their arguments', async (t) => {
  const { spec, termination } = await run(t, { shell: false, value: '/bin/echo', arguments: ['echo', 'a b', 'c'] });
  t.like(termination, { kind: 'exited', exitCode: 0 });
  t.is(await readFile(join(spec.sandbox, 'stdout'), 'utf8'), 'a b c\n');
});

test('run as a user: the task has its uid and may write its sandbox', async (t) => {
  const { spec, termination } = await run(t, sh('id -u; echo mine > own-file'), { user: 'nobody' });
  t.like(termination, { kind: 'exited', exitCode: 0 });
  t.is(await readFile(join(spec.sandbox, 'stdout'), 'utf8'), '65534\n');
  t.is(await readFile(join(spec.sandbox, 'own-file'), 'utf8'), 'mine\n');
  t.is((await stat(join(spec.sandbox, 'stdout'))).uid, 65534);
});

const failures: Array<[string, LaunchSpec['command'], Partial<LaunchSpec>, RegExp]> = [
  ['unknown user', sh('true'), { user: 'no-such-user-xyz' }, /user 'no-such-user-xyz'/],
  ['missing command', { shell: false, value: 'no-such-command-xyz', arguments: [] }, {}, /no-such-command-xyz/],
  ['missing absolute command', { shell: false, value: '/nope/cmd', arguments: [] }, {}, /\/nope\/cmd/],
  ['missing working directory', sh('true'), { workingDirectory: '/nonexistent-dir-xyz' }, /nonexistent-dir-xyz/],
  [
    'a container image on a containerizer without image support',
    sh('true'),
    { container: { type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'alpine' } } } } },
    /containers with images cannot run on this agent: no image support/,
  ],
  [
    'volumes without filesystem/linux or an image',
    sh('true'),
    { container: { type: 'MESOS', volumes: [{ container_path: 'data', host_path: '/var/tmp', mode: 'RO' }] } },
    /container\.volumes: volumes need the filesystem\/linux isolator/,
  ],
];
for (const [name, command, extra, message] of failures) {
  test(`launch fails with a clear message: ${name}`, async (t) => {
    const { termination } = await run(t, command, extra);
    t.is(termination.kind, 'launch-failed');
    t.regex(termination.message, message);
  });
}

test('a missing command under the shell exits 127 as in Mesos', async (t) => {
  const { termination } = await run(t, sh('no-such-command-xyz'));
  t.like(termination, { kind: 'exited', exitCode: 127 });
});

async function livePids(pids: readonly number[]): Promise<number[]> {
  const table = await readProcessTable();
  return table.filter((p) => pids.includes(p.pid)).map((p) => p.pid);
}

async function readPidFile(path: string): Promise<number[]> {
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (text.endsWith('\n') && text.trim().split(/\s+/).length >= 2) return text.trim().split(/\s+/).map(Number);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('SIGTERM ignored, then SIGKILL kills the whole tree, a setsid grandchild included; nothing is left in /proc', async (t) => {
  const c = createPosixContainerizer();
  const b = await box(t, () => [c]);
  // The task ignores TERM, starts a grandchild in a new session (setsid) and records both pids.
  const spec = await b.spec(sh(`trap '' TERM; setsid sh -c 'trap "" TERM; echo $$ >> pids; exec sleep 300' & echo $$ >> pids; wait`));
  t.true((await c.launch(spec)).ok);
  const pids = await readPidFile(join(spec.sandbox, 'pids'));
  await c.kill(spec.containerId, 'SIGTERM');
  t.deepEqual((await livePids(pids)).sort(), [...pids].sort(), 'SIGTERM is ignored by both');
  await c.kill(spec.containerId, 'SIGKILL');
  const termination = await c.wait(spec.containerId);
  t.like(termination, { kind: 'signaled', signal: 9 });
  t.deepEqual(await livePids(pids), [], 'no process of the container, not even a zombie');
  await c.cleanup(spec.containerId);
  await c.cleanup(spec.containerId);
});

test('kill with SIGTERM ends a task that does not ignore it: signaled 15', async (t) => {
  const c = createPosixContainerizer();
  const b = await box(t, () => [c]);
  const spec = await b.spec(sh('sleep 300'));
  t.true((await c.launch(spec)).ok);
  await c.kill(spec.containerId, 'SIGTERM');
  t.like(await c.wait(spec.containerId), { kind: 'signaled', signal: 15, message: 'Command terminated with signal Terminated' });
  t.like((await c.recover([{ containerId: spec.containerId, runDir: spec.runDir, sandbox: spec.sandbox }])).get(spec.containerId), { kind: 'signaled', signal: 15 }, 'recovering a known container answers what it knows');
});

test('an orphan that left the session is killed when the task ends (the agent is its subreaper)', async (t) => {
  const c = createPosixContainerizer();
  const b = await box(t, () => [c]);
  const spec = await b.spec(sh(`setsid sh -c 'echo $$ > orphan; exec sleep 300' & while [ ! -s orphan ]; do :; done; exit 5`));
  t.true((await c.launch(spec)).ok);
  t.like(await c.wait(spec.containerId), { kind: 'exited', exitCode: 5 });
  const orphan = Number((await readFile(join(spec.sandbox, 'orphan'), 'utf8')).trim());
  t.deepEqual(await livePids([orphan]), []);
});

test('usage counts the processes of the container and carries the limits', async (t) => {
  const c = createPosixContainerizer();
  const b = await box(t, () => [c]);
  const spec = await b.spec(sh('sleep 300 & sleep 300 & echo go > started; wait'));
  t.true((await c.launch(spec)).ok);
  while (!(await readdir(spec.sandbox)).includes('started')) await new Promise((r) => setTimeout(r, 10));
  const u = await c.usage(spec.containerId);
  t.like(u, { processes: 3, threads: 3, cpus_limit: 0.5, mem_limit_bytes: 64 * 1024 * 1024 });
  t.true((u?.mem_rss_bytes ?? 0) > 0);
  await c.kill(spec.containerId, 'SIGKILL');
  t.like(await c.wait(spec.containerId), { kind: 'signaled', signal: 9 });
  t.is(await c.usage(spec.containerId), undefined);
});

test('wait of an unknown container says so; kill and cleanup of one are no-ops', async (t) => {
  const c = createPosixContainerizer();
  t.like(await c.wait(asContainerId('nope')), { kind: 'unknown' });
  await c.kill(asContainerId('nope'), 'SIGKILL');
  await c.cleanup(asContainerId('nope'));
  t.pass();
});

test('recovery: a new containerizer finds one container running (then exiting 0 when let go) and one that exited 7 while nobody watched', async (t) => {
  const first = createPosixContainerizer();
  const second = createPosixContainerizer();
  const b = await box(t, () => [first, second]);
  // The long task runs until the test lets it go (a file in its sandbox), however slow the machine.
  const long = await b.spec(sh('while [ ! -e go ]; do sleep 0.05; done'));
  const short = await b.spec(sh('exit 7'));
  t.true((await first.launch(long)).ok);
  t.true((await first.launch(short)).ok);
  // The first containerizer is dropped: its supervisors go on. Wait until the short task's supervisor recorded its exit.
  while (!(await readdir(short.runDir)).includes('exit_status')) await new Promise((r) => setTimeout(r, 10));
  const recovered = await second.recover([
    { containerId: long.containerId, runDir: long.runDir, sandbox: long.sandbox },
    { containerId: short.containerId, runDir: short.runDir, sandbox: short.sandbox },
  ]);
  t.is(recovered.get(long.containerId), 'running');
  t.like(recovered.get(short.containerId), { kind: 'exited', exitCode: 7 });
  t.like(await second.usage(long.containerId), { cpus_limit: 0.5, mem_limit_bytes: 64 * 1024 * 1024 }, 'limits survive the recovery');
  await writeFile(join(long.sandbox, 'go'), '');
  t.like(await second.wait(long.containerId), { kind: 'exited', exitCode: 0 });
  t.like(await second.wait(short.containerId), { kind: 'exited', exitCode: 7 });
});

test('recovery of a container killed by a recovered containerizer reports the signal', async (t) => {
  const first = createPosixContainerizer();
  const second = createPosixContainerizer();
  const b = await box(t, () => [first, second]);
  const spec = await b.spec(sh('sleep 300'));
  t.true((await first.launch(spec)).ok);
  const recovered = await second.recover([{ containerId: spec.containerId, runDir: spec.runDir, sandbox: spec.sandbox }]);
  t.is(recovered.get(spec.containerId), 'running');
  await second.kill(spec.containerId, 'SIGTERM');
  t.like(await second.wait(spec.containerId), { kind: 'signaled', signal: 15 });
});

test('recovery without any record of a container reports unknown', async (t) => {
  const c = createPosixContainerizer();
  const b = await box(t, () => [c]);
  const spec = await b.spec(sh('true'));
  const recovered = await c.recover([{ containerId: spec.containerId, runDir: spec.runDir, sandbox: spec.sandbox }]);
  t.like(recovered.get(spec.containerId), { kind: 'unknown' });
});
