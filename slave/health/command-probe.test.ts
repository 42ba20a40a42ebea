import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandLine, containerCommandLine, createCommandProbe, probeEnvironment } from './command-probe.ts';
import { setChildSubreaper } from '../containerizer/native.ts';
import { readProcessTable, type ProcStat } from '../containerizer/proc-stat.ts';
import { descendantsOf, killTree, reapOrphans } from './kill-tree.ts';

// As in the agent: orphaned descendants re-parent to this process, which must reap them.
const subreaper = setChildSubreaper();

const sandboxes: string[] = [];
function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-health-'));
  sandboxes.push(dir);
  return dir;
}
test.after.always(() => {
  for (const dir of sandboxes) rmSync(dir, { recursive: true, force: true });
});

/** A process is gone when /proc has no entry for it or it is a zombie waiting to be reaped. */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function until(predicate: () => boolean): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}

async function untilAsync(predicate: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}

/** Zombies whose parent is this test process (what a subreaper agent would leak). */
const zombiesOfThisProcess = async () => (await readProcessTable()).filter((p) => p.ppid === process.pid && p.state === 'Z').map((p) => p.pid);

test('the test process is a child subreaper, as the agent', (t) => {
  t.deepEqual(subreaper, { ok: true });
});

const run = (value: string, dir = sandbox(), env: Record<string, string> = {}, signal = new AbortController().signal) =>
  createCommandProbe({ value }, { sandbox: dir, environment: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } })(signal);

const exits: readonly [string, string, object][] = [
  ['exit 0', 'exit 0', { kind: 'exited', exitCode: 0 }],
  ['exit 1', 'exit 1', { kind: 'exited', exitCode: 1 }],
  ['exit 42', 'exit 42', { kind: 'exited', exitCode: 42 }],
  ['killed by a signal', 'kill -TERM $$', { kind: 'signaled', signal: 'SIGTERM' }],
];
for (const [name, command, expected] of exits) {
  test(`command probe: ${name}`, async (t) => {
    t.deepEqual(await run(command), expected);
  });
}

test('command probe: runs in the sandbox with the task environment under the check command variables', async (t) => {
  const dir = sandbox();
  const probe = createCommandProbe(
    { value: 'pwd > out; echo "$TASK_VAR $CHECK_VAR $SHARED" >> out', environment: { variables: [{ name: 'CHECK_VAR', value: 'c' }, { name: 'SHARED', value: 'from-check' }] } },
    { sandbox: dir, environment: { PATH: '/usr/bin:/bin', TASK_VAR: 't', SHARED: 'from-task' } },
  );
  t.deepEqual(await probe(new AbortController().signal), { kind: 'exited', exitCode: 0 });
  t.is(readFileSync(join(dir, 'out'), 'utf8'), `${dir}\nt c from-check\n`);
});

test('command probe: exec form runs value with arguments as argv (argv[0] included)', async (t) => {
  const probe = createCommandProbe({ shell: false, value: '/bin/sh', arguments: ['sh', '-c', 'exit 7'] }, { sandbox: sandbox(), environment: {} });
  t.deepEqual(await probe(new AbortController().signal), { kind: 'exited', exitCode: 7 });
});

test('command probe: a missing executable is an error value', async (t) => {
  const probe = createCommandProbe({ shell: false, value: '/nonexistent/check' }, { sandbox: sandbox(), environment: {} });
  const result = await probe(new AbortController().signal);
  t.is(result.kind, 'error');
  t.regex((result as { message: string }).message, /^Failed to create subprocess: .*ENOENT/);
});

test('command probe: an unknown user is an error value', async (t) => {
  const probe = createCommandProbe({ value: 'exit 0' }, { sandbox: sandbox(), environment: {}, user: 'no-such-user-maestro' });
  t.deepEqual(await probe(new AbortController().signal), {
    kind: 'error',
    message: "Failed to create subprocess: no such user 'no-such-user-maestro'",
  });
});

const canSwitchUser = process.getuid?.() === 0 && (() => {
  try {
    execFileSync('getent', ['passwd', 'nobody']);
    return true;
  } catch {
    return false;
  }
})();

test('command probe: runs as the task user (nobody) when the agent may switch users', async (t) => {
  if (!canSwitchUser) {
    t.log('not root or no user nobody here: checking that the probe still runs as this user');
    t.deepEqual(await run('exit 0'), { kind: 'exited', exitCode: 0 });
    return;
  }
  const dir = sandbox();
  chmodSync(dir, 0o777);
  const uid = execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim();
  const groups = execFileSync('id', ['-G', 'nobody'], { encoding: 'utf8' }).trim();
  const probe = createCommandProbe({ value: 'id -u > uid; id -G > groups' }, { sandbox: dir, environment: { PATH: '/usr/bin:/bin' }, user: 'nobody' });
  t.deepEqual(await probe(new AbortController().signal), { kind: 'exited', exitCode: 0 });
  t.is(readFileSync(join(dir, 'uid'), 'utf8').trim(), uid);
  t.is(readFileSync(join(dir, 'groups'), 'utf8').trim(), groups); // the user's groups, not root's
});

test('command probe: abort kills the whole process tree (sleep 100 and its children)', async (t) => {
  const dir = sandbox();
  const controller = new AbortController();
  const pending = run('sleep 100 & echo $! > child.pid; echo $$ > shell.pid; sleep 100', dir, {}, controller.signal);
  t.true(await until(() => existsSync(join(dir, 'child.pid')) && existsSync(join(dir, 'shell.pid')) && readFileSync(join(dir, 'shell.pid'), 'utf8').length > 0));
  const shell = Number(readFileSync(join(dir, 'shell.pid'), 'utf8'));
  const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
  t.false(gone(shell));
  t.false(gone(child));
  controller.abort();
  t.deepEqual(await pending, { kind: 'signaled', signal: 'SIGKILL' });
  t.true(await until(() => gone(shell) && gone(child)));
  // The orphaned sleep re-parented to this process (a child subreaper) and was reaped.
  t.true(await untilAsync(async () => (await zombiesOfThisProcess()).length === 0));
});

test('killTree: signals a process and its descendants; reapOrphans reaps those this process inherited', async (t) => {
  const dir = sandbox();
  const { spawn } = await import('node:child_process');
  const root = spawn('/bin/sh', ['-c', 'sh -c "sleep 100 & echo \\$! > grandchild.pid; wait" & sleep 100'], { cwd: dir, detached: true, stdio: 'ignore' });
  const exited = new Promise((r) => root.once('exit', r));
  t.true(await until(() => existsSync(join(dir, 'grandchild.pid')) && readFileSync(join(dir, 'grandchild.pid'), 'utf8').length > 0));
  const grandchild = Number(readFileSync(join(dir, 'grandchild.pid'), 'utf8'));
  const killed = await killTree(root.pid!);
  const pids = killed.map((p) => p.pid);
  t.is(pids[0], root.pid!);
  t.true(pids.includes(grandchild));
  t.is(pids.length, 4); // sh, inner sh, its sleep, the outer sleep
  await exited;
  await reapOrphans(root.pid!, killed, () => new Promise((r) => setTimeout(r, 20)));
  t.true(await until(() => gone(grandchild)));
  t.true(await untilAsync(async () => (await zombiesOfThisProcess()).length === 0));
  t.deepEqual(await killTree(root.pid!), []);
});

const stat = (pid: number, ppid: number, pgrp: number): ProcStat => ({ pid, ppid, pgrp, comm: 'x', state: 'S', session: pgrp, utime: 0, stime: 0, threads: 1, startTime: pid * 10, rss: 0 });

test('descendantsOf: the parent chain and the process group of the root, nothing else', (t) => {
  const table = [
    stat(1, 0, 1),
    stat(100, 1, 100), // root
    stat(101, 100, 100), // child
    stat(102, 101, 102), // grandchild in a group of its own: by parent chain
    stat(103, 1, 100), // orphan re-parented to init, still in the root's group
    stat(104, 103, 104), // its child: by parent chain from a group member
    stat(200, 1, 200), // unrelated
    stat(201, 200, 100 + 1000), // unrelated
  ];
  t.deepEqual(
    descendantsOf(table, 100).map((p) => p.pid).sort((a, b) => a - b),
    [101, 102, 103, 104],
  );
  t.deepEqual(descendantsOf(table, 999), []);
});

const lines: readonly [string, Parameters<typeof commandLine>, ReturnType<typeof commandLine>][] = [
  ['shell, same user', [{ value: 'exit 0' }, undefined], { file: '/bin/sh', argv0: 'sh', args: ['-c', 'exit 0'] }],
  ['exec, same user', [{ shell: false, value: '/bin/check', arguments: ['chk', '-v'] }, undefined], { file: '/bin/check', argv0: 'chk', args: ['-v'] }],
  [
    'shell as another user through setpriv',
    [{ value: 'exit 0' }, { setpriv: '/usr/bin/setpriv', uid: 65534, gid: 65534 }],
    { file: '/usr/bin/setpriv', argv0: 'setpriv', args: ['--reuid=65534', '--regid=65534', '--init-groups', '--', '/bin/sh', '-c', 'exit 0'] },
  ],
  ['without setpriv: Node switches uid/gid', [{ value: 'exit 0' }, { uid: 65534, gid: 65534 }], { file: '/bin/sh', argv0: 'sh', args: ['-c', 'exit 0'] }],
];
for (const [name, input, expected] of lines) {
  test(`commandLine: ${name}`, (t) => {
    t.deepEqual(commandLine(...input), expected);
  });
}

test('probeEnvironment: only VALUE variables of the command override the task environment', (t) => {
  t.deepEqual(
    probeEnvironment({ A: '1', B: '2' }, { environment: { variables: [{ name: 'B', value: 'x' }, { name: 'S', type: 'SECRET', secret: { type: 'REFERENCE', reference: { name: 'r' } } }] } }),
    { A: '1', B: 'x' },
  );
});

test('in a container: the exec words, the check\'s own variables as --env, then the command (shell or argv) after the container id', (t) => {
  const words = ['/usr/sbin/runc', '--root', '/w/runc', 'exec', 'c1'];
  t.deepEqual(containerCommandLine(words, { value: 'test -e /x', environment: { variables: [{ name: 'A', value: '1' }] } }), {
    file: '/usr/sbin/runc', argv0: '/usr/sbin/runc', args: ['--root', '/w/runc', 'exec', '--env', 'A=1', 'c1', '/bin/sh', '-c', 'test -e /x'],
  });
  t.deepEqual(containerCommandLine(words, { shell: false, value: '/bin/true', arguments: ['true', '-x'] }).args, ['--root', '/w/runc', 'exec', 'c1', '/bin/true', '-x']);
});
