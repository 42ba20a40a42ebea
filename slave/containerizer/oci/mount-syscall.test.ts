import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountOverlay, unmount } from './mount-syscall.ts';

const mounted = (p: string) => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === p);

test.serial('an overlay mounted by the system call shows the lower dir, takes writes in the upper one, and unmounts', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-mount-syscall-'));
  const [lower, upper, work, target] = ['lower', 'upper', 'work', 'target'].map((d) => join(dir, d));
  for (const d of [lower, upper, work, target]) mkdirSync(d);
  t.teardown(() => {
    if (mounted(target)) unmount(target, true);
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(lower, 'from-lower'), 'x');
  t.deepEqual(mountOverlay(lower, upper, work, target), { ok: true });
  t.true(mounted(target));
  t.true(existsSync(join(target, 'from-lower')));
  writeFileSync(join(target, 'written'), 'y');
  t.true(existsSync(join(upper, 'written')));
  t.false(existsSync(join(lower, 'written')));
  t.deepEqual(unmount(target, false), { ok: true });
  t.false(mounted(target));
  t.deepEqual(unmount(target, false), { ok: false, message: `umount ${target}: Invalid argument` });
  t.deepEqual(mountOverlay(join(dir, 'missing'), upper, work, target), { ok: false, message: `mount overlay on ${target}: No such file or directory` });
});
