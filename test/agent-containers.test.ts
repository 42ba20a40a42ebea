/**
 * Containers with images and native namespaces through a real master and agent, as root on this
 * host: an image pulled from a real `docker-registry` on loopback (token authentication) runs
 * under runc in the agent's cgroups; it sees its image's root filesystem and only its own
 * processes; a BRIDGE container answers on its mapped host port (127.0.0.1, NAT through the
 * test's own bridge); an OOM kill inside a container is reported with the memory limitation; a
 * container outlives a kill -9 of its agent and its exit is reported after the restart; an
 * unknown image fails the task with REASON_CONTAINER_LAUNCH_FAILED; a native task under
 * namespaces/pid and filesystem/linux sees only its processes, a private /tmp and its volumes.
 * After every end (finish, kill, failure, restart) no runc container, mount, cgroup, network
 * namespace or NAT rule of it is left. Each test has its own cgroups root, bridge, subnet and
 * work dir; teardown removes them, also on failure. Assertions are on states and kernel facts,
 * never on time.
 */
import test, { type ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupHierarchy } from '../slave/isolators/cgroups/hierarchy.ts';
import { cleanupContainers, mountsUnder, natRulesOf, netnsOf, removeCgroupRoot, runcContainers } from './support/container-cleanup.ts';
import { hostCgroups } from './support/host-cgroups.ts';
import { frameworkInfo, subscribe, subscribeCall, type Json } from './support/http-scheduler.ts';
import { startAgent, startMaster, type Flags, type MaestroProcess } from './support/maestro-process.ts';
import { acceptOffer, autoAck, scalar, until, update, type Cluster } from './support/task-cluster.ts';
import { buildBusyboxOciLayout } from './support/test-images.ts';
import { startTestRegistry, type TestRegistry } from './support/test-registry.ts';

const { layout } = hostCgroups();
const RESOURCES = 'cpus:4;mem:4096;disk:4096;ports:[31000-31100]';
let n = 0;
let registry: TestRegistry;
let image: string;

test.before(async () => {
  registry = await startTestRegistry({ auth: 'token' });
  const dir = mkdtempSync(join(tmpdir(), 'maestro-ct-image-'));
  try {
    buildBusyboxOciLayout(dir, {
      name: 'test/busybox', tag: '1', env: ['FROM_IMAGE=yes'],
      extraFiles: { '/etc/marker': 'from-the-image\n', '/www/index.html': 'hello from the container\n' },
    });
    await registry.push(dir, 'test/busybox:1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  image = `${registry.host}/test/busybox:1`;
});
test.after.always(() => registry?.stop());

interface ContainerCluster extends Cluster {
  readonly workDir: string;
  readonly root: string;
  readonly hierarchy: CgroupHierarchy;
  readonly bridge: { name: string; subnet: string };
  restartAgent(): Promise<void>;
  agentNow(): MaestroProcess;
}

/**
 * Master, agent (cgroups/cpu,cgroups/mem, its own cgroups root, bridge and subnet, the registry's
 * credentials) and a framework that acknowledges everything. Teardown, last registered first:
 * agent killed, containers and bridge removed, work dir removed, cgroups destroyed.
 */
async function containerCluster(t: ExecutionContext, extra: Flags = {}, workParent = tmpdir()): Promise<ContainerCluster> {
  const i = ++n;
  const root = `maestro-test-${process.pid}-ct${i}`;
  const hierarchy = new CgroupHierarchy({ layout, root, subsystems: ['cpu', 'cpuacct', 'memory'] });
  t.teardown(() => {
    hierarchy.destroyAll();
    removeCgroupRoot(root);
  });
  const workDir = mkdtempSync(join(workParent, 'maestro-ct-agent-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
  const bridge = { name: `mct${process.pid % 10000}x${i}`, subnet: `10.252.${(process.pid + i * 7) % 250}.0/24` };
  t.teardown(() => cleanupContainers(workDir, bridge));
  const master = await startMaster({ allocation_interval: '50ms', quiet: true });
  t.teardown(() => master.stop());
  const flags: Flags = {
    resources: RESOURCES, isolation: 'cgroups/cpu,cgroups/mem', cgroups_root: root,
    docker_config: registry.dockerConfig, bridge_name: bridge.name, bridge_subnet: bridge.subnet, ...extra,
  };
  let agent = await startAgent(master.url, flags, { workDir });
  t.teardown(() => agent.kill());
  const sub = await subscribe(master.url, subscribeCall(frameworkInfo({ name: 'containers-test', checkpoint: true })));
  t.teardown(() => sub.close());
  t.is(sub.status, 200, sub.errorText);
  await sub.waitForEvent('SUBSCRIBED');
  const c = {
    master, sub, frameworkId: sub.frameworkId(), workDir, root, hierarchy, bridge,
    get agent() { return agent; },
    agentNow: () => agent,
    /** Kill -9 and start again on the same work dir and port; resolves once the master has it back (re-registered, active): a call before that could miss it. */
    async restartAgent() {
      const port = new URL(agent.url).port;
      await agent.kill();
      agent = await startAgent(master.url, { ...flags, port }, { workDir });
      for (let i = 0; ; i++) {
        const slaves = ((await fetch(`${master.url}/master/slaves`).then((r) => r.json())) as Json).slaves as Json[];
        if (slaves.length === 1 && slaves[0].reregistered_time !== undefined && slaves[0].active === true) break;
        if (i >= 400) throw new Error('the restarted agent did not re-register');
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
  autoAck(c);
  return c as ContainerCluster;
}

function task(offer: Json, id: string, command: string, extra: Json = {}, resources: Json[] = [scalar('cpus', 0.1), scalar('mem', 64)]): Json {
  return { name: id, task_id: { value: id }, agent_id: offer.agent_id, resources, command: { value: command, shell: true }, ...extra };
}
const launchOp = (...tasks: Json[]) => [{ type: 'LAUNCH', launch: { task_infos: tasks } }];
const dockerContainer = (docker: Json = {}) => ({ container: { type: 'DOCKER', docker: { image, ...docker } } });

/** The sandbox of a command task: `<work_dir>/slaves/<agent>/frameworks/<fw>/executors/<task>/runs/latest`. */
function sandboxOf(c: ContainerCluster, taskId: string): string {
  const slaves = join(c.workDir, 'slaves');
  for (const agentId of readdirSync(slaves)) {
    const dir = join(slaves, agentId, 'frameworks', c.frameworkId, 'executors', taskId, 'runs', 'latest');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`no sandbox for ${taskId}`);
}
const stdoutOf = (c: ContainerCluster, taskId: string) => readFileSync(join(sandboxOf(c, taskId), 'stdout'), 'utf8');

/** Nothing of the agent's containers is left: no runc container, no mount under the work dir, no container cgroup, no netns or NAT rule. */
async function nothingLeft(t: ExecutionContext, c: ContainerCluster): Promise<void> {
  await until(() => runcContainers(c.workDir).length === 0 && mountsUnder(c.workDir).length === 0 && c.hierarchy.list().length === 0 && netnsOf(c.bridge.name).length === 0, 'the containers to be cleaned up');
  t.deepEqual(runcContainers(c.workDir), [], 'runc containers');
  t.deepEqual(mountsUnder(c.workDir), [], 'mounts');
  t.deepEqual(c.hierarchy.list(), [], 'cgroups');
  t.deepEqual(netnsOf(c.bridge.name), [], 'network namespaces');
  if (spawnSync('iptables-save', ['-t', 'nat']).status === 0) t.deepEqual(natRulesOf(c.bridge.name), [], 'NAT rules');
}

test.serial('an image pulled from a registry with token auth runs under runc in its cgroup: its root filesystem, only its own processes, the sandbox at /mnt/mesos/sandbox; nothing left after', async (t) => {
  const c = await containerCluster(t);
  const before = registry.tokensIssued();
  await acceptOffer(c, (o) => launchOp(task(o, 'img', 'cat /etc/marker; echo "env=$FROM_IMAGE"; ps -o pid,comm; echo hi > /mnt/mesos/sandbox/written; sleep 1', dockerContainer())));
  await update(c, 'img', 'TASK_RUNNING', 60_000);
  const cg = c.hierarchy.list();
  t.is(cg.length, 1, 'the container has its cgroup');
  const finished = await update(c, 'img', 'TASK_FINISHED', 30_000);
  t.is(finished.update.status.source, 'SOURCE_EXECUTOR');
  const out = stdoutOf(c, 'img');
  t.regex(out, /^from-the-image\nenv=yes\n/);
  const ps = out.split('\n').slice(3).filter((l) => /^\s*\d+\s/.test(l));
  t.deepEqual(ps.map((l) => l.trim().split(/\s+/)[0]), ['1', ps.at(-1)!.trim().split(/\s+/)[0]!], `only the shell (pid 1) and ps: ${out}`);
  t.is(readFileSync(join(sandboxOf(c, 'img'), 'written'), 'utf8'), 'hi\n');
  t.true(registry.tokensIssued() > before, 'the pull went through the token server');
  await nothingLeft(t, c);
});

test.serial('a BRIDGE container answers on its mapped host port (127.0.0.1 through the bridge); a kill removes its namespace and NAT rules', async (t) => {
  const c = await containerCluster(t);
  const resources = [scalar('cpus', 0.1), scalar('mem', 64), { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31042, end: 31042 }] } }];
  // A Mesos-run HTTP health check on the container port: the agent probes the container's own address (Mesos probes from inside its namespace).
  const healthCheck = { type: 'HTTP', http: { port: 8080, path: '/index.html' }, interval_seconds: 0.5, delay_seconds: 0, grace_period_seconds: 30 };
  await acceptOffer(c, (o) => launchOp(task(o, 'web', 'exec httpd -f -p 8080 -h /www', { ...dockerContainer({ network: 'BRIDGE', port_mappings: [{ host_port: 31042, container_port: 8080, protocol: 'tcp' }] }), health_check: healthCheck }, resources)));
  const running = await update(c, 'web', 'TASK_RUNNING', 60_000);
  t.is(netnsOf(c.bridge.name).length, 1, 'a network namespace of its own');
  const [net] = running.update.status.container_status.network_infos as Json[];
  t.is(net.name, 'mesos-bridge');
  t.regex(net.ip_addresses[0].ip_address, new RegExp(`^${c.bridge.subnet.split('.').slice(0, 3).join('\\.')}\\.\\d+$`));
  t.deepEqual(net.port_mappings, [{ host_port: 31042, container_port: 8080, protocol: 'tcp' }]);
  let body = '';
  for (let i = 0; i < 200 && body === ''; i++) {
    body = await fetch('http://127.0.0.1:31042/index.html').then((r) => r.text(), () => '');
    if (body === '') await new Promise((r) => setTimeout(r, 50));
  }
  t.is(body, 'hello from the container\n');
  const healthy = await c.sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'web' && e.update.status.healthy === true, 30_000);
  t.is(healthy.update.status.reason, 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED');
  // The operator API: the container with its network and its cgroup's figures.
  const listed = await fetch(`${c.agentNow().url}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ type: 'GET_CONTAINERS' }) }).then((r) => r.json()) as Json;
  const [container] = listed.get_containers.containers as Json[];
  t.deepEqual(container.container_status.network_infos, running.update.status.container_status.network_infos);
  t.is(container.resource_statistics.mem_limit_bytes, 64 * 1024 * 1024);
  t.true(container.resource_statistics.processes >= 1);
  // After a restart of the agent, the recovered container still reports its network.
  await c.restartAgent();
  const again = await fetch(`${c.agentNow().url}/api/v1`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ type: 'GET_CONTAINERS' }) }).then((r) => r.json()) as Json;
  t.deepEqual(again.get_containers.containers[0].container_status.network_infos, running.update.status.container_status.network_infos);
  t.is(await fetch('http://127.0.0.1:31042/index.html').then((r) => r.text()), 'hello from the container\n', 'and still answers');
  const answer = await c.sub.call({ type: 'KILL', kill: { task_id: { value: 'web' } } });
  t.is(answer.status, 202);
  await update(c, 'web', 'TASK_KILLED', 30_000);
  await nothingLeft(t, c);
});

test.serial('an OOM kill inside a container ends it TASK_FAILED with REASON_CONTAINER_LIMITATION_MEMORY; nothing left', async (t) => {
  const c = await containerCluster(t);
  await acceptOffer(c, (o) => launchOp(task(o, 'hog', 'tail /dev/zero', dockerContainer(), [scalar('cpus', 0.1), scalar('mem', 32)])));
  const failed = await update(c, 'hog', 'TASK_FAILED', 60_000);
  t.is(failed.update.status.reason, 'REASON_CONTAINER_LIMITATION_MEMORY');
  t.is(failed.update.status.source, 'SOURCE_AGENT');
  t.regex(failed.update.status.message, /32/);
  await nothingLeft(t, c);
});

test.serial('a container outlives a kill -9 of its agent; after the restart its exit is reported and nothing is left', async (t) => {
  const c = await containerCluster(t);
  // A COMMAND health check runs inside the container: /etc/marker exists only in the image.
  const healthCheck = { type: 'COMMAND', command: { value: 'test -e /etc/marker && test "$PWD" = /mnt/mesos/sandbox' }, interval_seconds: 0.5, delay_seconds: 0, grace_period_seconds: 30 };
  await acceptOffer(c, (o) => launchOp(task(o, 'long', 'while [ ! -e /mnt/mesos/sandbox/go ]; do sleep 0.1; done; exit 3', { ...dockerContainer(), health_check: healthCheck })));
  await update(c, 'long', 'TASK_RUNNING', 60_000);
  await c.sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'long' && e.update.status.healthy === true, 30_000);
  const sandbox = sandboxOf(c, 'long');
  await c.agentNow().kill();
  t.is(runcContainers(c.workDir).length, 1, 'still running without its agent');
  const cursor = c.sub.events.length;
  await c.restartAgent();
  // The restarted agent checks the recovered container again, inside it.
  await c.sub.waitForEvent('UPDATE', (e) => e.update.status.task_id.value === 'long' && e.update.status.healthy === true, 30_000, cursor);
  writeFileSync(join(sandbox, 'go'), '');
  const failed = await update(c, 'long', 'TASK_FAILED', 30_000);
  t.regex(failed.update.status.message, /status 3/);
  await nothingLeft(t, c);
});

test.serial('an unknown image, an unreachable registry, a bad port mapping or a volume outside --allowed_host_paths fails the task with REASON_CONTAINER_LAUNCH_FAILED and a message; nothing left', async (t) => {
  const c = await containerCluster(t, { allowed_host_paths: '/var/tmp' });
  await acceptOffer(c, (o) => launchOp(
    task(o, 'nope', 'true', { container: { type: 'DOCKER', docker: { image: `${registry.host}/test/nope:1` } } }),
    task(o, 'unreachable', 'true', { container: { type: 'DOCKER', docker: { image: '127.0.0.1:1/test/busybox:1' } } }),
    task(o, 'badport', 'true', dockerContainer({ network: 'BRIDGE', port_mappings: [{ host_port: 80, container_port: 80 }] })),
    task(o, 'outside', 'true', { container: { type: 'DOCKER', docker: { image }, volumes: [{ container_path: '/host-etc', host_path: '/etc', mode: 'RO' }] } }),
  ));
  const unreachable = await update(c, 'unreachable', 'TASK_FAILED', 60_000);
  t.is(unreachable.update.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  t.regex(unreachable.update.status.message, /127\.0\.0\.1:1/);
  const outside = await update(c, 'outside', 'TASK_FAILED', 60_000);
  t.is(outside.update.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  t.regex(outside.update.status.message, /container\.volumes\[0\]\.host_path: '\/etc' is not under the allowed host paths \(\/var\/tmp\)/);
  const nope = await update(c, 'nope', 'TASK_FAILED', 60_000);
  t.is(nope.update.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  t.regex(nope.update.status.message, /test\/nope:1/);
  const bad = await update(c, 'badport', 'TASK_FAILED', 60_000);
  t.is(bad.update.status.reason, 'REASON_CONTAINER_LAUNCH_FAILED');
  t.regex(bad.update.status.message, /host_port: 80 is not one of the task's ports resources/);
  await nothingLeft(t, c);
});

test.serial('a native task under namespaces/pid and filesystem/linux: only its own processes, a private /tmp, a read-only volume', async (t) => {
  const data = mkdtempSync(join('/var/tmp', 'maestro-ct-volume-'));
  t.teardown(() => rmSync(data, { recursive: true, force: true }));
  writeFileSync(join(data, 'file'), 'from-the-host\n');
  mkdirSync(join(data, 'sub'));
  // The work dir cannot be under /tmp with filesystem/linux: the task's private /tmp would hide its sandbox.
  const c = await containerCluster(t, { isolation: 'cgroups/cpu,cgroups/mem,namespaces/pid,filesystem/linux' }, '/var/tmp');
  const volume = { container: { type: 'MESOS', volumes: [{ container_path: 'data', host_path: data, mode: 'RO' }] } };
  await acceptOffer(c, (o) => launchOp(task(o, 'ns', 'echo "pid=$$"; ls /proc | grep -c "^[0-9]"; echo private > /tmp/mine; cat data/file; touch data/x 2>/dev/null && echo writable || echo read-only', volume)));
  await update(c, 'ns', 'TASK_FINISHED', 30_000);
  const out = stdoutOf(c, 'ns').split('\n');
  t.is(out[0], 'pid=1');
  t.true(Number(out[1]) <= 3, `processes seen: ${out[1]} (the shell, ls, grep)`);
  t.deepEqual(out.slice(2, 4), ['from-the-host', 'read-only']);
  t.is(readFileSync(join(sandboxOf(c, 'ns'), 'tmp', 'mine'), 'utf8'), 'private\n');
  t.false(existsSync('/tmp/mine'));
  t.false(existsSync(join(data, 'x')));
  await nothingLeft(t, c);
});
