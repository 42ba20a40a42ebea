import test from 'ava';
import { Resources } from '../../common/resources/resources.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { checkVolumes, readContainerRequest } from './container-image.ts';

const ports = Resources.parse('cpus:1;mem:64;ports:[31000-31009]');
const docker = (docker: Partial<mesos.v1.ContainerInfo.DockerInfo>, extra: Partial<mesos.v1.ContainerInfo> = {}): mesos.v1.ContainerInfo => ({
  type: 'DOCKER', docker: { image: 'busybox', ...docker }, ...extra,
});

test('no ContainerInfo, or one without an image: host networking, no image', (t) => {
  t.deepEqual(readContainerRequest(undefined, ports), { ok: true, image: undefined, network: { kind: 'host' } });
  t.deepEqual(readContainerRequest({ type: 'MESOS', volumes: [] }, ports), { ok: true, image: undefined, network: { kind: 'host' } });
});

test('the image of a DOCKER container (force_pull_image) and of a MESOS one (cached = false pulls)', (t) => {
  t.like(readContainerRequest(docker({ force_pull_image: true }), ports), { ok: true, image: { reference: 'busybox', forcePull: true }, network: { kind: 'host' } });
  t.like(readContainerRequest(docker({ network: 'HOST' }), ports), { ok: true, image: { reference: 'busybox', forcePull: false } });
  const mesosImage = (image: mesos.v1.Image): mesos.v1.ContainerInfo => ({ type: 'MESOS', mesos: { image } });
  t.like(readContainerRequest(mesosImage({ type: 'DOCKER', docker: { name: 'library/busybox:1' } }), ports), { ok: true, image: { reference: 'library/busybox:1', forcePull: false } });
  t.like(readContainerRequest(mesosImage({ type: 'DOCKER', docker: { name: 'busybox' }, cached: false }), ports), { ok: true, image: { forcePull: true } });
});

test('BRIDGE: Docker port mappings and the mesos-bridge network, protocols lower-cased, tcp by default', (t) => {
  t.deepEqual(readContainerRequest(docker({ network: 'BRIDGE', port_mappings: [{ host_port: 31000, container_port: 80 }, { host_port: 31001, container_port: 53, protocol: 'UDP' }] }), ports), {
    ok: true,
    image: { reference: 'busybox', forcePull: false },
    network: { kind: 'bridge', portMappings: [{ hostPort: 31000, containerPort: 80, protocol: 'tcp' }, { hostPort: 31001, containerPort: 53, protocol: 'udp' }] },
  });
  const mesosBridge: mesos.v1.ContainerInfo = {
    type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: 'busybox' } } },
    network_infos: [{ name: 'mesos-bridge', port_mappings: [{ host_port: 31009, container_port: 8080, protocol: 'tcp' }] }],
  };
  t.like(readContainerRequest(mesosBridge, ports), { ok: true, network: { kind: 'bridge', portMappings: [{ hostPort: 31009, containerPort: 8080, protocol: 'tcp' }] } });
  t.like(readContainerRequest(docker({ network: 'BRIDGE' }), ports), { ok: true, network: { kind: 'bridge', portMappings: [] } });
});

test('refusals name the field', (t) => {
  const cases: Array<[mesos.v1.ContainerInfo, Resources, string]> = [
    [docker({ image: ' ' }), ports, 'container.docker.image: a DOCKER container needs an image'],
    [{ type: 'MESOS', mesos: { image: { type: 'APPC', appc: { name: 'x' } } } }, ports, 'container.mesos.image.type: APPC images are not supported (DOCKER images are)'],
    [{ type: 'MESOS', mesos: { image: { type: 'DOCKER', docker: { name: '' } } } }, ports, 'container.mesos.image.docker.name: the image needs a name'],
    [docker({ network: 'NONE' }), ports, 'container.docker.network: NONE networking is not supported (HOST and BRIDGE are)'],
    [docker({ network: 'BRIDGE', port_mappings: [{ host_port: 80, container_port: 80 }] }), ports, "container.docker.port_mappings[0].host_port: 80 is not one of the task's ports resources"],
    [docker({ network: 'BRIDGE', port_mappings: [{ host_port: 31000, container_port: 0 }] }), ports, 'container.docker.port_mappings[0].container_port: expected a port from 1 to 65535, got 0'],
    [docker({ network: 'BRIDGE', port_mappings: [{ host_port: 31000, container_port: 80, protocol: 'sctp' }] }), ports, "container.docker.port_mappings[0].protocol: expected tcp or udp, got 'sctp'"],
    [docker({ network: 'BRIDGE', port_mappings: [{ host_port: 31000, container_port: 80 }, { host_port: 31000, container_port: 81 }] }), ports, 'container.docker.port_mappings[1].host_port: tcp/31000 is mapped twice'],
    [{ type: 'MESOS', network_infos: [{ name: 'mesos-bridge', port_mappings: [] }] }, ports, 'container.network_infos[0].port_mappings: bridge networking needs a container image'],
    [{ type: 'MESOS', network_infos: [{ name: 'weave' }] }, ports, "container.network_infos[0].name: unknown network 'weave' (available: mesos-bridge)"],
    [{ type: 'MESOS', network_infos: [{ port_mappings: [{ host_port: 31000, container_port: 80 }] }] }, ports, "container.network_infos[0].port_mappings: port mappings need a bridge network (name 'mesos-bridge')"],
  ];
  for (const [container, resources, message] of cases) t.deepEqual(readContainerRequest(container, resources), { ok: false, message }, message);
});

test('volumes: absolute host paths under --allowed_host_paths (given and resolved; an allowed dir may be a symlink) are bound resolved; sandbox ones may not lead out of the sandbox', (t) => {
  // The file system of this test: realpath of the paths that exist.
  const fs: Record<string, string> = {
    '/data': '/mnt/disk/data', '/data/ok': '/mnt/disk/data/ok', '/data/link': '/etc', '/etc': '/etc', '/mnt/disk/data': '/mnt/disk/data',
    '/sb': '/sb', '/sb/rel': '/sb/rel', '/sb/rel/dir': '/sb/rel/dir', '/sb/d': '/', '/': '/',
  };
  const real = (p: string) => fs[p];
  const vol = (host_path: string): mesos.v1.Volume => ({ container_path: '/c', host_path, mode: 'RO' });
  const sandboxVol = (path: string): mesos.v1.Volume => ({ container_path: '/s', mode: 'RW', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'SELF', path } } });
  const hostSource = (path: string): mesos.v1.Volume => ({ container_path: '/h', mode: 'RW', source: { type: 'HOST_PATH', host_path: { path } } });

  const anywhere = checkVolumes([vol('/etc'), vol('rel/dir'), vol('new/dir'), sandboxVol('rel')], undefined, '/sb', real);
  t.deepEqual(anywhere, { ok: true, volumes: [vol('/etc'), vol('rel/dir'), vol('new/dir'), sandboxVol('rel')] }, 'no list: anywhere; sandbox paths that do not exist yet are made in it');
  t.deepEqual(checkVolumes([vol('/data/ok'), hostSource('/data')], ['/data/'], '/sb', real), { ok: true, volumes: [vol('/mnt/disk/data/ok'), hostSource('/mnt/disk/data')] }, 'bound by their resolved paths');
  const refused: Array<[mesos.v1.Volume[], string[] | undefined, string]> = [
    [[vol('/data/ok'), vol('/etc')], ['/data'], "container.volumes[1].host_path: '/etc' is not under the allowed host paths (/data)"],
    [[vol('/data/link')], ['/data'], "container.volumes[0].host_path: '/data/link' is not under the allowed host paths (/data)"],
    [[vol('/database')], ['/data'], "container.volumes[0].host_path: '/database' is not under the allowed host paths (/data)"],
    [[vol('d')], undefined, "container.volumes[0]: 'd' leads out of the sandbox (to '/')"],
    [[vol('d/root/.ssh')], undefined, "container.volumes[0]: 'd/root/.ssh' leads out of the sandbox (to '/')"],
    [[sandboxVol('d')], undefined, "container.volumes[0]: 'd' leads out of the sandbox (to '/')"],
    [[sandboxVol('../x')], undefined, "container.volumes[0]: '../x' leads out of the sandbox (to '/')"],
  ];
  for (const [volumes, allowed, message] of refused) t.deepEqual(checkVolumes(volumes, allowed, '/sb', real), { ok: false, message }, message);
});
