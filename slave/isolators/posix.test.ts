import test from 'ava';
import { Resources } from '../../common/resources/resources.ts';
import type { ProcStat } from '../containerizer/proc-stat.ts';
import { asContainerId } from '../containerizer.ts';
import { createPosixIsolator, descendantsOf, posixIsolationWarning, posixUsage } from './posix.ts';

function proc(pid: number, ppid: number, utime = 0, stime = 0, rss = 0, threads = 1): ProcStat {
  return { pid, ppid, comm: 'sh', state: 'S', pgrp: pid, session: pid, utime, stime, threads, startTime: pid, rss };
}

const TABLE = [proc(1, 0), proc(10, 1, 100, 50, 256, 1), proc(11, 10, 200, 0, 512, 4), proc(12, 11, 0, 10, 0, 1), proc(20, 1, 999, 999, 999, 9)];

test('a container is its first process and every descendant', (t) => {
  t.deepEqual(descendantsOf(TABLE, 10).map((p) => p.pid), [10, 11, 12]);
  t.deepEqual(descendantsOf(TABLE, 12).map((p) => p.pid), [12]);
  t.deepEqual(descendantsOf(TABLE, 99), [], 'gone');
});

test('usage sums ticks (1/100 s), pages (4 KiB) and threads; limits are what was given', (t) => {
  const procs = descendantsOf(TABLE, 10);
  t.deepEqual(posixUsage(procs, Resources.parse('cpus:0.5;mem:64'), { cpu: true, mem: true }), {
    processes: 3,
    threads: 6,
    cpus_user_time_secs: 3, // 300 ticks
    cpus_system_time_secs: 0.6,
    cpus_limit: 0.5,
    mem_rss_bytes: 768 * 4096,
    mem_limit_bytes: 64 * 1024 * 1024,
  });
  t.deepEqual(posixUsage(procs, undefined, { cpu: false, mem: true }), { processes: 3, threads: 6, mem_rss_bytes: 768 * 4096 });
});

test('the isolator measures the pid given to isolate, enforces nothing, and forgets at cleanup', async (t) => {
  const iso = createPosixIsolator({ cpu: true, mem: true, readTable: async () => TABLE });
  t.is(iso.name, 'posix/cpu,posix/mem');
  const id = asContainerId('p1');
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:32') });
  t.deepEqual(await iso.usage(id), {}, 'no process yet');
  await iso.isolate(id, 11);
  t.is((await iso.usage(id)).processes, 2);
  await iso.update(id, Resources.parse('cpus:2;mem:32'));
  t.is((await iso.usage(id)).cpus_limit, 2);
  t.is(iso.limitation(id), undefined);
  await iso.cleanup(id);
  await iso.cleanup(id);
  t.deepEqual(await iso.usage(id), {});
});

test('the start warning says what is not enforced', (t) => {
  t.is(
    posixIsolationWarning(['cgroups/cpu', 'cgroups/mem']),
    'POSIX isolation: NOT ENFORCED: cpu shares and CFS quota (cgroups/cpu), the memory limit and OOM reporting (cgroups/mem); a task can use more than it was given. Usage is measured from /proc.',
  );
});

test('on this host: usage of this very process from /proc', async (t) => {
  const iso = createPosixIsolator({ cpu: true, mem: true });
  const id = asContainerId('self');
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:32') });
  await iso.isolate(id, process.pid);
  const u = await iso.usage(id);
  t.true((u.processes ?? 0) >= 1);
  t.true((u.mem_rss_bytes ?? 0) > 0);
  t.true((u.cpus_user_time_secs ?? 0) > 0);
  await iso.cleanup(id);
});
