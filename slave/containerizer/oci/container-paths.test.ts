/**
 * Paths inside a container seen from the host: symlinks are followed inside the view (an
 * absolute target starts at the container's root, `..` stops there), binds are taken over the
 * rootfs, and commands are found as runc finds them. On a temporary directory tree.
 */
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findContainerExecutable, readContainerFile, resolveInContainer, type ContainerView } from './container-paths.ts';

const dir = mkdtempSync(join(tmpdir(), 'maestro-cpaths-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

const rootfs = join(dir, 'rootfs');
const sandbox = join(dir, 'sandbox');
for (const d of ['bin', 'usr/bin', 'etc', 'opt/app']) mkdirSync(join(rootfs, d), { recursive: true });
mkdirSync(sandbox);
const exe = (p: string) => {
  writeFileSync(p, '#!/bin/sh\n');
  chmodSync(p, 0o755);
};
exe(join(rootfs, 'bin/busybox'));
symlinkSync('busybox', join(rootfs, 'bin/sh')); // relative
symlinkSync('/bin/busybox', join(rootfs, 'usr/bin/env')); // absolute: inside the container
symlinkSync('/etc/passwd', join(rootfs, 'etc/host-passwd-link')); // must read the image's passwd, not the host's
symlinkSync('../../../../../../etc/shadow-ish', join(rootfs, 'opt/app/climb')); // .. stops at the container root
symlinkSync('loop-b', join(rootfs, 'loop-a'));
symlinkSync('loop-a', join(rootfs, 'loop-b'));
writeFileSync(join(rootfs, 'etc/passwd'), 'image-passwd\n');
writeFileSync(join(rootfs, 'etc/shadow-ish'), 'inside\n');
writeFileSync(join(rootfs, 'bin/not-exec'), 'data');
exe(join(sandbox, 'start.sh'));
symlinkSync('/bin/sh', join(sandbox, 'sh-link')); // a sandbox symlink: resolved in the container too

const view: ContainerView = { rootfs, binds: [{ destination: '/mnt/mesos/sandbox', source: sandbox }] };

test('resolveInContainer: relative and absolute symlinks stay inside the view; binds win over the rootfs', async (t) => {
  t.is(await resolveInContainer(view, '/bin/sh'), join(rootfs, 'bin/busybox'));
  t.is(await resolveInContainer(view, '/usr/bin/env'), join(rootfs, 'bin/busybox'));
  t.is(await resolveInContainer(view, '/opt/app/climb'), join(rootfs, 'etc/shadow-ish'));
  t.is(await resolveInContainer(view, '/mnt/mesos/sandbox/start.sh'), join(sandbox, 'start.sh'));
  t.is(await resolveInContainer(view, '/mnt/mesos/sandbox/sh-link'), join(rootfs, 'bin/busybox'));
  t.is(await resolveInContainer(view, '/nonexistent/x'), undefined);
  t.is(await resolveInContainer(view, '/loop-a'), undefined);
  t.is(await readContainerFile(view, '/etc/host-passwd-link'), 'image-passwd\n');
});

test('findContainerExecutable: PATH search, paths with a slash relative to the cwd, non-executables refused', async (t) => {
  t.deepEqual(await findContainerExecutable(view, 'sh', '/usr/local/bin:/bin', '/'), { ok: true, containerPath: '/bin/sh' });
  t.deepEqual(await findContainerExecutable(view, 'env', '/usr/bin', '/'), { ok: true, containerPath: '/usr/bin/env' });
  t.deepEqual(await findContainerExecutable(view, './start.sh', '/bin', '/mnt/mesos/sandbox'), { ok: true, containerPath: '/mnt/mesos/sandbox/start.sh' });
  t.deepEqual(await findContainerExecutable(view, '/bin/sh', '', '/'), { ok: true, containerPath: '/bin/sh' });
  const notExec = await findContainerExecutable(view, 'not-exec', '/bin', '/');
  t.false(notExec.ok);
  const missing = await findContainerExecutable(view, 'node', '/usr/local/bin:/usr/bin:/bin', '/');
  t.false(missing.ok);
  if (!missing.ok) t.is(missing.message, "Failed to execute 'node': not found in the container's PATH '/usr/local/bin:/usr/bin:/bin'");
  t.false((await findContainerExecutable(view, '/bin', '', '/')).ok); // a directory
  t.false((await findContainerExecutable(view, '', '/bin', '/')).ok);
});
