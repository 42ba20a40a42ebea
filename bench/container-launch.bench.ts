/**
 * Launch latency of one task at a time on one REAL agent under real isolation (issue 4,
 * "Benchmark"): a real `maestro master`, a real `maestro agent` with
 * `--isolation=cgroups/cpu,cgroups/mem,namespaces/pid` (its own `--cgroups_root`) and a plain-HTTP
 * framework in this process that acknowledges every update.
 *
 * `node --import tsx bench/container-launch.bench.ts [N]` (default 200). Two series of N launches,
 * each task launched alone once the previous one runs (`sleep 600`, 0.01 cpus, 32 MB; killed after
 * the series), timed from the ACCEPT sent to its TASK_RUNNING received:
 *   native_*     a task without an image: its cgroups, its own pid namespace (namespaces/pid)
 *   oci_*        a task with an image (ContainerInfo DOCKER, a busybox image built here and imported
 *                into the agent's store before the run: no pull is timed): overlay rootfs, OCI bundle,
 *                `runc run` under the supervisor, the agent's cgroups; RUNNING once the container's
 *                init exists
 * and, in the same run, the bare floors N times each:
 *   floor_unshare_*  `unshare --pid --fork true`
 *   floor_runc_*     `runc run` of a bundle of the same image (read-only rootfs, `true`)
 * p50 and p99 of each, and p50 ratios against the floor of each kind (the goal: within
 * 1.5x). The floors start a process and wait for its exit; a launch is also a round trip through
 * the master (ACCEPT, the agent's checkpoints with fsync, TASK_STARTING and its acknowledgement,
 * TASK_RUNNING), which the floors do not pay.
 *
 * Needs root, cgroups, runc and skopeo/umoci (deploy/install-deps). Nothing outlives the run, also on
 * a failure or SIGINT: the agent and master are killed, the containers deleted from runc, mounts
 * under the work dir unmounted, the cgroups root destroyed and the work dirs removed.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emit, printTable, type BenchResult } from './report.ts';
import { startMasterProcess, type MasterProcess } from './support/master-process.ts';
import { spawnAgent } from './support/agent-process.ts';
import { expect202 } from './support/offer-cycle.ts';
import { benchFrameworkInfo, subscribeScheduler, type BenchScheduler, type Json } from './support/scheduler-client.ts';
import { msBetween, percentile } from './support/stats.ts';
import { createImageStore } from '../slave/images/local-image-store.ts';
import { CgroupHierarchy, detectHostLayout } from '../slave/isolators/cgroups/hierarchy.ts';
import { removeCgroupRoot } from '../test/support/container-cleanup.ts';
import { killTaskProcesses } from '../test/support/maestro-process.ts';
import { buildBusyboxOciLayout } from '../test/support/test-images.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 200);
if (!Number.isInteger(N) || N <= 0) throw new Error(`launch count must be a positive integer, got '${process.argv[2]}'`);
const WAIT_MS = 60_000;
const IMAGE = 'maestro-bench/busybox:1';
const CGROUPS_ROOT = `maestro-bench-${process.pid}`;

const layout = detectHostLayout();
if (layout === undefined || process.getuid?.() !== 0) throw new Error('container-launch needs root and cgroups');
const hierarchy = new CgroupHierarchy({ layout, root: CGROUPS_ROOT, subsystems: ['cpu', 'cpuacct', 'memory'] });

/** The work dirs live under `.work/bench` in the checkout (gitignored), as agent-launch's (see there why not /tmp). */
const WORK_PARENT = process.env.BENCH_WORK_DIR !== undefined && process.env.BENCH_WORK_DIR !== '' ? process.env.BENCH_WORK_DIR : join(root, '.work', 'bench');
mkdirSync(WORK_PARENT, { recursive: true });
const workDir = mkdtempSync(join(WORK_PARENT, 'maestro-bench-containers-'));
const floorDir = mkdtempSync(join(WORK_PARENT, 'maestro-bench-runc-floor-'));

const config = { launches: N, agents_kind: 'real', isolation: 'cgroups/cpu,cgroups/mem,namespaces/pid', command: 'sleep 600', image: IMAGE };
const results: BenchResult[] = [];
function record(metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'container-launch', config, metric, value, unit };
  emit(r);
  results.push(r);
}

let agentChild: ChildProcess | undefined;
function cleanupHost(): void {
  agentChild?.kill('SIGKILL');
  for (const runcRoot of [join(workDir, 'runc'), join(floorDir, 'runc')]) {
    const list = spawnSync('runc', ['--root', runcRoot, 'list', '-q'], { encoding: 'utf8' });
    for (const id of (list.stdout ?? '').split('\n').filter((l) => l !== '')) spawnSync('runc', ['--root', runcRoot, 'delete', '--force', id], { stdio: 'ignore' });
  }
  killTaskProcesses(workDir);
  const mounts = spawnSync('sh', ['-c', `awk '{print $5}' /proc/self/mountinfo | grep -e '^${workDir}/' -e '^${floorDir}/' | sort -r`], { encoding: 'utf8' }).stdout ?? '';
  for (const m of mounts.split('\n').filter((l) => l !== '')) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  try {
    hierarchy.destroyAll();
  } catch {
    // Best effort at exit: a cgroup still busy is reported by the next run's recovery.
  }
  // runc's own cgroups (devices, blkio, ...) under the root.
  removeCgroupRoot(CGROUPS_ROOT);
  rmSync(workDir, { recursive: true, force: true });
  rmSync(floorDir, { recursive: true, force: true });
}
process.on('exit', cleanupHost);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** The bench image in the agent's store (as `maestro image import` puts it there); returns its unpacked rootfs. */
async function importImage(): Promise<string> {
  const layoutDir = join(floorDir, 'layout');
  buildBusyboxOciLayout(layoutDir, { name: 'maestro-bench/busybox', tag: '1' });
  const store = createImageStore({ storeDir: join(workDir, 'store', 'docker') });
  const imported = await store.import(layoutDir, { name: IMAGE });
  if (!imported.ok) throw new Error(`import: ${imported.message}`);
  const provisioned = await store.provision(IMAGE);
  if (!provisioned.ok) throw new Error(`provision: ${provisioned.message}`);
  return provisioned.image.rootfs;
}

async function startAgent(masterUrl: string): Promise<void> {
  await spawnAgent([
    '--ip=127.0.0.1', '--port=0', `--work_dir=${workDir}`, `--master=${masterUrl.replace(/^https?:\/\//, '')}`,
    '--resources=cpus:64;mem:65536;disk:65536', '--quiet=true', `--isolation=${config.isolation}`, `--cgroups_root=${CGROUPS_ROOT}`, '--image_providers=docker',
  ], [], (child) => { agentChild = child; });
}

const scalar = (name: string, value: number): Json => ({ name, type: 'SCALAR', scalar: { value } });

/** One framework for both series: offers queued as they come, every update acknowledged, states observed. */
function driver(sched: BenchScheduler) {
  const offers: Json[] = [];
  let offerWaiter: (() => void) | undefined;
  const stateWaiters = new Map<string, { state: string; resolve: (at: bigint) => void; reject: (e: Error) => void }>();
  sched.onEvent((e) => {
    if (e.event.type === 'OFFERS') {
      offers.push(...(e.event.offers.offers as Json[]));
      offerWaiter?.();
    } else if (e.event.type === 'RESCIND') {
      const id = e.event.rescind.offer_id.value as string;
      const i = offers.findIndex((o) => o.id.value === id);
      if (i >= 0) offers.splice(i, 1);
    } else if (e.event.type === 'UPDATE') {
      const s = e.event.update.status as Json;
      const w = stateWaiters.get(s.task_id.value as string);
      if (w !== undefined && s.state === w.state) {
        stateWaiters.delete(s.task_id.value as string);
        w.resolve(e.at);
      } else if (w !== undefined && ['TASK_FAILED', 'TASK_ERROR', 'TASK_LOST', 'TASK_DROPPED', 'TASK_KILLED'].includes(s.state as string)) {
        stateWaiters.delete(s.task_id.value as string);
        w.reject(new Error(`${s.task_id.value} ${s.state} ${s.reason ?? ''}: ${s.message ?? ''}`));
      }
      if (s.uuid !== undefined && s.uuid !== null && s.uuid !== '') {
        void sched.call({ type: 'ACKNOWLEDGE', acknowledge: { agent_id: s.agent_id, task_id: s.task_id, uuid: s.uuid } }).catch(() => undefined);
      }
    }
  });
  async function nextOffer(): Promise<Json> {
    const deadline = Date.now() + WAIT_MS;
    while (offers.length === 0) {
      if (Date.now() > deadline) throw new Error('no offer');
      await new Promise<void>((r) => { offerWaiter = r; setTimeout(r, 100); });
    }
    return offers.shift()!;
  }
  function waitState(taskId: string, state: string): Promise<bigint> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${taskId}: no ${state} after ${WAIT_MS} ms`)), WAIT_MS);
      stateWaiters.set(taskId, { state, resolve: (at) => { clearTimeout(timer); resolve(at); }, reject: (e) => { clearTimeout(timer); reject(e); } });
    });
  }
  return { nextOffer, waitState };
}

/** N launches one after another; returns ACCEPT → TASK_RUNNING of each, in ms. */
async function series(sched: BenchScheduler, d: ReturnType<typeof driver>, kind: 'native' | 'oci'): Promise<number[]> {
  const out: number[] = [];
  const ids: string[] = [];
  let agentId: Json | undefined;
  for (let i = 0; i < N; i++) {
    const offer = await d.nextOffer();
    agentId = offer.agent_id;
    const id = `${kind}-${i}`;
    ids.push(id);
    const running = d.waitState(id, 'TASK_RUNNING');
    const t0 = process.hrtime.bigint();
    expect202('ACCEPT', await sched.call({
      type: 'ACCEPT',
      accept: {
        offer_ids: [offer.id],
        operations: [{ type: 'LAUNCH', launch: { task_infos: [{
          name: id, task_id: { value: id }, agent_id: offer.agent_id,
          resources: [scalar('cpus', 0.01), scalar('mem', 32)],
          command: { value: 'sleep 600', shell: true },
          ...(kind === 'oci' ? { container: { type: 'DOCKER', docker: { image: IMAGE } } } : {}),
        }] } }],
        filters: { refuse_seconds: 0 },
      },
    }));
    out.push(msBetween(t0, await running));
  }
  const killed = ids.map((id) => d.waitState(id, 'TASK_KILLED'));
  for (const id of ids) expect202('KILL', await sched.call({ type: 'KILL', kill: { task_id: { value: id }, agent_id: agentId } }));
  await Promise.all(killed);
  return out;
}

function timeCommand(file: string, args: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = msBetween(t0, process.hrtime.bigint());
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}: ${r.stderr?.toString() ?? ''}`);
  return ms;
}

/** `runc run` of a bundle whose rootfs is the image's unpacked rootfs (read-only), running `true`. */
function runcFloor(rootfs: string): number[] {
  const bundle = join(floorDir, 'bundle');
  mkdirSync(bundle, { recursive: true });
  spawnSync('runc', ['spec', '--bundle', bundle], { stdio: 'ignore' });
  const specPath = join(bundle, 'config.json');
  const spec = JSON.parse(spawnSync('cat', [specPath], { encoding: 'utf8' }).stdout) as Json;
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root = { path: rootfs, readonly: true };
  spec.linux.cgroupsPath = `/${CGROUPS_ROOT}/runc-floor`;
  writeFileSync(specPath, JSON.stringify(spec));
  const runcRoot = join(floorDir, 'runc');
  timeCommand('runc', ['--root', runcRoot, 'run', '--bundle', bundle, 'floor-warmup']);
  return Array.from({ length: N }, (_, i) => timeCommand('runc', ['--root', runcRoot, 'run', '--bundle', bundle, `floor-${i}`]));
}

function summarize(name: string, samples: readonly number[]): number {
  const p50 = percentile(samples, 50);
  record(`${name}_p50_ms`, p50, 'ms');
  record(`${name}_p99_ms`, percentile(samples, 99), 'ms');
  return p50;
}

async function main(): Promise<void> {
  let master: MasterProcess | undefined;
  let sched: BenchScheduler | undefined;
  try {
    const rootfs = await importImage();
    master = await startMasterProcess({ allocation_interval: '10ms' });
    sched = await subscribeScheduler(master.url, { encoding: 'json', frameworkInfo: benchFrameworkInfo('container-launch-bench') });
    const d = driver(sched);
    await startAgent(master.url);
    const native = await series(sched, d, 'native');
    const oci = await series(sched, d, 'oci');
    timeCommand('unshare', ['--pid', '--fork', 'true']);
    const unshareFloor = Array.from({ length: N }, () => timeCommand('unshare', ['--pid', '--fork', 'true']));
    const runc = runcFloor(rootfs);
    const nativeP50 = summarize('native_launch', native);
    const ociP50 = summarize('oci_launch', oci);
    const unshareP50 = summarize('floor_unshare', unshareFloor);
    const runcP50 = summarize('floor_runc', runc);
    record('native_vs_unshare_p50', nativeP50 / unshareP50, 'x');
    record('oci_vs_runc_p50', ociP50 / runcP50, 'x');
    printTable(results);
  } finally {
    await sched?.teardown().catch(() => undefined);
    agentChild?.kill('SIGTERM');
    await master?.stop();
  }
}

await main();
