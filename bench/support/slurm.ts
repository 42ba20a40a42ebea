/**
 * A private one-node Slurm cluster on this host for the batch benchmark (issue 6: the same 1,000
 * one-shot `true` jobs through `maestro batch` and through Debian's `slurm-wlm`, `sbatch --wrap true`
 * per job). `startLocalSlurm` installs, configures and starts it; `submit`, `waitAllDone` measure it;
 * `stop` tears it down.
 *
 * Installation: when `slurmctld`, `slurmd`, `sbatch`, `scontrol`, `sinfo` or `munged` is missing it runs
 * `apt-get install -y --no-install-recommends slurm-wlm munge` (DEBIAN_FRONTEND=noninteractive, one
 * `apt-get update` and a retry if the first try fails; root only). While it installs, a temporary
 * /usr/sbin/policy-rc.d (exit 101) keeps the packages' maintainer scripts from starting the system
 * munge/slurm services, and is removed afterwards (only when this module created it): the only
 * daemons are the ones below.
 *
 * Layout: everything lives in a fresh `<workDir>/slurm-XXXXXX/` (mode 0755). munged wants every
 * directory above its socket searchable by all (a mkdtemp 0700 workDir is not); it runs with `--force`,
 * which turns that check into a warning: every client here (sbatch, scontrol, slurmctld, slurmd) runs
 * as root, so the socket is reachable anyway. Root is required (slurmd and SlurmUser=root).
 *   munge.key (1,024 random bytes, 0400), munge.socket, munged.pid, munged.seed
 *   slurm.conf, cgroup.conf          the configuration (read through SLURM_CONF and `-f`)
 *   state/                           StateSaveLocation
 *   spool/                           SlurmdSpoolDir
 *   log/slurmctld.log, log/slurmd.log
 *   out/                             the jobs' working directory (`slurm-<id>.out` land here)
 *
 * slurm.conf (see `renderSlurmConf`): ClusterName=maestro-bench; SlurmctldHost=<hostname -s>(127.0.0.1);
 * SlurmctldPort and SlurmdPort: two free loopback ports picked at start (so a system Slurm on 6817/6818
 * is not disturbed); SlurmUser=SlurmdUser=root; AuthType=auth/munge, CredType=cred/munge,
 * AuthInfo=socket=<our munge socket> (our own munged and key, not /etc/munge); one node
 * NodeName=<hostname -s> NodeAddr=127.0.0.1 CPUs=<cpus> RealMemory=<memMb> with
 * SlurmdParameters=config_overrides (the declared CPUs and memory are used as given, so a benchmark may
 * declare more slots than cores, as it does for maestro's agents); one partition `bench` (Default, UP,
 * MaxTime=INFINITE); SelectType=select/cons_tres with CR_Core (one `true` job takes one CPU);
 * SchedulerType=sched/backfill with Slurm's default SchedulerParameters (the stock scheduler is what is
 * compared); ProctrackType=proctrack/linuxproc and TaskPlugin=task/none (no cgroup is created or
 * required for jobs); no accounting (accounting_storage/none, jobacct_gather/none, jobcomp/none);
 * MpiDefault=none; MailProg=/bin/true; ReturnToService=2; MinJobAge=3600 (finished jobs stay visible to
 * `scontrol show job` for an hour, which is how completion is detected). `extraConf` lines are appended.
 * Measured here (2 cores, gVisor): with the stock batch_sched_delay (3 s) Slurm starts about `cpus` jobs
 * per ~3 s, so declaring only the host's 2 CPUs gave 0.8 `true` jobs/s (200 jobs) and CPUs=32 gave
 * 13.6 jobs/s; with extraConf SchedulerParameters=batch_sched_delay=0,sched_min_interval=0 2.1 and 24.7
 * jobs/s. Give Slurm as many slots as the maestro agents offer for a like-for-like comparison.
 * cgroup.conf: CgroupPlugin=autodetect with every Constrain* off. Slurm 22.05 (bookworm) has no
 * `CgroupPlugin=disabled` (its slurmd fails with "cannot find cgroup plugin for disabled"), so slurmd
 * still initialises a cgroup plugin and needs a mounted cgroup v1 or v2 hierarchy, though it puts
 * nothing in it.
 *
 * Daemons: `munged -F`, `slurmctld -D`, `slurmd -D -N <hostname -s>` are children of this process with
 * SLURM_CONF=<our slurm.conf> in their environment; start waits for the munge socket and then for `sinfo`
 * to report the node `idle`. Submission is `sbatch --parsable --wrap <cmd>` per job, `concurrency` (32)
 * at a time. Completion is read from `scontrol show job -o` (one call lists every job), polled every
 * `pollMs` (200 ms): a job is done in a terminal state (`TERMINAL_STATES`), failed when that state is not
 * COMPLETED. No squeue, no sacct.
 *
 * Invariants: after `stop()` (also after a failed start, and on the bench process's `exit`) no munged,
 * slurmctld, slurmd, slurmscriptd, slurmstepd or job process of this cluster is alive and its directory
 * is gone. Processes of this cluster are found by the SLURM_CONF=<our slurm.conf> entry in
 * /proc/<pid>/environ, which every daemon, every slurmstepd and every job inherits; nothing else is
 * signalled.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, hostname, totalmem } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface LocalSlurmOptions {
  /** Parent directory; the cluster lives in a fresh `slurm-XXXXXX` inside it, removed by `stop()`. */
  readonly workDir: string;
  /** CPUs declared for the node (default: this host's available parallelism). */
  readonly cpus?: number;
  /** RealMemory declared for the node in MB (default: this host's total memory). */
  readonly memMb?: number;
  /** How many `sbatch` run at once in `submit` (default 32). */
  readonly concurrency?: number;
  /** `scontrol show job` poll interval in `waitAllDone` (default 200 ms). */
  readonly pollMs?: number;
  /** How long start may take until the node is idle, installation excluded (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Lines appended to slurm.conf, for keys it does not set (e.g. `SchedulerParameters=batch_sched_delay=0`); none by default: stock Slurm is what is compared. */
  readonly extraConf?: readonly string[];
}

export interface LocalSlurm {
  /** The cluster's directory (`<workDir>/slurm-XXXXXX`). */
  readonly dir: string;
  /** Its slurm.conf; set SLURM_CONF to it to use the Slurm commands against this cluster. */
  readonly confPath: string;
  /** `sbatch --wrap <cmd>` `n` times; `submitMs` from the first sbatch started to the last one answered. */
  submit(n: number, cmd: string): Promise<{ submitMs: number; jobIds: string[] }>;
  /** Resolves when every job is in a terminal state; `doneMs` from this call to the poll that saw the last one. Rejects after `timeoutMs`. */
  waitAllDone(jobIds: readonly string[], timeoutMs: number): Promise<{ doneMs: number; failed: number }>;
  /** The daemons' recent output and log tails (for error messages). */
  output(): string;
  /** Stops everything of this cluster and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** Slurm job states after which a job does nothing more (22.05 `JobState` base states). */
export const TERMINAL_STATES: ReadonlySet<string> = new Set([
  'BOOT_FAIL', 'CANCELLED', 'COMPLETED', 'DEADLINE', 'FAILED', 'NODE_FAIL', 'OUT_OF_MEMORY', 'PREEMPTED', 'TIMEOUT',
]);

export interface SlurmConfParams {
  readonly dir: string;
  readonly nodeName: string;
  readonly ctldPort: number;
  readonly slurmdPort: number;
  readonly cpus: number;
  readonly memMb: number;
  readonly extraConf?: readonly string[];
}

/** The whole slurm.conf of the one-node cluster (pure). */
export function renderSlurmConf(p: SlurmConfParams): string {
  return [
    'ClusterName=maestro-bench',
    `SlurmctldHost=${p.nodeName}(127.0.0.1)`,
    `SlurmctldPort=${p.ctldPort}`,
    `SlurmdPort=${p.slurmdPort}`,
    'SlurmUser=root',
    'SlurmdUser=root',
    'AuthType=auth/munge',
    'CredType=cred/munge',
    `AuthInfo=socket=${join(p.dir, 'munge.socket')}`,
    `StateSaveLocation=${join(p.dir, 'state')}`,
    `SlurmdSpoolDir=${join(p.dir, 'spool')}`,
    `SlurmctldPidFile=${join(p.dir, 'slurmctld.pid')}`,
    `SlurmdPidFile=${join(p.dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(p.dir, 'log', 'slurmctld.log')}`,
    `SlurmdLogFile=${join(p.dir, 'log', 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'MpiDefault=none',
    'SwitchType=switch/none',
    'MailProg=/bin/true',
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SlurmdParameters=config_overrides',
    'ReturnToService=2',
    'MinJobAge=3600',
    `NodeName=${p.nodeName} NodeAddr=127.0.0.1 CPUs=${p.cpus} RealMemory=${p.memMb} State=UNKNOWN`,
    `PartitionName=bench Nodes=${p.nodeName} Default=YES MaxTime=INFINITE State=UP`,
    ...(p.extraConf ?? []),
    '',
  ].join('\n');
}

/** cgroup.conf: nothing constrained (22.05 cannot disable the plugin itself; see the header). */
export function renderCgroupConf(): string {
  return ['CgroupPlugin=autodetect', 'ConstrainCores=no', 'ConstrainRAMSpace=no', 'ConstrainSwapSpace=no', 'ConstrainDevices=no', ''].join('\n');
}

/** Job id → base state from `scontrol show job -o` (one job per line; "No jobs in the system" gives none). */
export function parseJobStates(scontrolOneLiners: string): Map<string, string> {
  const states = new Map<string, string>();
  for (const line of scontrolOneLiners.split('\n')) {
    const id = /^JobId=(\d+)\s/.exec(line);
    const state = /\sJobState=([A-Z_]+)/.exec(line);
    if (id && state) states.set(id[1], state[1]);
  }
  return states;
}

/** How many of `jobIds` are done and how many of those failed, given their states (a job not listed is not done). */
export function countDone(jobIds: readonly string[], states: ReadonlyMap<string, string>): { done: number; failed: number } {
  let done = 0;
  let failed = 0;
  for (const id of jobIds) {
    const s = states.get(id);
    if (s === undefined || !TERMINAL_STATES.has(s)) continue;
    done++;
    if (s !== 'COMPLETED') failed++;
  }
  return { done, failed };
}

/** The job id `sbatch --parsable` printed (`<id>` or `<id>;<cluster>`), or undefined. */
export function parseSbatchId(stdout: string): string | undefined {
  const m = /^(\d+)(;\S+)?\s*$/.exec(stdout.trim());
  return m ? m[1] : undefined;
}

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol', 'sinfo'] as const;
type Binary = (typeof BINARIES)[number];
const SBIN_DIRS = ['/usr/sbin', '/sbin', '/usr/local/sbin', '/usr/bin', '/usr/local/bin'];

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d !== ''), ...SBIN_DIRS];
  for (const d of dirs) {
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

function findBinaries(): Partial<Record<Binary, string>> {
  const found: Partial<Record<Binary, string>> = {};
  for (const b of BINARIES) {
    const p = findBinary(b);
    if (p !== undefined) found[b] = p;
  }
  return found;
}

interface RunResult { code: number; stdout: string; stderr: string }

function run(file: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd?: string, timeoutMs = 60_000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { env, cwd, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout: String(stdout), stderr: err !== null && stderr === '' ? err.message : String(stderr) });
    });
  });
}

/** Installs slurm-wlm and munge with apt-get unless all binaries are present; returns their paths. */
async function ensureInstalled(): Promise<Record<Binary, string>> {
  let found = findBinaries();
  if (BINARIES.every((b) => found[b] !== undefined)) return found as Record<Binary, string>;
  if (process.getuid?.() !== 0) {
    throw new Error(`slurm: ${BINARIES.filter((b) => found[b] === undefined).join(', ')} missing and not root: install slurm-wlm and munge (apt-get install slurm-wlm munge)`);
  }
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\n# maestro bench: no service starts while slurm-wlm installs\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = ['install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', 'slurm-wlm', 'munge'];
    let r = await run('apt-get', install, env, undefined, 600_000);
    if (r.code !== 0) {
      const u = await run('apt-get', ['update'], env, undefined, 600_000);
      if (u.code !== 0) throw new Error(`slurm: apt-get update failed (${u.code}): ${u.stderr.slice(-2000)}`);
      r = await run('apt-get', install, env, undefined, 600_000);
    }
    if (r.code !== 0) throw new Error(`slurm: apt-get install slurm-wlm munge failed (${r.code}): ${r.stderr.slice(-2000)}`);
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
  found = findBinaries();
  const missing = BINARIES.filter((b) => found[b] === undefined);
  if (missing.length > 0) throw new Error(`slurm: installed slurm-wlm and munge but ${missing.join(', ')} not found`);
  return found as Record<Binary, string>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Pids (other than ours) whose environment holds `marker` (`SLURM_CONF=<our slurm.conf>`). Synchronous: also used in the exit hook. */
function processesWithEnv(marker: string): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
      if (env.split('\0').includes(marker)) pids.push(pid);
    } catch {
      // gone meanwhile, or not readable: not one of ours to signal
    }
  }
  return pids;
}

function killAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Clusters alive in this process: killed and removed if the process exits while they run. */
const live = new Map<string, { marker: string; children: ChildProcess[] }>();
let exitHookInstalled = false;

function registerForExit(dir: string, marker: string, children: ChildProcess[]): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const [d, c] of live) {
        for (const ch of c.children) ch.kill('SIGKILL');
        killAll(processesWithEnv(c.marker), 'SIGKILL');
        rmSync(d, { recursive: true, force: true });
      }
    });
  }
  live.set(dir, { marker, children });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exited(ch: ChildProcess): boolean {
  return ch.exitCode !== null || ch.signalCode !== null;
}

async function waitExit(ch: ChildProcess, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!exited(ch) && performance.now() < deadline) await sleep(20);
  return exited(ch);
}

/** Runs `fn` over `items` with at most `limit` at once, results in input order. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Installs (if needed), configures and starts a one-node Slurm cluster; see the module header. */
export async function startLocalSlurm(opts: LocalSlurmOptions): Promise<LocalSlurm> {
  const bin = await ensureInstalled();
  const nodeName = hostname().split('.')[0];
  const cpus = opts.cpus ?? availableParallelism();
  const memMb = opts.memMb ?? Math.floor(totalmem() / (1024 * 1024));
  const concurrency = opts.concurrency ?? 32;
  const pollMs = opts.pollMs ?? 200;
  const startTimeoutMs = opts.startTimeoutMs ?? 60_000;

  await mkdir(opts.workDir, { recursive: true });
  const dir = await mkdtemp(join(opts.workDir, 'slurm-'));
  await chmod(dir, 0o755);
  const confPath = join(dir, 'slurm.conf');
  const marker = `SLURM_CONF=${confPath}`;
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: confPath };
  const outDir = join(dir, 'out');
  const children: ChildProcess[] = [];
  const outputs = new Map<string, string>();
  registerForExit(dir, marker, children);

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // Jobs still queued or running would outlive slurmd (slurmstepd is independent of it by design).
      const listed = await run(bin.scontrol, ['show', 'job', '-o'], env, undefined, 10_000);
      const active = [...parseJobStates(listed.stdout)].filter(([, s]) => !TERMINAL_STATES.has(s)).map(([id]) => id);
      if (active.length > 0 && children.every((c) => !exited(c))) {
        await run(findBinary('scancel') ?? 'scancel', active, env, undefined, 10_000);
      }
      for (const ch of [...children].reverse()) {
        if (exited(ch)) continue;
        ch.kill('SIGTERM');
        if (!(await waitExit(ch, 5_000))) {
          ch.kill('SIGKILL');
          await waitExit(ch, 2_000);
        }
      }
      // slurmscriptd, slurmstepd and job processes of this cluster, whatever their parent now is.
      for (let round = 0; round < 50; round++) {
        const left = processesWithEnv(marker);
        if (left.length === 0) break;
        killAll(left, round < 10 ? 'SIGTERM' : 'SIGKILL');
        await sleep(100);
      }
      live.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  const output = (): string => {
    const parts: string[] = [];
    for (const [name, text] of outputs) parts.push(`--- ${name} output\n${text.slice(-4000)}`);
    for (const log of ['slurmctld.log', 'slurmd.log']) {
      try {
        parts.push(`--- ${log}\n${readFileSync(join(dir, 'log', log), 'utf8').slice(-4000)}`);
      } catch {
        // not written yet
      }
    }
    return parts.join('\n');
  };

  const startDaemon = (name: string, file: string, args: string[]): ChildProcess => {
    const ch = spawn(file, args, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    outputs.set(name, '');
    const keep = (b: Buffer) => outputs.set(name, (outputs.get(name)! + b.toString()).slice(-64 * 1024));
    ch.stdout!.on('data', keep);
    ch.stderr!.on('data', keep);
    ch.on('error', (e) => keep(Buffer.from(`spawn error: ${e.message}\n`)));
    children.push(ch);
    return ch;
  };

  const waitFor = async (what: string, deadline: number, ready: () => Promise<boolean>): Promise<void> => {
    for (;;) {
      const dead = children.find(exited);
      if (dead !== undefined) throw new Error(`slurm: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}) while waiting for ${what}\n${output()}`);
      if (await ready()) return;
      if (performance.now() > deadline) throw new Error(`slurm: timed out waiting for ${what}\n${output()}`);
      await sleep(100);
    }
  };

  try {
    for (const d of ['state', 'spool', 'log', 'out']) await mkdir(join(dir, d), { recursive: true });
    await writeFile(join(dir, 'munge.key'), randomBytes(1024), { mode: 0o400 });
    const [ctldPort, slurmdPort] = [await freePort(), await freePort()];
    await writeFile(confPath, renderSlurmConf({ dir, nodeName, ctldPort, slurmdPort, cpus, memMb, extraConf: opts.extraConf }));
    await writeFile(join(dir, 'cgroup.conf'), renderCgroupConf());

    const deadline = performance.now() + startTimeoutMs;
    const socket = join(dir, 'munge.socket');
    startDaemon('munged', bin.munged, [
      '-F', '--force', `--key-file=${join(dir, 'munge.key')}`, `--socket=${socket}`, `--pid-file=${join(dir, 'munged.pid')}`,
      `--seed-file=${join(dir, 'munged.seed')}`, `--log-file=${join(dir, 'log', 'munged.log')}`,
    ]);
    await waitFor('the munge socket', deadline, async () => existsSync(socket));
    startDaemon('slurmctld', bin.slurmctld, ['-D', '-f', confPath]);
    startDaemon('slurmd', bin.slurmd, ['-D', '-f', confPath, '-N', nodeName]);
    await waitFor(`node ${nodeName} idle in sinfo`, deadline, async () => {
      const r = await run(bin.sinfo, ['-h', '-N', '-o', '%N %T'], env, undefined, 10_000);
      return r.code === 0 && r.stdout.split('\n').some((l) => l.trim() === `${nodeName} idle`);
    });
  } catch (e) {
    await stop();
    throw e;
  }

  const submitOne = async (cmd: string): Promise<string> => {
    const r = await run(bin.sbatch, ['--parsable', '--wrap', cmd], env, outDir);
    const id = r.code === 0 ? parseSbatchId(r.stdout) : undefined;
    if (id === undefined) throw new Error(`slurm: sbatch --wrap failed (${r.code}): ${r.stdout} ${r.stderr}`);
    return id;
  };

  return {
    dir,
    confPath,
    output,
    stop,
    async submit(n, cmd) {
      const t0 = performance.now();
      const jobIds = await pool(Array.from({ length: n }, () => cmd), concurrency, submitOne);
      return { submitMs: performance.now() - t0, jobIds };
    },
    async waitAllDone(jobIds, timeoutMs) {
      const t0 = performance.now();
      for (;;) {
        const r = await run(bin.scontrol, ['show', 'job', '-o'], env, undefined, 30_000);
        if (r.code !== 0) throw new Error(`slurm: scontrol show job failed (${r.code}): ${r.stderr}`);
        const { done, failed } = countDone(jobIds, parseJobStates(r.stdout));
        const elapsed = performance.now() - t0;
        if (done === jobIds.length) return { doneMs: elapsed, failed };
        if (elapsed > timeoutMs) throw new Error(`slurm: ${jobIds.length - done} of ${jobIds.length} jobs not done after ${timeoutMs} ms`);
        await sleep(pollMs);
      }
    },
  };
}
