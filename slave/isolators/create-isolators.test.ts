import test from 'ava';
import type { CgroupLayout } from './cgroups/hierarchy.ts';
import { createIsolation } from './create-isolators.ts';

const V1: CgroupLayout = { version: 1, mounts: new Map([['cpu', '/cg/cpu'], ['cpuacct', '/cg/cpuacct'], ['memory', '/cg/memory'], ['freezer', '/cg/freezer']]) };
const V2: CgroupLayout = { version: 2, mount: '/cg2', controllers: new Set(['cpu', 'memory', 'pids']) };

test('cgroups isolators become one isolator at the place of the first; posix ones one more', (t) => {
  const made = createIsolation({ isolation: 'cgroups/mem,cgroups/cpu', layout: V1, isRoot: true });
  if (!made.ok) return t.fail(made.message);
  t.is(made.isolator.name, 'cgroups/mem,cgroups/cpu');
  t.deepEqual(made.warnings, []);
  t.deepEqual(made.cgroups?.hierarchy.rootDirs().sort(), ['/cg/cpu/maestro', '/cg/cpuacct/maestro', '/cg/freezer/maestro', '/cg/memory/maestro']);
  const mixed = createIsolation({ isolation: 'posix/cpu,cgroups/mem', layout: V2, isRoot: true, cgroupsRoot: 'mesos' });
  if (!mixed.ok) return t.fail(mixed.message);
  t.is(mixed.isolator.name, 'posix/cpu,cgroups/mem');
  t.deepEqual(mixed.cgroups?.hierarchy.rootDirs(), ['/cg2/mesos']);
  t.deepEqual(mixed.warnings, ['POSIX isolation: NOT ENFORCED: cpu shares and CFS quota (cgroups/cpu); a task can use more than it was given. Usage is measured from /proc.']);
});

test('the posix default needs neither root nor cgroups, and warns', (t) => {
  const made = createIsolation({ isolation: 'posix/cpu,posix/mem', layout: null, isRoot: false });
  if (!made.ok) return t.fail(made.message);
  t.is(made.isolator.name, 'posix/cpu,posix/mem');
  t.is(made.cgroups, undefined);
  t.is(made.warnings.length, 1);
});

test('cgroups isolators without root, without cgroups, or without a controller are refused, never downgraded', (t) => {
  const hint = 'use --isolation=posix/cpu,posix/mem to run without enforcement';
  t.deepEqual(createIsolation({ isolation: 'cgroups/cpu,cgroups/mem', layout: V1, isRoot: false }), {
    ok: false, message: `--isolation: cgroups/cpu, cgroups/mem need root (cgroupfs is writable by root only); ${hint}`,
  });
  t.deepEqual(createIsolation({ isolation: 'cgroups/mem', layout: null, isRoot: true }), {
    ok: false, message: `--isolation: cgroups/mem need cgroups, and no cgroup filesystem is mounted; ${hint}`,
  });
  t.deepEqual(createIsolation({ isolation: 'cgroups/pids', layout: V1, isRoot: true }), {
    ok: false, message: "--isolation: cgroup v1 subsystem 'pids' is not mounted (see /proc/self/mountinfo)",
  });
  t.deepEqual(createIsolation({ isolation: 'cgroups/pids', layout: V2, isRoot: true, pidsMax: 0 }), {
    ok: false, message: '--cgroups_pids_max: must be a positive integer, got 0',
  });
  t.deepEqual(createIsolation({ isolation: 'cgroups/cpu', layout: V1, isRoot: true, cgroupsRoot: '../x' }), {
    ok: false, message: "--cgroups_root: '../x' must be one path segment",
  });
  t.deepEqual(createIsolation({ isolation: 'bogus', layout: V1, isRoot: true }).ok, false);
});
