import test from 'ava';
import type { AppDefinition } from '../model.ts';
import { alignHostPorts, declaredPorts, networkMode, type NetworkMode } from './app-ports.ts';
import { app } from './test-builders.ts';

const docker = { image: 'x', forcePullImage: false, privileged: false, parameters: [] };

const modes: ReadonlyArray<[string, AppDefinition, NetworkMode]> = [
  ['default host', app(), 'host'],
  ['networks bridge', app({ networks: [{ mode: 'container/bridge' }] }), 'bridge'],
  ['networks container', app({ networks: [{ mode: 'container', name: 'n' }] }), 'container'],
  ['1.4 docker BRIDGE', app({ networks: [], container: { type: 'DOCKER', docker: { ...docker, network: 'BRIDGE' }, volumes: [] } }), 'bridge'],
  ['1.4 docker USER', app({ networks: [], container: { type: 'DOCKER', docker: { ...docker, network: 'USER' }, volumes: [] } }), 'container'],
  ['no networks, no docker network', app({ networks: [] }), 'host'],
];
for (const [name, a, want] of modes) test(`network mode: ${name} -> ${want}`, (t) => t.is(networkMode(a), want));

test('host networking: definitions are dynamic host ports unless requirePorts', (t) => {
  const defs = [{ port: 8080, protocol: 'tcp', name: 'http' }, { port: 0, protocol: 'udp' }];
  t.deepEqual(declaredPorts(app({ portDefinitions: defs })).map((p) => [p.requested, p.hostPort, p.name]), [[8080, 0, 'http'], [0, 0, undefined]]);
  t.deepEqual(declaredPorts(app({ portDefinitions: defs, requirePorts: true })).map((p) => p.hostPort), [8080, 0]);
});

test('bridge: mappings with their container and host ports; host ports aligned back', (t) => {
  const a = app({
    networks: [{ mode: 'container/bridge' }], portDefinitions: [],
    container: { type: 'DOCKER', docker, volumes: [], portMappings: [
      { containerPort: 80, hostPort: 0, servicePort: 0, protocol: 'tcp' },
      { containerPort: 81, servicePort: 0, protocol: 'tcp' },
      { containerPort: 82, hostPort: 9000, servicePort: 0, protocol: 'tcp' },
    ] },
  });
  t.deepEqual(declaredPorts(a).map((p) => [p.containerPort, p.hostPort]), [[80, 0], [81, undefined], [82, 9000]]);
  t.deepEqual(alignHostPorts(a, [31000, 9000]), [31000, undefined, 9000]);
});
