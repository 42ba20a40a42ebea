/**
 * The cgroups isolators against this host's real cgroups, whichever version it runs (the
 * development machines: v1, with cpu, cpuacct, memory, pids and freezer under
 * /sys/fs/cgroup/<name> and a cgroup2 mount without controllers; on a v2 host the same tests
 * check the v2 files, see `FILES`; the v2 paths are also unit-tested on fixture files in
 * slave/isolators/cgroups/v2-fixture.test.ts).
 * Real `sh` children are moved into fresh container cgroups: one allocates past a 32 MB limit
 * and is OOM-killed, one spins under a CFS quota and is throttled, one forks past a pids limit.
 * Every test uses its own container ids under a `--cgroups_root` unique to this run
 * (`maestro-test-<pid>`), checks that nothing is left under it, and the root itself is killed and
 * removed in teardown, also on failure. Assertions are on kernel counters, never on time.
 */
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resources } from '../common/resources/resources.ts';
import { asContainerId } from '../slave/containerizer.ts';
import { createCgroupsIsolator, type CgroupsIsolator } from '../slave/isolators/cgroups/cgroups-isolator.ts';
import { createCpuController } from '../slave/isolators/cgroups/cpu.ts';
import { CgroupHierarchy } from '../slave/isolators/cgroups/hierarchy.ts';
import { hostCgroups } from './support/host-cgroups.ts';
import { cgroupJoinScript, JOIN_FAILED_EXIT } from '../slave/isolators/cgroups/join.ts';
import { createMemController } from '../slave/isolators/cgroups/mem.ts';
import { createPidsController } from '../slave/isolators/cgroups/pids.ts';
import { parseFlatKeyed } from '../slave/isolators/cgroups/stats.ts';
import { createIsolation } from '../slave/isolators/create-isolators.ts';

const ROOT = `maestro-test-${process.pid}`;
const { layout, v1: V1 } = hostCgroups();
/** The control files and values that differ between the versions (README: v1 ↔ v2 files). */
const FILES = {
  memoryLimit: V1 ? 'memory.limit_in_bytes' : 'memory.max',
  oomMechanism: V1 ? 'eventfd' : 'counter',
  rssStat: V1 ? 'total_rss' : 'anon',
};
const readIn = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8').trim();
const children = new Set<ChildProcess>();

function isolator(opts: { cfs?: boolean; pidsMax?: number; mem?: ReturnType<typeof createMemController> } = {}): CgroupsIsolator {
  const hierarchy = new CgroupHierarchy({ layout, root: ROOT, subsystems: ['cpu', 'cpuacct', 'memory', 'pids'] });
  return createCgroupsIsolator({
    hierarchy,
    controllers: [createCpuController({ enableCfs: opts.cfs ?? false }), opts.mem ?? createMemController(), createPidsController({ pidsMax: opts.pidsMax })],
    oomPollMs: 20,
  });
}

/** A `sh -c SCRIPT` child that waits for a line on stdin before it runs the script, so it can be moved into a cgroup first. */
function gatedShell(script: string): { child: ChildProcess; go: () => void; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>; stderr: () => string } {
  const child = spawn('/bin/sh', ['-c', `read _go; ${script}`], { stdio: ['pipe', 'ignore', 'pipe'] });
  children.add(child);
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, go: () => child.stdin?.write('\n'), exited, stderr: () => err };
}

/** Polls until `probe` answers; gives up after 600 probes so that a failure still reaches teardown. */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the condition never held');
}

/** Alive and not a zombie waiting for its parent to reap it. */
function isAlive(pid: number): boolean {
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function assertNothingLeft(t: { deepEqual(a: unknown, b: unknown, m?: string): void }, iso: CgroupsIsolator): void {
  t.deepEqual(iso.hierarchy.list(), [], 'no container cgroup is left under the test root');
}

test.after.always(async () => {
  for (const c of children) c.kill('SIGKILL');
  await new CgroupHierarchy({ layout, root: ROOT, subsystems: ['cpu', 'cpuacct', 'memory', 'pids'] }).destroyAll();
  const mounts = layout.version === 1 ? [...layout.mounts.values()] : [layout.mount];
  for (const m of mounts) if (existsSync(join(m, ROOT))) throw new Error(`${join(m, ROOT)} was left behind`);
});

test.serial('a child allocating past a 32 MB limit is OOM-killed and the watcher reports the limit and the peak', async (t) => {
  const mem = createMemController();
  const iso = isolator({ mem });
  const id = asContainerId('oom');
  t.teardown(() => iso.cleanup(id));
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:0.5;mem:32') });
  t.is(mem.oomMechanism(id), FILES.oomMechanism, 'v1: eventfd + cgroup.event_control; v2: memory.events');
  t.is(readIn(iso.hierarchy.cgroup(id).dir('memory'), FILES.memoryLimit), String(32 * 1024 * 1024));
  // `tail` keeps the last line, and /dev/zero has no newline: it holds all 100 MB it reads.
  const sh = gatedShell('head -c 100M /dev/zero | tail -n 1 >/dev/null');
  await iso.isolate(id, sh.child.pid as number);
  // The OOM poll timer is unref'd (an agent has its own handles); this test holds the event loop open itself.
  const keepAlive = setInterval(() => {}, 1000);
  t.teardown(() => clearInterval(keepAlive));
  const watched = iso.watch(id);
  sh.go();
  const limitation = await watched;
  t.is(limitation.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  t.is(limitation.resources.scalar('mem'), 32);
  t.regex(limitation.message, /^Memory limit exceeded: limit 32 MB \(33554432 bytes\), peak usage [\d.]+ MB \((\d+) bytes\)/);
  const peak = Number(/peak usage [\d.]+ MB \((\d+) bytes\)/.exec(limitation.message)?.[1]);
  t.true(peak > 30 * 1024 * 1024 && peak <= 32 * 1024 * 1024, `peak ${peak} is at the limit`);
  t.regex(limitation.message, new RegExp(`Memory statistics:\n${FILES.rssStat} \\d+`));
  t.is((await sh.exited).code, 137, 'tail was SIGKILLed by the OOM killer (the shell reports 128+9)');
  t.is(iso.limitation(id), limitation, 'the check-now answer is the same limitation');
  await iso.cleanup(id);
  await iso.cleanup(id); // idempotent
  assertNothingLeft(t, iso);
});

test.serial('a CPU-bound child under a CFS quota of 0.1 cpus is throttled (cpu.stat counters), and cleanup kills it', async (t) => {
  const iso = isolator({ cfs: true });
  const id = asContainerId('cfs');
  t.teardown(() => iso.cleanup(id));
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:0.1;mem:64') });
  const dir = iso.hierarchy.cgroup(id).dir('cpu');
  if (V1) {
    t.is(readIn(dir, 'cpu.shares'), '102'); // 1024 × 0.1
    t.is(readIn(dir, 'cpu.cfs_quota_us'), '10000'); // 0.1 × 100 ms
    t.is(readIn(dir, 'cpu.cfs_period_us'), '100000');
  } else {
    t.is(readIn(dir, 'cpu.weight'), '4'); // 102 shares
    t.is(readIn(dir, 'cpu.max'), '10000 100000');
  }
  const sh = gatedShell('while :; do :; done');
  await iso.isolate(id, sh.child.pid as number);
  sh.go();
  // Both counters: the first throttled period can show before its time adds up to a reported amount.
  const usage = await until(async () => {
    const u = await iso.usage(id);
    return (u.cpus_nr_throttled ?? 0) > 0 && (u.cpus_throttled_time_secs ?? 0) > 0 ? u : undefined;
  });
  t.true((usage.cpus_nr_periods ?? 0) >= (usage.cpus_nr_throttled ?? 0));
  t.true((usage.cpus_throttled_time_secs ?? 0) > 0);
  t.is(usage.cpus_limit, 0.1);
  t.is(usage.processes, 1);
  await iso.cleanup(id);
  t.is((await sh.exited).signal, 'SIGKILL');
  assertNothingLeft(t, iso);
});

test.serial('a pids limit of 10 stops a fork loop, and cleanup kills every process of the cgroup', async (t) => {
  const iso = isolator({ pidsMax: 10 });
  const id = asContainerId('pids');
  t.teardown(() => iso.cleanup(id));
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:0.5;mem:64') });
  const dir = iso.hierarchy.cgroup(id).dir('pids');
  t.is(readIn(dir, 'pids.max'), '10');
  // dash gives up at the first fork that fails ("Cannot fork"); the sleeps started before stay in the cgroup.
  const sh = gatedShell('i=0; while [ $i -lt 30 ]; do sleep 300 & i=$((i+1)); done; wait');
  await iso.isolate(id, sh.child.pid as number);
  sh.go();
  await until(async () => (/fork/i.test(sh.stderr()) ? true : undefined));
  t.true((parseFlatKeyed(readFileSync(join(dir, 'pids.events'), 'utf8')).get('max') ?? 0) > 0, 'pids.events counts the refused forks');
  const pids = iso.hierarchy.pids(id);
  t.true(pids.length <= 10 && pids.length > 1, `${pids.length} processes in the cgroup`);
  t.is((await iso.usage(id)).processes, pids.length);
  await iso.cleanup(id);
  await sh.exited;
  for (const p of pids) t.false(isAlive(p), `pid ${p} is gone`);
  assertNothingLeft(t, iso);
});

test.serial('usage of a busy child reads back non-zero cpu, memory and process counts from the cgroup', async (t) => {
  const iso = isolator();
  const id = asContainerId('usage');
  t.teardown(() => iso.cleanup(id));
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:64') });
  // tail holds the 16 MB it read (no newline yet, and the stream stays open) while a loop burns cpu.
  const sh = gatedShell('{ head -c 16M /dev/zero; sleep 300; } | tail -n 1 & while :; do :; done');
  await iso.isolate(id, sh.child.pid as number);
  sh.go();
  const usage = await until(async () => {
    const u = await iso.usage(id);
    return (u.cpus_user_time_secs ?? 0) > 0 && (u.mem_rss_bytes ?? 0) >= 16 * 1024 * 1024 ? u : undefined;
  });
  t.true((usage.mem_total_bytes ?? 0) >= (usage.mem_rss_bytes ?? 0));
  t.is(usage.mem_limit_bytes, 64 * 1024 * 1024);
  t.is(usage.cpus_limit, 1);
  t.true((usage.processes ?? 0) >= 2);
  t.true((usage.threads ?? 0) >= (usage.processes ?? 0));
  t.true(usage.cpus_system_time_secs !== undefined);
  await iso.cleanup(id);
  await sh.exited;
  assertNothingLeft(t, iso);
});

test.serial('update raises the memory limit; a decrease only lowers the soft limit (as Mesos); isolate of an ended pid is not an error', async (t) => {
  const iso = isolator();
  const id = asContainerId('update');
  t.teardown(() => iso.cleanup(id));
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:1;mem:64') });
  const mem = iso.hierarchy.cgroup(id).dir('memory');
  const read = (f: string) => Number(readIn(mem, f));
  await iso.update(id, Resources.parse('cpus:2;mem:128'));
  t.is(read(FILES.memoryLimit), 128 * 1024 * 1024);
  t.is(readIn(iso.hierarchy.cgroup(id).dir('cpu'), V1 ? 'cpu.shares' : 'cpu.weight'), V1 ? '2048' : '79');
  await iso.update(id, Resources.parse('cpus:2;mem:48'));
  t.is(read(FILES.memoryLimit), 128 * 1024 * 1024);
  if (V1) t.is(read('memory.soft_limit_in_bytes'), 48 * 1024 * 1024);
  // A task that ended before isolate is not an error (ESRCH): nothing is left to isolate.
  const quick = spawn('/bin/true');
  await new Promise((resolve) => quick.on('exit', resolve));
  await t.notThrowsAsync(iso.isolate(id, quick.pid as number));
  t.deepEqual(iso.hierarchy.pids(id), []);
  await iso.cleanup(id);
  assertNothingLeft(t, iso);
});

/** The "agent" of the restart test: prepares two containers, puts a sleeping shell in each, prints the pids, then waits to be killed. */
const AGENT_SCRIPT = `
import { spawn } from 'node:child_process';
import { Resources } from './common/resources/resources.ts';
import { cgroupJoinScript } from './slave/isolators/cgroups/join.ts';
import { createIsolation } from './slave/isolators/create-isolators.ts';
const made = createIsolation({ isolation: 'cgroups/cpu,cgroups/mem,cgroups/pids', cgroupsRoot: process.env.ROOT });
if (!made.ok) throw new Error(made.message);
const pids = [];
for (const id of ['known', 'orphan']) {
  await made.isolator.prepare({ containerId: id, resources: Resources.parse('cpus:0.5;mem:32') });
  // The shell joins the cgroups itself before it forks (the supervisor's way in).
  const child = spawn('/bin/sh', ['-c', cgroupJoinScript(made.cgroups.procsFiles(id)) + '; sleep 300 & sleep 300 & wait'], { stdio: 'ignore', detached: true });
  pids.push(child.pid);
}
process.stdout.write(JSON.stringify(pids) + '\\n');
setInterval(() => {}, 1000);
`;

test.serial('after an agent is killed (SIGKILL), a new one recovers: known containers are kept, orphan cgroups are killed and removed', async (t) => {
  const agent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', AGENT_SCRIPT], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, ROOT },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(agent);
  const after = isolator(); // the new agent: it knows only what recover tells it
  const known = asContainerId('known');
  t.teardown(() => after.cleanup(known));
  const [knownPid, orphanPid] = await new Promise<number[]>((resolve, reject) => {
    agent.stdout?.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as number[]));
    agent.once('exit', (code) => reject(new Error(`the agent exited with ${code}`)));
  });
  // Each shell is in its cgroup once its two sleeps are.
  await until(async () => (after.hierarchy.pids('known').length === 3 && after.hierarchy.pids('orphan').length === 3 ? true : undefined));
  const agentGone = new Promise((resolve) => agent.once('exit', resolve));
  agent.kill('SIGKILL');
  await agentGone;
  t.deepEqual(after.hierarchy.list(), ['known', 'orphan'], 'the cgroups outlive the agent');
  const orphanMembers = after.hierarchy.pids('orphan');
  t.true(orphanMembers.includes(orphanPid), 'sh and its two sleeps');

  const result = await after.recover([{ containerId: known, resources: Resources.parse('cpus:0.5;mem:32') }]);
  t.deepEqual(result.orphans, ['orphan']);
  t.deepEqual(after.hierarchy.list(), ['known']);
  for (const p of orphanMembers) t.false(isAlive(p), `orphan process ${p} was killed`);
  t.is((await after.usage(known)).mem_limit_bytes, 32 * 1024 * 1024);
  t.is((await after.usage(known)).processes, 3);
  t.is(after.limitation(known), undefined, 'the recovered OOM watcher is armed and quiet');
  const knownMembers = after.hierarchy.pids(known);
  t.true(knownMembers.includes(knownPid));
  await after.cleanup(known);
  for (const p of knownMembers) t.false(isAlive(p), `process ${p} was killed at cleanup`);
  assertNothingLeft(t, after);
});

test.serial('the supervisor path: a subshell joins the cgroups with the join script before it execs, its parent stays outside', async (t) => {
  const iso = isolator();
  const id = asContainerId('join');
  t.teardown(() => iso.cleanup(id));
  await iso.prepare({ containerId: id, resources: Resources.parse('cpus:0.5;mem:32') });
  const script = `( ${cgroupJoinScript(iso.procsFiles(id))}; exec sleep 300 ) & echo $!; wait`;
  const sup = spawn('/bin/sh', ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(sup);
  const taskPid = await new Promise<number>((resolve) => sup.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  const members = await until(async () => {
    const p = iso.hierarchy.pids(id);
    return p.length > 0 ? p : undefined;
  });
  t.deepEqual(members, [taskPid]);
  t.false(members.includes(sup.pid as number), 'the supervisor is not in the container cgroup');
  t.is(iso.procsFiles(id).length, V1 ? iso.hierarchy.rootDirs().length : 1, 'v1: one cgroup.procs per hierarchy (cpu, cpuacct, memory, pids, freezer here); v2: one');
  const supExit = new Promise((resolve) => sup.on('exit', resolve));
  await iso.cleanup(id);
  await supExit;
  assertNothingLeft(t, iso);

  // A cgroup that cannot be joined: the task does not run, and says why.
  const bad = spawn('/bin/sh', ['-c', `${cgroupJoinScript(['/nonexistent/cgroup.procs'])}; echo ran`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  bad.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  bad.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise((resolve) => bad.on('exit', resolve));
  t.is(code, JOIN_FAILED_EXIT);
  t.is(out, '');
  t.regex(err, /maestro: cannot join cgroup \/nonexistent\/cgroup\.procs/);
});

test.serial('createIsolation builds the chain from --isolation on this host, with the cgroups root of the flag', async (t) => {
  const made = createIsolation({ isolation: 'cgroups/cpu,cgroups/mem,cgroups/pids', cgroupsRoot: ROOT, enableCfs: true, pidsMax: 64 });
  if (!made.ok) return t.fail(made.message);
  t.deepEqual(made.warnings, []);
  t.is(made.isolator.name, 'cgroups/cpu,cgroups/mem,cgroups/pids');
  const id = asContainerId('chain');
  t.teardown(() => made.isolator.cleanup(id));
  await made.isolator.prepare({ containerId: id, resources: Resources.parse('cpus:0.25;mem:40') });
  const cg = made.cgroups?.hierarchy.cgroup(id);
  t.is(readIn(cg?.dir('cpu') ?? '', V1 ? 'cpu.cfs_quota_us' : 'cpu.max'), V1 ? '25000' : '25000 100000');
  t.is(readIn(cg?.dir('pids') ?? '', 'pids.max'), '64');
  t.is(readIn(cg?.dir('memory') ?? '', FILES.memoryLimit), String(40 * 1024 * 1024));
  await made.isolator.cleanup(id);
  t.deepEqual(made.cgroups?.hierarchy.list(), []);
  // A failed prepare leaves no cgroup behind.
  await t.throwsAsync(made.isolator.prepare({ containerId: asContainerId('nomem'), resources: Resources.parse('cpus:1') }), {
    message: 'cgroups/cpu,cgroups/mem,cgroups/pids: prepare failed: no memory resource given',
  });
  t.deepEqual(made.cgroups?.hierarchy.list(), []);
});
