/**
 * The POSIX containerizer under the cgroups isolator (`createIsolation` with
 * `cgroups/cpu,cgroups/mem`, this host's real cgroups, a `--cgroups_root` of this file alone,
 * `maestro-test-<pid>-cz`, destroyed in teardown also on failure), with real processes: a
 * prepare that fails spawns nothing and leaves no cgroup; the task and what it starts are in the
 * cgroup, the supervisor is not; a process that escapes the session with setsid is still killed
 * with the container; an OOM kill ends the container `limited`; after a containerizer is dropped
 * (an agent crash) a new one recovers the container in its cgroup and destroys a cgroup nobody
 * knows, and a container from an agent that ran without cgroups is still killed (by its process
 * tree). Assertions are on terminations and cgroup files, never on time.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../common/resources/resources.ts';
import { asContainerId } from '../containerizer.ts';
import type { Containerizer, LaunchSpec } from '../containerizer.ts';
import type { CgroupsIsolator } from '../isolators/cgroups/cgroups-isolator.ts';
import { CgroupHierarchy, detectHostLayout } from '../isolators/cgroups/hierarchy.ts';
import { createIsolation } from '../isolators/create-isolators.ts';
import { createPosixContainerizer } from './posix-containerizer.ts';

const ROOT = `maestro-test-${process.pid}-cz`;
const layout = detectHostLayout();
if (layout === undefined) throw new Error('these tests need cgroups (DESIGN.md §5: the development machines mount v1 hierarchies)');
const hierarchy = new CgroupHierarchy({ layout, root: ROOT, subsystems: ['cpu', 'cpuacct', 'memory'] });
test.after.always(() => hierarchy.destroyAll());

let next = 0;

function isolated(): { containerizer: Containerizer; cgroups: CgroupsIsolator } {
  const made = createIsolation({ isolation: 'cgroups/cpu,cgroups/mem', cgroupsRoot: ROOT, oomPollMs: 20 });
  if (!made.ok || made.cgroups === undefined) throw new Error(made.ok ? 'no cgroups isolator' : made.message);
  return { containerizer: createPosixContainerizer({ isolation: { isolator: made.isolator, cgroups: made.cgroups } }), cgroups: made.cgroups };
}

async function spec(t: ExecutionContext, command: string, resources = 'cpus:0.5;mem:64'): Promise<LaunchSpec> {
  const dir = await mkdtemp(join(tmpdir(), 'maestro-cz-cgroups-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const sandbox = join(dir, 'sandbox');
  const runDir = join(dir, 'run');
  await mkdir(sandbox);
  await mkdir(runDir);
  return {
    containerId: asContainerId(`cz${process.pid}-${next++}`),
    sandbox,
    runDir,
    command: { shell: true, value: command, arguments: [] },
    environment: { MESOS_SANDBOX: sandbox },
    resources: Resources.parse(resources),
  };
}

const procs = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').map(Number);
const memoryProcs = (id: string) => procs(join(hierarchy.cgroup(id).dir('memory'), 'cgroup.procs'));

async function until(done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (done()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test.serial('a prepare that fails (no mem) is a launch failure that names why; nothing started, no cgroup', async (t) => {
  const { containerizer } = isolated();
  const s = await spec(t, 'touch ran', 'cpus:0.5');
  const launched = await containerizer.launch(s);
  t.false(launched.ok);
  t.regex(launched.ok ? '' : launched.message, /^Failed to prepare the isolators: cgroups\/cpu,cgroups\/mem: prepare failed: no memory resource given/);
  t.false(existsSync(join(s.sandbox, 'ran')));
  t.false(hierarchy.exists(s.containerId));
});

test.serial('the task and its children are in the cgroup, the supervisor is not; a child escaped with setsid dies with the container; cleanup leaves no cgroup', async (t) => {
  const { containerizer } = isolated();
  // Two processes once `escaped` is written (setsid execs in the forked child; the shell execs the last sleep): counts cannot race a fork.
  const s = await spec(t, 'setsid sleep 300 & echo $! > escaped; exec sleep 300');
  const launched = await containerizer.launch(s);
  if (!launched.ok) return t.fail(launched.message);
  await until(() => existsSync(join(s.sandbox, 'escaped')) && readFileSync(join(s.sandbox, 'escaped'), 'utf8').trim() !== '', 'the child to start');
  const escaped = Number(readFileSync(join(s.sandbox, 'escaped'), 'utf8').trim());
  const inside = memoryProcs(s.containerId);
  t.true(inside.includes(launched.pid), 'the task');
  t.true(inside.includes(escaped), 'the child that left the session');
  const supervisor = Number(readFileSync(join(s.runDir, 'pids'), 'utf8').split(' ')[0]);
  t.false(inside.includes(supervisor), 'the supervisor');
  const usage = await containerizer.usage(s.containerId);
  t.is(usage?.mem_limit_bytes, 64 * 1024 * 1024);
  t.is(usage?.processes, 2);
  t.is(inside.length, 2);

  await containerizer.kill(s.containerId, 'SIGKILL');
  t.like(await containerizer.wait(s.containerId), { kind: 'signaled', signal: 9 });
  t.false(existsSync(`/proc/${escaped}/stat`) && !/\) Z /.test(readFileSync(`/proc/${escaped}/stat`, 'utf8')), 'the escaped child is dead');
  await containerizer.cleanup(s.containerId);
  t.false(hierarchy.exists(s.containerId));
  await containerizer.cleanup(s.containerId); // idempotent
});

test.serial('an OOM kill ends the container limited, with the limit in the message; the task\'s own exit does not count', async (t) => {
  const { containerizer } = isolated();
  const s = await spec(t, 'head -c 100M /dev/zero | tail; exit 0', 'cpus:0.1;mem:32');
  const launched = await containerizer.launch(s);
  if (!launched.ok) return t.fail(launched.message);
  const termination = await containerizer.wait(s.containerId);
  t.is(termination.kind, 'limited');
  if (termination.kind !== 'limited') return;
  t.is(termination.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  t.regex(termination.message, /^Memory limit exceeded: limit 32 MB \(33554432 bytes\)/);
  t.deepEqual(termination.resources.map((r) => [r.name, r.scalar?.value]), [['mem', 32]]);
  await containerizer.cleanup(s.containerId);
  t.false(hierarchy.exists(s.containerId));
});

test.serial('after a crash a new containerizer recovers the container in its cgroup and destroys an unknown one; the kill and cleanup leave nothing', async (t) => {
  const first = isolated();
  const s = await spec(t, 'sleep 300');
  const launched = await first.containerizer.launch(s);
  if (!launched.ok) return t.fail(launched.message);
  for (const d of hierarchy.dirs('stray')) mkdirSync(d, { recursive: true });

  // The first containerizer is dropped without a kill or a cleanup: an agent that died.
  const second = isolated();
  const found = await second.containerizer.recover([{ containerId: s.containerId, runDir: s.runDir, sandbox: s.sandbox }]);
  t.is(found.get(s.containerId), 'running');
  t.false(hierarchy.exists('stray'));
  t.true(memoryProcs(s.containerId).includes(launched.pid));
  t.is((await second.containerizer.usage(s.containerId))?.mem_limit_bytes, 64 * 1024 * 1024);

  await second.containerizer.kill(s.containerId, 'SIGKILL');
  t.like(await second.containerizer.wait(s.containerId), { kind: 'signaled', signal: 9 });
  await second.containerizer.cleanup(s.containerId);
  t.deepEqual(hierarchy.list(), []);
});

test.serial('a container launched without cgroups (the agent ran with posix before) is recovered and killed by its process tree', async (t) => {
  const plain = createPosixContainerizer();
  const s = await spec(t, 'sleep 300');
  const launched = await plain.launch(s);
  if (!launched.ok) return t.fail(launched.message);

  const { containerizer } = isolated();
  const found = await containerizer.recover([{ containerId: s.containerId, runDir: s.runDir, sandbox: s.sandbox }]);
  t.is(found.get(s.containerId), 'running');
  t.false(hierarchy.exists(s.containerId));
  await containerizer.kill(s.containerId, 'SIGKILL');
  t.like(await containerizer.wait(s.containerId), { kind: 'signaled', signal: 9 });
  t.false(existsSync(`/proc/${launched.pid}/stat`) && !/\) Z /.test(readFileSync(`/proc/${launched.pid}/stat`, 'utf8')), 'the task is dead');
  await containerizer.cleanup(s.containerId);
  t.deepEqual(hierarchy.list(), []);
});

test.serial('update: a container given more resources gets the new limits in its cgroup and its usage; an ended one is left alone', async (t) => {
  const { containerizer } = isolated();
  const s = await spec(t, 'exec sleep 300', 'cpus:0.5;mem:64');
  const launched = await containerizer.launch(s);
  if (!launched.ok) return t.fail(launched.message);
  const cg = hierarchy.cgroup(s.containerId);
  // v1 cpu.shares = 1024 × cpus; v2 cpu.weight = 1 + ⌊(shares − 2) × 9999 / 262142⌋ (512 → 20, 1536 → 59).
  const v1 = layout.version === 1;
  const share = () => readFileSync(join(cg.dir('cpu'), v1 ? 'cpu.shares' : 'cpu.weight'), 'utf8').trim();
  t.is(share(), v1 ? '512' : '20');
  await containerizer.update(s.containerId, Resources.parse('cpus:1.5;mem:192'));
  t.is(share(), v1 ? '1536' : '59');
  t.is(Number(readFileSync(join(cg.dir('memory'), v1 ? 'memory.limit_in_bytes' : 'memory.max'), 'utf8')), 192 * 1024 * 1024);
  const usage = await containerizer.usage(s.containerId);
  t.is(usage?.cpus_limit, 1.5);
  t.is(usage?.mem_limit_bytes, 192 * 1024 * 1024);
  await containerizer.kill(s.containerId, 'SIGKILL');
  await containerizer.wait(s.containerId);
  await containerizer.cleanup(s.containerId);
  await t.notThrowsAsync(containerizer.update(s.containerId, Resources.parse('cpus:2;mem:256')));
  t.false(hierarchy.exists(s.containerId));
});
