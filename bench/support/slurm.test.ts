/**
 * bench/support/slurm.ts: the pure pieces (slurm.conf, `scontrol show job -o` and `sbatch --parsable`
 * parsing, done/failed counting) table-driven, and one real run: a private one-node Slurm cluster
 * (installed with apt-get when missing) runs 5 `sbatch --wrap true` jobs and is stopped, after which no
 * munged/slurm process started by it is left and its directory is gone.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countDone, parseJobStates, parseSbatchId, renderCgroupConf, renderSlurmConf, startLocalSlurm } from './slurm.ts';

test('renderSlurmConf: one node on loopback, own ports and dirs, no cgroup proctrack, no accounting', (t) => {
  const conf = renderSlurmConf({ dir: '/w/slurm-x', nodeName: 'vm', ctldPort: 40001, slurmdPort: 40002, cpus: 8, memMb: 4096, extraConf: ['SchedulerParameters=batch_sched_delay=0'] });
  const lines = new Set(conf.split('\n'));
  for (const expected of [
    'SlurmctldHost=vm(127.0.0.1)',
    'SlurmctldPort=40001',
    'SlurmdPort=40002',
    'AuthInfo=socket=/w/slurm-x/munge.socket',
    'StateSaveLocation=/w/slurm-x/state',
    'SlurmdSpoolDir=/w/slurm-x/spool',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'AccountingStorageType=accounting_storage/none',
    'JobAcctGatherType=jobacct_gather/none',
    'NodeName=vm NodeAddr=127.0.0.1 CPUs=8 RealMemory=4096 State=UNKNOWN',
    'PartitionName=bench Nodes=vm Default=YES MaxTime=INFINITE State=UP',
    'SchedulerParameters=batch_sched_delay=0',
  ]) {
    t.true(lines.has(expected), expected);
  }
  t.false(conf.includes('cgroup'), 'nothing in slurm.conf asks for cgroups');
  t.true(renderCgroupConf().split('\n').includes('ConstrainCores=no'));
});

test('parseJobStates reads JobId and JobState from scontrol one-liners', (t) => {
  const out = [
    'JobId=1 JobName=wrap UserId=root(0) GroupId=root(0) Priority=4294901759 JobState=COMPLETED Reason=None ExitCode=0:0',
    'JobId=2 JobName=wrap UserId=root(0) GroupId=root(0) Priority=4294901758 JobState=PENDING Reason=Resources ExitCode=0:0',
    'JobId=17 JobName=wrap JobState=OUT_OF_MEMORY Reason=OutOfMemory',
    '',
  ].join('\n');
  t.deepEqual([...parseJobStates(out)], [['1', 'COMPLETED'], ['2', 'PENDING'], ['17', 'OUT_OF_MEMORY']]);
  t.is(parseJobStates('No jobs in the system\n').size, 0);
});

test('countDone: terminal states are done, all but COMPLETED failed, unknown ids not done', (t) => {
  const states = new Map([['1', 'COMPLETED'], ['2', 'RUNNING'], ['3', 'FAILED'], ['4', 'CANCELLED'], ['5', 'COMPLETING'], ['6', 'TIMEOUT']]);
  const cases: [string[], { done: number; failed: number }][] = [
    [['1'], { done: 1, failed: 0 }],
    [['1', '2'], { done: 1, failed: 0 }], // RUNNING is not done
    [['1', '3', '4', '6'], { done: 4, failed: 3 }], // FAILED, CANCELLED, TIMEOUT failed
    [['5'], { done: 0, failed: 0 }], // COMPLETING still holds its node
    [['99'], { done: 0, failed: 0 }], // not listed
  ];
  for (const [ids, expected] of cases) t.deepEqual(countDone(ids, states), expected, ids.join(','));
});

test('parseSbatchId: id or id;cluster, nothing else', (t) => {
  const cases: [string, string | undefined][] = [
    ['12\n', '12'],
    ['13;maestro-bench\n', '13'],
    ['sbatch: error: Batch job submission failed\n', undefined],
    ['', undefined],
  ];
  for (const [stdout, expected] of cases) t.is(parseSbatchId(stdout), expected, JSON.stringify(stdout));
});

const SLURM_COMMS = new Set(['munged', 'slurmctld', 'slurmd', 'slurmstepd', 'slurmscriptd']);

/** Pids of munge/slurm processes on this host, zombies included, by /proc/<pid>/comm and cmdline. */
function slurmPids(): Set<number> {
  const pids = new Set<number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const comm = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
      const cmd = readFileSync(`/proc/${e}/cmdline`, 'latin1').split('\0')[0] ?? '';
      if (SLURM_COMMS.has(comm) || /^(slurmctld|slurmstepd):/.test(cmd)) pids.add(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

test('a local Slurm cluster runs 5 sbatch --wrap true jobs and leaves nothing behind', async (t) => {
  t.timeout(600_000); // includes apt-get install on a host without slurm-wlm
  const before = slurmPids();
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-slurm-test-'));
  try {
    const slurm = await startLocalSlurm({ workDir, cpus: 4, memMb: 1024 });
    const dir = slurm.dir;
    try {
      t.true(existsSync(slurm.confPath));
      t.true([...slurmPids()].filter((p) => !before.has(p)).length >= 3, 'munged, slurmctld and slurmd run');
      const { jobIds, submitMs } = await slurm.submit(5, 'true');
      t.is(jobIds.length, 5);
      t.is(new Set(jobIds).size, 5);
      t.true(submitMs > 0);
      const { failed, doneMs } = await slurm.waitAllDone(jobIds, 120_000);
      t.is(failed, 0);
      t.true(doneMs >= 0);
      t.is(readdirSync(join(dir, 'out')).filter((f) => /^slurm-\d+\.out$/.test(f)).length, 5);
    } finally {
      await slurm.stop();
    }
    t.false(existsSync(dir), 'cluster directory removed');
    // Orphans are reaped by init asynchronously: give it a moment before declaring a leftover.
    let left: number[] = [];
    for (let i = 0; i < 50; i++) {
      left = [...slurmPids()].filter((p) => !before.has(p));
      if (left.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    t.deepEqual(left, [], 'no slurm or munge process left');
    await slurm.stop(); // idempotent
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
});
