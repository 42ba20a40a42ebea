/** config.json of a task: environment, working directory, hosts file, and the spec's fixed parts. */
import test from 'ava';
import { DEFAULT_PATH } from '../../task-environment.ts';
import { buildOciConfig, containerCwd, containerEnvironment, hostsFile, type OciConfigInput } from './oci-config.ts';

test('containerEnvironment: image, then the task wins in place, MESOS_SANDBOX is the container path, PATH and HOME defaulted', (t) => {
  const env = containerEnvironment(['A=image', 'PATH=/image/bin', 'EMPTY=', 'B=x=y', 'A=image-again', 'BARE'], { A: 'task', MESOS_SANDBOX: '/host/sandbox', C: 'c' }, '/home/app');
  t.deepEqual(env, ['A=task', 'PATH=/image/bin', 'EMPTY=', 'B=x=y', 'BARE=', 'MESOS_SANDBOX=/mnt/mesos/sandbox', 'C=c', 'HOME=/home/app']);
  t.deepEqual(containerEnvironment([], { HOME: '/h' }, '/root'), ['HOME=/h', 'MESOS_SANDBOX=/mnt/mesos/sandbox', `PATH=${DEFAULT_PATH}`]);
  t.true(containerEnvironment([], { PATH: '/task/bin' }, '/').includes('PATH=/task/bin'));
  // the agent's default PATH does not replace the image's; a PATH the task chose does; without an image PATH the agent's is kept
  t.true(containerEnvironment(['PATH=/go/bin:/bin'], { PATH: '/host/default' }, '/', ['/host/default']).includes('PATH=/go/bin:/bin'));
  t.true(containerEnvironment(['PATH=/go/bin:/bin'], { PATH: '/task/bin' }, '/', ['/host/default']).includes('PATH=/task/bin'));
  t.true(containerEnvironment([], { PATH: '/host/default' }, '/', ['/host/default']).includes('PATH=/host/default'));
});

test("containerCwd: the task's, else the image's, else the sandbox (as Mesos)", (t) => {
  t.is(containerCwd('/task', '/image'), '/task');
  t.is(containerCwd(undefined, '/image'), '/image');
  t.is(containerCwd('', 'image-rel'), '/image-rel');
  t.is(containerCwd(undefined, undefined), '/mnt/mesos/sandbox');
  t.is(containerCwd(undefined, ''), '/mnt/mesos/sandbox');
});

test('hostsFile: own namespace: localhost and the hostname; host networking: the host file, plus a given hostname', (t) => {
  t.is(hostsFile('web-1', undefined), '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tweb-1\n');
  t.is(hostsFile(undefined, '127.0.0.1 localhost\n10.0.0.1 db'), '127.0.0.1 localhost\n10.0.0.1 db\n');
  t.is(hostsFile('given', '10.0.0.1 db\n'), '10.0.0.1 db\n127.0.1.1\tgiven\n');
  t.is(hostsFile(undefined, ''), '');
});

const base: OciConfigInput = {
  args: ['/bin/sh', '-c', 'echo hi'],
  env: ['PATH=/bin'],
  cwd: '/work',
  user: { uid: 1000, gid: 1000, additionalGids: [], home: '/home/app' },
  hostname: 'web-1',
  cgroupsPath: '/maestro/c1',
  network: { kind: 'host' },
  sandbox: '/var/lib/maestro/s1',
  etc: { hosts: '/run/c1/bundle/hosts', hostname: '/run/c1/bundle/hostname', resolvConf: '/run/c1/bundle/resolv.conf' },
  binds: [{ name: "volume '/data'", source: '/srv/data', destination: '/data', readonly: true, inSandbox: false }],
};

test('buildOciConfig: process, root and hostname', (t) => {
  const c = buildOciConfig(base);
  t.is(c.ociVersion, '1.0.2');
  t.deepEqual(c.process.args, base.args);
  t.deepEqual(c.process.env, base.env);
  t.is(c.process.cwd, '/work');
  t.deepEqual(c.process.user, { uid: 1000, gid: 1000 });
  t.false(c.process.terminal);
  t.true(c.process.noNewPrivileges);
  t.is(c.process.capabilities.bounding.length, 14); // Docker's default set
  t.true(c.process.capabilities.effective.includes('CAP_NET_BIND_SERVICE'));
  t.false(c.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  t.false('rlimits' in c.process); // never above the hard limits: none at all (DESIGN.md §5)
  t.false('oomScoreAdj' in c.process);
  t.deepEqual(c.root, { path: 'rootfs', readonly: false });
  t.is(c.hostname, 'web-1');
  t.deepEqual(buildOciConfig({ ...base, user: { ...base.user, additionalGids: [2000] } }).process.user, { uid: 1000, gid: 1000, additionalGids: [2000] });
});

test('buildOciConfig: mounts in order, the sandbox rw, /etc files ro, volumes with their mode', (t) => {
  const c = buildOciConfig(base);
  t.deepEqual(c.mounts.map((m) => m.destination), [
    '/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup',
    '/mnt/mesos/sandbox', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/data',
  ]);
  const byDest = new Map(c.mounts.map((m) => [m.destination, m]));
  t.deepEqual(byDest.get('/mnt/mesos/sandbox'), { destination: '/mnt/mesos/sandbox', type: 'bind', source: '/var/lib/maestro/s1', options: ['rbind', 'rprivate', 'rw'] });
  t.deepEqual(byDest.get('/etc/resolv.conf'), { destination: '/etc/resolv.conf', type: 'bind', source: '/run/c1/bundle/resolv.conf', options: ['rbind', 'rprivate', 'ro'] });
  t.deepEqual(byDest.get('/data')?.options, ['rbind', 'rprivate', 'ro']);
  t.true(byDest.get('/sys')?.options?.includes('ro'));
  const rw = buildOciConfig({ ...base, binds: [{ ...base.binds[0], readonly: false }] });
  t.deepEqual(rw.mounts.at(-1)?.options, ['rbind', 'rprivate', 'rw']);
});

test('buildOciConfig: namespaces, network only for a namespace, cgroupsPath, devices only', (t) => {
  const host = buildOciConfig(base);
  t.deepEqual(host.linux.namespaces, [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
  const ns = buildOciConfig({ ...base, network: { kind: 'namespace', netnsPath: '/var/run/netns/n1' } });
  t.deepEqual(ns.linux.namespaces.at(-1), { type: 'network', path: '/var/run/netns/n1' });
  t.is(host.linux.cgroupsPath, '/maestro/c1');
  t.deepEqual(Object.keys(host.linux.resources), ['devices']);
  t.deepEqual(host.linux.resources.devices[0], { allow: false, access: 'rwm' });
  t.true(host.linux.resources.devices.some((d) => d.allow && d.type === 'c' && d.major === 1 && d.minor === 3)); // /dev/null
  t.true(host.linux.maskedPaths.includes('/proc/kcore'));
  t.true(host.linux.readonlyPaths.includes('/proc/sys'));
});
