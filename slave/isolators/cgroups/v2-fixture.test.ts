/**
 * The cgroup v2 paths on fixture files: a temporary directory laid out like a v2 mount
 * (cgroup.controllers, cgroup.subtree_control, and in each container directory the files the
 * kernel would create). This host's cgroup2 mount has no controllers, so real v2 limits cannot be
 * exercised here; these tests pin what the isolators write and read on a v2 host.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../../common/resources/resources.ts';
import { asContainerId } from '../../containerizer.ts';
import { createCgroupsIsolator } from './cgroups-isolator.ts';
import { createCpuController } from './cpu.ts';
import { CgroupHierarchy } from './hierarchy.ts';
import { createMemController } from './mem.ts';
import { createPidsController } from './pids.ts';

function v2Host(t: { teardown(fn: () => void): void }) {
  const mount = mkdtempSync(join(tmpdir(), 'maestro-v2-'));
  t.teardown(() => rmSync(mount, { recursive: true, force: true }));
  writeFileSync(join(mount, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
  writeFileSync(join(mount, 'cgroup.subtree_control'), 'memory\n');
  const mem = createMemController();
  const hierarchy = new CgroupHierarchy({
    layout: { version: 2, mount, controllers: new Set(['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc']) },
    root: 'maestro',
    subsystems: ['cpu', 'cpuacct', 'memory', 'pids'],
  });
  const iso = createCgroupsIsolator({ hierarchy, controllers: [createCpuController({ enableCfs: true }), mem, createPidsController({ pidsMax: 100 })], oomPollMs: 5 });
  /** What the kernel puts in a new cgroup (the files the isolators read and write). */
  const kernelFiles = (dir: string) => {
    const files: Record<string, string> = {
      'cgroup.procs': '', 'cgroup.threads': '', 'cpu.weight': '100\n', 'cpu.max': 'max 100000\n',
      'cpu.stat': 'usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\n',
      'memory.max': 'max\n', 'memory.current': '0\n', 'memory.peak': '0\n', 'memory.stat': 'anon 0\nfile 0\n',
      'memory.events': 'low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n', 'pids.max': 'max\n', 'pids.current': '0\n',
    };
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  };
  /** rmdir of a cgroup succeeds with its control files present; a plain directory needs them gone first. */
  const kernelRemoves = (dir: string) => {
    for (const f of readdirSync(dir)) unlinkSync(join(dir, f));
  };
  return { mount, iso, mem, kernelFiles, kernelRemoves };
}

const read = (dir: string, f: string) => readFileSync(join(dir, f), 'utf8');

test('v2: the root enables the controllers; prepare writes cpu.weight, cpu.max, memory.max, pids.max in one directory', async (t) => {
  const { mount, iso, mem } = v2Host(t);
  const id = asContainerId('c1');
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:0.5;mem:64') });
  t.is(read(mount, 'cgroup.subtree_control'), '+cpu +pids', 'memory was enabled already; the others are added');
  t.is(read(join(mount, 'maestro'), 'cgroup.subtree_control'), '+cpu +memory +pids');
  const dir = join(mount, 'maestro', 'c1');
  t.deepEqual(iso.hierarchy.dirs(id), [dir]);
  t.is(read(dir, 'cpu.weight'), '20'); // 0.5 cpus → 512 shares → weight 20
  t.is(read(dir, 'cpu.max'), '50000 100000');
  t.is(read(dir, 'memory.max'), String(64 * 1024 * 1024));
  t.is(read(dir, 'pids.max'), '100');
  t.is(mem.oomMechanism(id), 'counter', 'v2 watches the oom_kill counter of memory.events');
  t.deepEqual(iso.procsFiles(id), [join(dir, 'cgroup.procs')]);
});

test('v2: usage from cpu.stat, memory.stat, memory.current, memory.max, cgroup.procs and cgroup.threads', async (t) => {
  const { iso, kernelFiles } = v2Host(t);
  const id = asContainerId('c2');
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:2;mem:128') });
  const dir = iso.hierarchy.dirs(id)[0];
  kernelFiles(dir);
  writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 50\nnr_throttled 7\nthrottled_usec 250000\n');
  writeFileSync(join(dir, 'memory.stat'), 'anon 10485760\nfile 4096\nfile_mapped 0\nunevictable 0\n');
  writeFileSync(join(dir, 'memory.current'), '10489856\n');
  writeFileSync(join(dir, 'memory.max'), String(128 * 1024 * 1024));
  writeFileSync(join(dir, 'cgroup.procs'), '101\n102\n');
  writeFileSync(join(dir, 'cgroup.threads'), '101\n102\n103\n');
  t.deepEqual(await iso.usage(id), {
    cpus_user_time_secs: 2,
    cpus_system_time_secs: 1,
    cpus_nr_periods: 50,
    cpus_nr_throttled: 7,
    cpus_throttled_time_secs: 0.25,
    cpus_limit: 2,
    mem_total_bytes: 10489856,
    mem_limit_bytes: 128 * 1024 * 1024,
    mem_rss_bytes: 10485760,
    mem_anon_bytes: 10485760,
    mem_file_bytes: 4096,
    mem_cache_bytes: 4096,
    mem_mapped_file_bytes: 0,
    mem_unevictable_bytes: 0,
    processes: 2,
    threads: 3,
  });
});

test('v2: an oom_kill in memory.events resolves watch with the limit and memory.peak', async (t) => {
  const { iso, kernelFiles } = v2Host(t);
  const id = asContainerId('c3');
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:32') });
  const dir = iso.hierarchy.dirs(id)[0];
  kernelFiles(dir);
  writeFileSync(join(dir, 'memory.stat'), 'anon 33000000\nfile 0\nkernel 500000\n');
  writeFileSync(join(dir, 'memory.peak'), '33554432\n');
  const watched = iso.watch(id);
  t.is(iso.limitation(id), undefined);
  writeFileSync(join(dir, 'memory.events'), 'low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n');
  const l = await watched;
  t.is(l.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  t.is(l.resources.scalar('mem'), 32);
  t.is(l.message, "Memory limit exceeded: limit 32 MB (33554432 bytes), peak usage 32 MB (33554432 bytes); the kernel's OOM killer ended a process of the container\n\nMemory statistics:\nanon 33000000\nfile 0\nkernel 500000");
});

test('v2: update raises memory.max and cpu.max; a lower memory leaves memory.max', async (t) => {
  const { iso } = v2Host(t);
  const id = asContainerId('c4');
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:64') });
  const dir = iso.hierarchy.dirs(id)[0];
  await iso.update(id, Resources.parse('cpus:3;mem:256'));
  t.is(read(dir, 'memory.max'), String(256 * 1024 * 1024));
  t.is(read(dir, 'cpu.max'), '300000 100000');
  t.is(read(dir, 'cpu.weight'), '118'); // 3072 shares
  await iso.update(id, Resources.parse('cpus:3;mem:100'));
  t.is(read(dir, 'memory.max'), String(256 * 1024 * 1024));
});

test('v2: cleanup with cgroup.kill and an empty cgroup removes the directory; recover destroys orphans', async (t) => {
  const { mount, iso, kernelFiles, kernelRemoves } = v2Host(t);
  const a = asContainerId('a');
  const b = asContainerId('b');
  for (const id of [a, b]) {
    await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:64') });
    kernelFiles(iso.hierarchy.dirs(id)[0]);
    writeFileSync(join(iso.hierarchy.dirs(id)[0], 'cgroup.kill'), '');
  }
  kernelRemoves(iso.hierarchy.dirs(a)[0]);
  await iso.cleanup(a);
  await iso.cleanup(a);
  t.deepEqual(iso.hierarchy.list(), ['b']);
  // A new agent that knows no container: b is an orphan.
  const again = v2Host(t);
  const h2 = createCgroupsIsolator({
    hierarchy: new CgroupHierarchy({ layout: { version: 2, mount, controllers: new Set(['cpu', 'memory', 'pids']) }, root: 'maestro', subsystems: ['cpu', 'memory', 'pids'] }),
    controllers: [createCpuController({ enableCfs: false }), again.mem],
  });
  kernelRemoves(iso.hierarchy.dirs(b)[0]);
  t.deepEqual((await h2.recover([])).orphans, ['b']);
  t.deepEqual(readdirSync(join(mount, 'maestro')), ['cgroup.subtree_control'], 'no container directory is left');
});
