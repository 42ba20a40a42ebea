import test from 'ava';
import type { Container, DockerSpec } from '../model.ts';
import { app } from '../placement/test-builders.ts';
import { containerInfo, MESOS_BRIDGE_NAME } from './container-info.ts';

const docker = (over: Partial<DockerSpec> = {}): DockerSpec => ({ image: 'busybox:1', forcePullImage: false, privileged: false, parameters: [], ...over });
const mapping = (containerPort: number, hostPort?: number, protocol = 'tcp') => ({ containerPort, hostPort, servicePort: 0, protocol });

test('no container and host networking: no ContainerInfo', (t) => {
  t.is(containerInfo(app(), 't1', [31000]), undefined);
});

test('DOCKER, host networking', (t) => {
  const c: Container = { type: 'DOCKER', docker: docker({ forcePullImage: true, privileged: true, parameters: [{ key: 'cap-add', value: 'NET_ADMIN' }] }), volumes: [] };
  t.deepEqual(containerInfo(app({ container: c }), 't1', [31000]), {
    type: 'DOCKER',
    docker: {
      image: 'busybox:1', network: 'HOST', privileged: true, force_pull_image: true,
      parameters: [{ key: 'cap-add', value: 'NET_ADMIN' }, { key: 'label', value: 'MESOS_TASK_ID=t1' }],
    },
  });
});

test('DOCKER, bridge: mappings bound to host ports, container port 0 takes the host port, protocols split', (t) => {
  const c: Container = { type: 'DOCKER', docker: docker(), volumes: [], portMappings: [mapping(80, 0, 'tcp,udp'), mapping(0, 0), mapping(9000)] };
  const info = containerInfo(app({ container: c, networks: [{ mode: 'container/bridge' }] }), 't1', [31000, 31001, undefined]);
  t.is(info?.docker?.network, 'BRIDGE');
  t.deepEqual(info?.docker?.port_mappings, [
    { host_port: 31000, container_port: 80, protocol: 'tcp' },
    { host_port: 31000, container_port: 80, protocol: 'udp' },
    { host_port: 31001, container_port: 31001, protocol: 'tcp' },
  ]);
  t.is(info?.network_infos, undefined);
});

test('DOCKER, user network: network USER and the network named', (t) => {
  const c: Container = { type: 'DOCKER', docker: docker(), volumes: [], portMappings: [mapping(80)] };
  const info = containerInfo(app({ container: c, networks: [{ mode: 'container', name: 'dcos' }] }), 't1', [undefined]);
  t.is(info?.docker?.network, 'USER');
  t.deepEqual(info?.network_infos, [{ name: 'dcos' }]);
  t.is(info?.docker?.port_mappings, undefined);
});

test('MESOS with a docker image, host-path volumes only', (t) => {
  const c: Container = {
    type: 'MESOS', docker: docker({ image: 'nginx:1.25', forcePullImage: false }),
    volumes: [
      { containerPath: '/data', hostPath: '/srv/data', mode: 'RO' },
      { containerPath: 'pv', mode: 'RW', persistent: { size: 10 } },
      { containerPath: 'ext', mode: 'RW', external: { name: 'x' } },
    ],
  };
  t.deepEqual(containerInfo(app({ container: c }), 't1', []), {
    type: 'MESOS',
    mesos: { image: { type: 'DOCKER', docker: { name: 'nginx:1.25' }, cached: true } },
    volumes: [{ container_path: '/data', host_path: '/srv/data', mode: 'RO' }],
  });
});

test('MESOS without an image; bridge network with the mappings that have host ports', (t) => {
  const c: Container = { type: 'MESOS', volumes: [], portMappings: [mapping(80, 0), mapping(81)] };
  t.deepEqual(containerInfo(app({ container: c, networks: [{ mode: 'container/bridge', labels: { a: 'b' } }] }), 't1', [31000, undefined]), {
    type: 'MESOS',
    mesos: {},
    network_infos: [{
      ip_addresses: [{}], name: MESOS_BRIDGE_NAME, labels: { labels: [{ key: 'a', value: 'b' }] },
      port_mappings: [{ host_port: 31000, container_port: 80, protocol: 'tcp' }],
    }],
  });
});

test('1.4 definitions: docker.network BRIDGE without networks', (t) => {
  const c: Container = { type: 'DOCKER', docker: docker({ network: 'BRIDGE', portMappings: [mapping(8080, 0)] }), volumes: [] };
  const info = containerInfo(app({ container: c, networks: [] }), 't1', [31002]);
  t.is(info?.docker?.network, 'BRIDGE');
  t.deepEqual(info?.docker?.port_mappings, [{ host_port: 31002, container_port: 8080, protocol: 'tcp' }]);
});
