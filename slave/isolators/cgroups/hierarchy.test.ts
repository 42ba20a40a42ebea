import test from 'ava';
import { CgroupError, CgroupHierarchy, detectLayout, isValidCgroupName, parseMountInfo, type CgroupLayout } from './hierarchy.ts';

// This development machine: v1 controllers each on their own mount, plus a cgroup2 mount without controllers (hybrid).
const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;
// A systemd distribution of the v1 era: cpu and cpuacct co-mounted.
const COMOUNTED = `25 18 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
26 18 0:23 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
`;
// A unified (v2 only) host, as most current distributions.
const UNIFIED = `30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
`;

test('mountinfo: mount point, type and super options; optional fields and escapes handled', (t) => {
  const entries = parseMountInfo(HYBRID + '50 31 0:40 / /mnt/with\\040space rw shared:1 master:2 - ext4 /dev/sda1 rw,errors=remount-ro\n');
  t.is(entries.length, 9);
  t.deepEqual(entries[1], { mountPoint: '/sys/fs/cgroup/cpu', fsType: 'cgroup', superOptions: ['rw', 'cpu'] });
  t.deepEqual(entries[8], { mountPoint: '/mnt/with space', fsType: 'ext4', superOptions: ['rw', 'errors=remount-ro'] });
});

test('detection: hybrid is v1 (the cgroup2 mount has no controllers), co-mounted v1, unified v2, none', (t) => {
  const hybrid = detectLayout(parseMountInfo(HYBRID), () => '');
  t.is(hybrid?.version, 1);
  if (hybrid?.version === 1) {
    t.deepEqual([...hybrid.mounts].sort(), [
      ['cpu', '/sys/fs/cgroup/cpu'], ['cpuacct', '/sys/fs/cgroup/cpuacct'], ['freezer', '/sys/fs/cgroup/freezer'],
      ['memory', '/sys/fs/cgroup/memory'], ['pids', '/sys/fs/cgroup/pids'],
    ]);
  }
  const co = detectLayout(parseMountInfo(COMOUNTED), () => undefined);
  t.true(co?.version === 1 && co.mounts.get('cpu') === co.mounts.get('cpuacct'));
  const unified = detectLayout(parseMountInfo(UNIFIED), (m) => (m === '/sys/fs/cgroup' ? 'cpuset cpu io memory hugetlb pids rdma misc\n' : undefined));
  t.deepEqual(unified, { version: 2, mount: '/sys/fs/cgroup', controllers: new Set(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']) });
  t.is(detectLayout(parseMountInfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n'), () => undefined), undefined);
});

const V1: CgroupLayout = { version: 1, mounts: new Map([['cpu', '/cg/cpu,cpuacct'], ['cpuacct', '/cg/cpu,cpuacct'], ['memory', '/cg/memory'], ['freezer', '/cg/freezer']]) };
const V2: CgroupLayout = { version: 2, mount: '/cg2', controllers: new Set(['cpu', 'memory']) };

test('paths: v1 one directory per hierarchy (freezer added when mounted), v2 one directory', (t) => {
  const v1 = new CgroupHierarchy({ layout: V1, root: 'maestro', subsystems: ['cpu', 'cpuacct', 'memory'] });
  t.deepEqual(v1.rootDirs().sort(), ['/cg/cpu,cpuacct/maestro', '/cg/freezer/maestro', '/cg/memory/maestro']);
  t.true(v1.hasFreezer());
  const cg = v1.cgroup('c1');
  t.is(cg.dir('memory'), '/cg/memory/maestro/c1');
  t.is(cg.dir('cpuacct'), '/cg/cpu,cpuacct/maestro/c1');
  t.deepEqual(v1.procsFiles('c1').sort(), ['/cg/cpu,cpuacct/maestro/c1/cgroup.procs', '/cg/freezer/maestro/c1/cgroup.procs', '/cg/memory/maestro/c1/cgroup.procs']);
  const v2 = new CgroupHierarchy({ layout: V2, root: 'maestro', subsystems: ['cpu', 'cpuacct', 'memory'] });
  t.deepEqual(v2.rootDirs(), ['/cg2/maestro']);
  t.is(v2.cgroup('c1').dir('cpuacct'), '/cg2/maestro/c1');
  t.deepEqual(v2.procsFiles('c1'), ['/cg2/maestro/c1/cgroup.procs']);
  t.false(v2.hasFreezer());
});

test('errors name what is missing: a v1 subsystem, a v2 controller, a bad root or container id', (t) => {
  t.throws(() => new CgroupHierarchy({ layout: V1, root: 'maestro', subsystems: ['pids'] }), { instanceOf: CgroupError, message: "cgroup v1 subsystem 'pids' is not mounted (see /proc/self/mountinfo)" });
  t.throws(() => new CgroupHierarchy({ layout: V2, root: 'maestro', subsystems: ['pids'] }), { message: "cgroup v2 controller 'pids' is not available in /cg2/cgroup.controllers" });
  t.throws(() => new CgroupHierarchy({ layout: V2, root: 'a/b', subsystems: [] }), { message: "--cgroups_root: 'a/b' must be one path segment" });
  const h = new CgroupHierarchy({ layout: V2, root: 'maestro', subsystems: ['memory'] });
  t.throws(() => h.cgroup('../escape'), { message: "container id '../escape' cannot name a cgroup" });
  t.throws(() => h.dirs('..'), { instanceOf: CgroupError });
  for (const [name, ok] of [['c1', true], ['0b6f-1a', true], ['', false], ['.', false], ['..', false], ['a/b', false], ['cgroup.procs', false]] as const) {
    t.is(isValidCgroupName(name), ok, name);
  }
});
