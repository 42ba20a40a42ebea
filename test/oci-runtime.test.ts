/**
 * The OCI runtime (slave/containerizer/oci) with real runc, real overlay mounts, real cgroups and
 * a real network namespace. The image is hand-made: a busybox rootfs (the static /bin/busybox
 * and a symlink per applet) with its own /etc/passwd and /etc/group, and a ResolvedImage naming
 * it. The exec words run under /bin/sh as the supervisor runs them (stdin /dev/null, stdout and
 * stderr appended to the sandbox's files).
 *
 * Everything here touches host state (mounts, cgroups, runc's root): serial tests, unique names,
 * and a teardown for each that runs also when the test fails.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, copyFileSync, writeFileSync, statSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { asContainerId, type ContainerId, type LaunchSpec } from '../slave/containerizer.ts';
import type { OciLaunchInput, OciRuntime } from '../slave/containerizer/oci/oci-runtime.ts';
import { createOciRuntime } from '../slave/containerizer/oci/runc-runtime.ts';
import type { ImageConfig, ResolvedImage } from '../slave/images/image-store.ts';
import { Resources } from '../common/resources/resources.ts';
import { DEFAULT_PATH } from '../slave/task-environment.ts';
import type { mesos } from '../proto/types.generated.ts';
import { hostCgroups } from './support/host-cgroups.ts';

const RUNC = execFileSync('sh', ['-c', 'command -v runc || echo /usr/sbin/runc'], { encoding: 'utf8' }).trim();
const base = mkdtempSync(join(tmpdir(), 'maestro-oci-'));
const runcRoot = join(base, 'runc');
const cgroupParent = `/maestro-test-${randomBytes(4).toString('hex')}`;

/** The image's rootfs: busybox with every applet in /bin, users root, nobody (65534) and app (1000, also in group extra 2000), a /work dir. */
function makeRootfs(dir: string): void {
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'etc'));
  mkdirSync(join(dir, 'work'));
  mkdirSync(join(dir, 'tmp'));
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  for (const applet of execFileSync('/bin/busybox', ['--list'], { encoding: 'utf8' }).split('\n')) {
    if (applet !== '' && applet !== 'busybox') symlinkSync('busybox', join(dir, 'bin', applet));
  }
  symlinkSync('bin', join(dir, 'usr-bin-link')); // a symlink inside the image: /usr-bin-link/sh resolves to /bin/sh
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\napp:x:1000:\nextra:x:2000:app\n');
}

const rootfs = join(base, 'image-rootfs');
makeRootfs(rootfs);

function image(config: Partial<ImageConfig> = {}): ResolvedImage {
  return {
    reference: 'localhost/test/busybox:1',
    manifestDigest: `sha256:${'0'.repeat(64)}`,
    config: { env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin:/image/bin', 'IMAGE_VAR=from-image', 'OVERRIDE=image'], workingDir: '/work', ...config },
    rootfs,
  };
}

const runtime: OciRuntime = createOciRuntime({ root: runcRoot });

interface Box {
  readonly id: ContainerId;
  readonly sandbox: string;
  readonly runDir: string;
  readonly cgroupsPath: string;
}

/** A fresh container's directories, cleaned up (runtime cleanup, then the directories) when the test ends. */
function box(t: ExecutionContext): Box {
  const name = `oci-${randomBytes(6).toString('hex')}`;
  const dir = join(base, name);
  const b = { id: asContainerId(name), sandbox: join(dir, 'sandbox'), runDir: join(dir, 'run'), cgroupsPath: `${cgroupParent}/${name}` };
  mkdirSync(b.sandbox, { recursive: true });
  mkdirSync(b.runDir, { recursive: true });
  t.teardown(async () => {
    await runtime.cleanup(b.id, b.runDir);
    rmSync(dir, { recursive: true, force: true });
  });
  return b;
}

function input(b: Box, opts: { command?: LaunchSpec['command']; user?: string; workingDirectory?: string; env?: Record<string, string>; container?: mesos.v1.ContainerInfo; image?: ResolvedImage; network?: OciLaunchInput['network'] } = {}): OciLaunchInput {
  const spec: LaunchSpec = {
    containerId: b.id,
    sandbox: b.sandbox,
    runDir: b.runDir,
    command: opts.command ?? { shell: true, value: 'true', arguments: [] },
    environment: { MESOS_SANDBOX: b.sandbox, PATH: DEFAULT_PATH, ...opts.env }, // as the agent core builds it (slave/task-environment.ts)
    user: opts.user,
    workingDirectory: opts.workingDirectory,
    resources: Resources.empty,
    container: opts.container,
  };
  return { spec, image: opts.image ?? image(), cgroupsPath: b.cgroupsPath, network: opts.network ?? { kind: 'host' } };
}

const sh = (value: string): LaunchSpec['command'] => ({ shell: true, value, arguments: [] });

/** Starts the exec words as the supervisor does: /bin/sh execs them, stdin /dev/null, output appended to the sandbox. */
function start(b: Box, exec: readonly string[]): ChildProcess {
  return spawn('/bin/sh', ['-c', 'exec "$@" </dev/null >>"$0/stdout" 2>>"$0/stderr"', b.sandbox, ...exec], { stdio: 'ignore' });
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null) return done(child.exitCode);
    child.once('exit', (code) => done(code));
  });
}

async function run(t: ExecutionContext, b: Box, inp: OciLaunchInput): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const prepared = await runtime.prepare(inp);
  if (!prepared.ok) throw new Error(`prepare failed: ${prepared.message}`);
  const code = await exited(start(b, prepared.exec));
  const read = (f: string) => (existsSync(join(b.sandbox, f)) ? readFileSync(join(b.sandbox, f), 'utf8') : '');
  return { code, stdout: read('stdout'), stderr: read('stderr') };
}

function runcState(id: string): { status: string; pid: number } | undefined {
  try {
    return JSON.parse(execFileSync(RUNC, ['--root', runcRoot, 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  } catch {
    return undefined;
  }
}

function runcIds(): string[] {
  if (!existsSync(runcRoot)) return [];
  const out = JSON.parse(execFileSync(RUNC, ['--root', runcRoot, 'list', '--format', 'json'], { encoding: 'utf8' })) as { id: string }[] | null;
  return (out ?? []).map((s) => s.id);
}

const mountsUnder = (dir: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m) => m !== undefined && m.startsWith(dir));

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Removes the test's cgroup parent in every hierarchy, depth first (runc removes the leaves it made at delete; a test's own leaves go too). */
function removeCgroupTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
  rmdirSync(dir);
}

test.after.always(() => {
  for (const h of readdirSync('/sys/fs/cgroup')) removeCgroupTree(join('/sys/fs/cgroup', h, cgroupParent));
  if (existsSync(join('/sys/fs/cgroup', cgroupParent, 'cgroup.procs'))) removeCgroupTree(join('/sys/fs/cgroup', cgroupParent));
  rmSync(base, { recursive: true, force: true });
});

test.serial('the container sees the image rootfs, its hostname, and only its own processes', async (t) => {
  const b = box(t);
  const r = await run(t, b, input(b, { command: sh('ls /; echo "host=$(cat /etc/hostname) $(hostname)"; ps -o pid,args; echo end'), container: { type: 'MESOS', hostname: 'web-1' } }));
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  for (const d of ['bin', 'etc', 'work', 'usr-bin-link', 'proc', 'dev', 'sys', 'mnt']) t.true(lines.includes(d), `${d} in ${r.stdout}`);
  t.false(lines.includes('home'), 'the host root is not visible'); // /home exists on the host, not in the image
  t.true(r.stdout.includes('host=web-1 web-1'));
  const procs = lines.filter((l) => /^\s*\d+\s/.test(l));
  t.is(procs.length, 2, r.stdout); // the shell and ps: no host process
  t.regex(procs[0], /^\s*1\s+\/bin\/sh -c ls \//);
});

test.serial('host networking: the host hostname by default; a network namespace is joined by path', async (t) => {
  const b = box(t);
  const r = await run(t, b, input(b, { command: sh('cat /etc/hostname; cat /proc/net/dev; cp /etc/hosts /mnt/mesos/sandbox/hosts') }));
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith(`${hostname()}\n`));
  t.is(readFileSync(join(b.sandbox, 'hosts'), 'utf8'), readFileSync('/etc/hosts', 'utf8').replace(/\n?$/, '\n'));
  const hostIfaces = readFileSync('/proc/net/dev', 'utf8').split('\n').filter((l) => l.includes(':')).length;
  t.is(r.stdout.split('\n').filter((l) => l.includes(':')).length, hostIfaces);

  const ns = `maestro-oci-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.teardown(() => execFileSync('ip', ['netns', 'delete', ns]));
  const b2 = box(t);
  const r2 = await run(t, b2, input(b2, { command: sh('cat /etc/hostname; cat /proc/net/dev'), network: { kind: 'namespace', netnsPath: `/var/run/netns/${ns}` } }));
  t.is(r2.code, 0, r2.stderr);
  const ifaces = r2.stdout.split('\n').filter((l) => l.includes(':')).map((l) => l.split(':')[0].trim());
  t.deepEqual(ifaces, ['lo']);
  t.is(r2.stdout.split('\n')[0], String(b2.id).slice(0, 12));
  t.true(readFileSync(join(b2.runDir, 'bundle', 'hosts'), 'utf8').includes(`127.0.1.1\t${String(b2.id).slice(0, 12)}\n`));
});

test.serial('the sandbox is at /mnt/mesos/sandbox: a file written there is in the host sandbox', async (t) => {
  const b = box(t);
  writeFileSync(join(b.sandbox, 'fetched.txt'), 'from the host\n');
  const r = await run(t, b, input(b, { command: sh('cat "$MESOS_SANDBOX/fetched.txt"; echo hello > /mnt/mesos/sandbox/from-container') }));
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.includes('from the host'));
  t.is(readFileSync(join(b.sandbox, 'from-container'), 'utf8'), 'hello\n');
});

test.serial('environment and working directory: the image, then the task', async (t) => {
  const b = box(t);
  const r = await run(t, b, input(b, { command: sh('pwd; echo "$IMAGE_VAR $OVERRIDE $TASK_VAR $MESOS_SANDBOX $HOME $PATH"'), env: { OVERRIDE: 'task', TASK_VAR: 'task-only' } }));
  t.is(r.code, 0, r.stderr);
  // the agent's default PATH does not replace the image's
  t.is(r.stdout, '/work\nfrom-image task task-only /mnt/mesos/sandbox /root /usr/sbin:/usr/bin:/sbin:/bin:/image/bin\n');
  const b2 = box(t);
  const r2 = await run(t, b2, input(b2, { command: sh('pwd'), workingDirectory: '/tmp' }));
  t.is(r2.stdout, '/tmp\n');
});

test.serial('user: the task user (nobody = 65534), else the image User with its groups', async (t) => {
  const b = box(t);
  const r = await run(t, b, input(b, { command: sh('id -u; id -g; echo written > /mnt/mesos/sandbox/by-nobody'), user: 'nobody', image: image({ user: 'app' }) }));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, '65534\n65534\n');
  t.is(statSync(join(b.sandbox, 'by-nobody')).uid, 65534); // the sandbox was handed to the user
  const b2 = box(t);
  const r2 = await run(t, b2, input(b2, { command: sh('id -u; id -G'), image: image({ user: 'app' }) }));
  t.is(r2.stdout, '1000\n1000 2000\n');
  const b3 = box(t);
  const r3 = await run(t, b3, input(b3, { command: sh('id -u; id -g'), image: image({ user: '4242:4343' }) }));
  t.is(r3.stdout, '4242\n4343\n');
});

test.serial('the image Entrypoint and Cmd, and Marathon args appended to the Entrypoint', async (t) => {
  const img = image({ entrypoint: ['/bin/echo', 'ep'], cmd: ['default-cmd'] });
  const b = box(t);
  const r = await run(t, b, input(b, { command: { shell: false, value: '', arguments: [] }, image: img }));
  t.is(r.stdout, 'ep default-cmd\n');
  const b2 = box(t);
  const r2 = await run(t, b2, input(b2, { command: { shell: false, value: '', arguments: ['a', 'b c'] }, image: img }));
  t.is(r2.stdout, 'ep a b c\n');
  const b3 = box(t);
  const r3 = await run(t, b3, input(b3, { command: { shell: false, value: '/usr-bin-link/echo', arguments: ['echo', 'through', 'a link'] }, image: img }));
  t.is(r3.stdout, 'through a link\n');
});

test.serial('volumes: read-only and read-write host paths, a sandbox path at a relative container path', async (t) => {
  const b = box(t);
  const ro = join(base, `${b.id}-ro`);
  const rw = join(base, `${b.id}-rw`);
  mkdirSync(ro);
  mkdirSync(rw);
  t.teardown(() => rmSync(ro, { recursive: true, force: true }));
  t.teardown(() => rmSync(rw, { recursive: true, force: true }));
  writeFileSync(join(ro, 'file'), 'read me\n');
  const container: mesos.v1.ContainerInfo = {
    type: 'MESOS',
    volumes: [
      { container_path: '/data/ro', host_path: ro, mode: 'RO' },
      { container_path: '/data/rw', host_path: rw, mode: 'RW' },
      { container_path: 'cache', host_path: 'cache-on-host', mode: 'RW' },
    ],
  };
  const cmd = 'cat /data/ro/file; if touch /data/ro/x 2>/dev/null; then echo ro-written; else echo ro-refused; fi; echo w > /data/rw/y; echo z > /mnt/mesos/sandbox/cache/z';
  const r = await run(t, b, input(b, { command: sh(cmd), container }));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'read me\nro-refused\n');
  t.false(existsSync(join(ro, 'x')));
  t.is(readFileSync(join(rw, 'y'), 'utf8'), 'w\n');
  t.is(readFileSync(join(b.sandbox, 'cache-on-host', 'z'), 'utf8'), 'z\n');
});

test.serial('a command fetched into the sandbox runs from /mnt/mesos/sandbox (shell=false)', async (t) => {
  const b = box(t);
  writeFileSync(join(b.sandbox, 'run.sh'), '#!/bin/sh\necho "fetched $1"\n');
  chmodSync(join(b.sandbox, 'run.sh'), 0o755);
  const r = await run(t, b, input(b, { command: { shell: false, value: '/mnt/mesos/sandbox/run.sh', arguments: ['run.sh', 'arg'] } }));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'fetched arg\n');
});

test.serial('writes go to the container, never to the image: overlay, and the copy where overlay cannot be used', async (t) => {
  const b = box(t);
  const r = await run(t, b, input(b, { command: sh('echo mine > /etc/written; rm /bin/ls; cat /etc/written') }));
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, 'mine\n');
  t.false(existsSync(join(rootfs, 'etc', 'written')));
  t.true(existsSync(join(rootfs, 'bin', 'ls')));

  const alias = join(base, 'image,alias'); // a comma cannot go into overlay's lowerdir option
  symlinkSync(rootfs, alias);
  const warnings: string[] = [];
  const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (_o: object, msg?: string) => void warnings.push(msg ?? '') };
  const copying = createOciRuntime({ root: runcRoot, logger });
  const b2 = box(t);
  const prepared = await copying.prepare(input(b2, { command: sh('echo copied > /etc/written; cat /etc/written'), image: { ...image(), rootfs: alias } }));
  if (!prepared.ok) return t.fail(prepared.message);
  t.deepEqual(mountsUnder(b2.runDir), []); // a copy, not a mount
  t.true(warnings.some((w) => w.includes('copying the image rootfs')), warnings.join('; '));
  t.is(await exited(start(b2, prepared.exec)), 0);
  t.is(readFileSync(join(b2.sandbox, 'stdout'), 'utf8'), 'copied\n');
  t.false(existsSync(join(rootfs, 'etc', 'written')));
  await copying.cleanup(b2.id, b2.runDir);
  t.false(existsSync(join(b2.runDir, 'bundle')));
});

test.serial("the exit code is runc's exit code", async (t) => {
  const b = box(t);
  const r = await run(t, b, input(b, { command: sh('echo bye; exit 3') }));
  t.is(r.code, 3);
  t.is(r.stdout, 'bye\n');
});

test.serial('what can be known before the start fails prepare and leaves nothing: command, user, volume', async (t) => {
  const cases: [string, (b: Box) => OciLaunchInput, RegExp][] = [
    ['command not in the image', (b) => input(b, { command: { shell: false, value: 'no-such-command', arguments: [] } }), /no-such-command.*not found in the container's PATH/],
    ['absolute command not in the image', (b) => input(b, { command: { shell: false, value: '/usr/bin/env', arguments: [] } }), /\/usr\/bin\/env/],
    ['a host binary is not the image', (b) => input(b, { command: { shell: false, value: 'node', arguments: [] } }), /node/],
    ['unknown user', (b) => input(b, { user: 'nosuchuser' }), /nosuchuser/],
    ['missing volume host path', (b) => input(b, { container: { type: 'MESOS', volumes: [{ container_path: '/data', host_path: '/nonexistent/maestro', mode: 'RW' }] } }), /volume '\/data'.*\/nonexistent\/maestro/],
    ['volume escaping the sandbox', (b) => input(b, { container: { type: 'MESOS', volumes: [{ container_path: '/data', host_path: '../../etc', mode: 'RW' }] } }), /volume '\/data'/],
    ['shell without a value', (b) => input(b, { command: { shell: true, value: '', arguments: [] } }), /no command value/],
  ];
  for (const [name, make, message] of cases) {
    const b = box(t);
    const r = await runtime.prepare(make(b));
    t.false(r.ok, name);
    if (!r.ok) t.regex(r.message, message, name);
    t.deepEqual(mountsUnder(b.runDir), [], name);
    t.deepEqual(readdirSync(b.runDir), [], name);
    t.false(runcIds().includes(b.id), name);
    t.false(existsSync(join(runcRoot, `${b.id}.maestro.json`)), name);
  }
});

test.serial('cleanup of a running container: no process, mount, runc state or bundle is left; a second cleanup is a no-op', async (t) => {
  const b = box(t);
  const prepared = await runtime.prepare(input(b, { command: sh('echo up; exec sleep 600') }));
  if (!prepared.ok) return t.fail(prepared.message);
  t.is(mountsUnder(join(b.runDir, 'bundle', 'rootfs')).length, 1);
  const child = start(b, prepared.exec);
  await until('the container to run', () => runcState(b.id)?.status === 'running');
  const pid = runcState(b.id)!.pid;
  await runtime.cleanup(b.id, b.runDir);
  t.is(await exited(child), 137); // runc reports the SIGKILL of its container
  t.false(existsSync(`/proc/${pid}`));
  t.deepEqual(mountsUnder(b.runDir), []);
  t.false(runcIds().includes(b.id));
  t.false(existsSync(join(b.runDir, 'bundle')));
  t.false(existsSync(join(b.runDir, 'overlay')));
  t.false(existsSync(join(runcRoot, `${b.id}.maestro.json`)));
  await t.notThrowsAsync(runtime.cleanup(b.id, b.runDir));
});

test.serial('recover (a new runtime on the same root) deletes the containers of unknown ids and keeps the known running one', async (t) => {
  const known = box(t);
  const unknown = box(t);
  const stopped = box(t);
  const children: ChildProcess[] = [];
  for (const b of [known, unknown, stopped]) {
    const p = await runtime.prepare(input(b, { command: sh(b === stopped ? 'exit 0' : 'exec sleep 600') }));
    if (!p.ok) return t.fail(p.message);
    children.push(start(b, p.exec));
  }
  await exited(children[2]);
  await until('both to run', () => runcState(known.id)?.status === 'running' && runcState(unknown.id)?.status === 'running');
  const unknownPid = runcState(unknown.id)!.pid;

  const neverStarted = box(t); // prepared, then the agent died before the supervisor ran runc: a record and a mount, no runc state
  const p = await runtime.prepare(input(neverStarted));
  if (!p.ok) return t.fail(p.message);
  t.is(mountsUnder(neverStarted.runDir).length, 1);

  const afterRestart = createOciRuntime({ root: runcRoot });
  const removed = await afterRestart.recover(new Set([known.id]));
  t.deepEqual([...removed].sort(), [unknown.id, stopped.id, neverStarted.id].sort());
  t.is(runcState(known.id)?.status, 'running');
  t.is(mountsUnder(join(known.runDir, 'bundle', 'rootfs')).length, 1);
  t.is(await exited(children[1]), 137);
  t.false(existsSync(`/proc/${unknownPid}`));
  for (const b of [unknown, stopped, neverStarted]) {
    t.false(runcIds().includes(b.id));
    t.false(existsSync(join(runcRoot, `${b.id}.maestro.json`)));
    t.deepEqual(mountsUnder(b.runDir), []);
    t.false(existsSync(join(b.runDir, 'bundle')));
  }
  t.deepEqual(await afterRestart.recover(new Set([known.id])), []); // idempotent
  await afterRestart.cleanup(known.id, known.runDir);
  await exited(children[0]);
});

test.serial('a container joins the existing cgroup named by cgroupsPath', async (t) => {
  const { v1 } = hostCgroups();
  const b = box(t);
  const made = v1 ? ['memory', 'pids'].map((c) => join('/sys/fs/cgroup', c, b.cgroupsPath)) : [join('/sys/fs/cgroup', b.cgroupsPath)];
  for (const d of made) mkdirSync(d, { recursive: true });
  const prepared = await runtime.prepare(input(b, { command: sh('exec sleep 600') }));
  if (!prepared.ok) return t.fail(prepared.message);
  const child = start(b, prepared.exec);
  await until('the container to run', () => runcState(b.id)?.status === 'running');
  const pid = runcState(b.id)!.pid;
  const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  if (v1) {
    t.true(cgroups.split('\n').some((l) => /^\d+:memory:/.test(l) && l.endsWith(`:${b.cgroupsPath}`)), cgroups);
    t.true(cgroups.split('\n').some((l) => /^\d+:pids:/.test(l) && l.endsWith(`:${b.cgroupsPath}`)), cgroups);
  } else {
    t.true(cgroups.includes(`0::${b.cgroupsPath}\n`), cgroups);
  }
  for (const d of made) t.true(readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), d);
  await runtime.cleanup(b.id, b.runDir);
  await exited(child);
});

test.serial('timing: prepare start to the container process running, against a bare runc run of the same bundle (20 runs, printed)', async (t) => {
  const firstOutput = (exec: readonly string[]): Promise<number> =>
    new Promise((done, fail) => {
      const child = spawn(exec[0], exec.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
      child.stdout!.once('data', () => done(performance.now()));
      child.once('error', fail);
      child.once('exit', (code) => fail(new Error(`exited ${code} before any output`)));
    });
  const withPrepare: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 20; i++) {
    const b = box(t);
    const t0 = performance.now();
    const prepared = await runtime.prepare(input(b, { command: sh('echo up') }));
    if (!prepared.ok) return t.fail(prepared.message);
    withPrepare.push((await firstOutput(prepared.exec)) - t0);
    await until('runc to stop', () => runcState(String(b.id))?.status === 'stopped');
    execFileSync(RUNC, ['--root', runcRoot, 'delete', '--force', b.id]);
    const t1 = performance.now();
    bare.push((await firstOutput(prepared.exec)) - t1);
    await until('runc to stop', () => runcState(String(b.id))?.status === 'stopped');
    await runtime.cleanup(b.id, b.runDir);
  }
  const stats = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    return `median ${s[Math.floor(s.length / 2)].toFixed(1)} ms, p90 ${s[Math.floor(s.length * 0.9)].toFixed(1)} ms, min ${s[0].toFixed(1)} ms, max ${s[s.length - 1].toFixed(1)} ms`;
  };
  t.log(`prepare + runc run → process running: ${stats(withPrepare)}`);
  t.log(`bare runc run of the same bundle     → process running: ${stats(bare)}`);
  t.pass('20 containers started and were cleaned up');
});
