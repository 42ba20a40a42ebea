import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkBoot, KERNEL_BOOT_ID } from './boot-id.ts';

function dir(t: { teardown(f: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'maestro-boot-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('first start: no checkpoint, not a reboot; save writes this boot\'s id', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'kernel'), 'aaaa-1\n');
  const b = checkBoot(join(d, 'meta', 'boot_id'), join(d, 'kernel'));
  t.is(b.current, 'aaaa-1');
  t.false(b.rebooted);
  b.save();
  t.is(readFileSync(join(d, 'meta', 'boot_id'), 'utf8'), 'aaaa-1\n');
  t.false(checkBoot(join(d, 'meta', 'boot_id'), join(d, 'kernel')).rebooted, 'same boot: a plain restart');
});

test('another boot id than the checkpointed one is a reboot', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'boot_id'), 'aaaa-1\n');
  writeFileSync(join(d, 'kernel'), 'bbbb-2\n');
  t.true(checkBoot(join(d, 'boot_id'), join(d, 'kernel')).rebooted);
});

test('a kernel that does not tell its boot id concludes nothing', (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'boot_id'), 'aaaa-1\n');
  const b = checkBoot(join(d, 'boot_id'), join(d, 'missing'));
  t.is(b.current, undefined);
  t.false(b.rebooted);
});

test('this machine\'s kernel has a boot id', (t) => {
  t.regex(readFileSync(KERNEL_BOOT_ID, 'utf8'), /^[0-9a-f-]{36}\n$/);
});
