/** Volumes to binds: host and container sides, modes, what is refused, and the mount order. */
import test from 'ava';
import type { mesos } from '../../../proto/types.generated.ts';
import { planVolumes } from './oci-volumes.ts';

const SB = '/var/lib/maestro/sandbox';

test('planVolumes: absolute and relative sides, modes, parents before children', (t) => {
  const volumes: mesos.v1.Volume[] = [
    { container_path: '/data/deep/er', host_path: '/srv/deeper', mode: 'RW' },
    { container_path: '/data/', host_path: '/srv/data/', mode: 'RO' },
    { container_path: 'cache', host_path: 'cache-dir', mode: 'RW' },
    { container_path: '/logs', mode: 'RW', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'SELF', path: 'logs' } } },
    { container_path: '/etc/app', mode: 'RO', source: { type: 'HOST_PATH', host_path: { path: '/etc/app-config' } } },
  ];
  const r = planVolumes(volumes, SB);
  t.deepEqual(r, {
    ok: true,
    binds: [
      { name: "volume '/data/'", source: '/srv/data/', destination: '/data', readonly: true, inSandbox: false }, // depth 2, listed 2nd
      { name: "volume '/logs'", source: `${SB}/logs`, destination: '/logs', readonly: false, inSandbox: true }, // depth 2, listed 4th
      { name: "volume '/etc/app'", source: '/etc/app-config', destination: '/etc/app', readonly: true, inSandbox: false }, // depth 3
      { name: "volume '/data/deep/er'", source: '/srv/deeper', destination: '/data/deep/er', readonly: false, inSandbox: false }, // depth 4
      { name: "volume 'cache'", source: `${SB}/cache-dir`, destination: '/mnt/mesos/sandbox/cache', readonly: false, inSandbox: true }, // depth 5
    ],
  });
});

const refused: [string, mesos.v1.Volume, RegExp][] = [
  ['.. in the container path', { container_path: '/data/../etc', host_path: '/srv', mode: 'RW' }, /'\.\.' segment/],
  ['relative container path climbing out', { container_path: '../x', host_path: '/srv', mode: 'RW' }, /'\.\.' segment/],
  ['relative host path climbing out of the sandbox', { container_path: '/x', host_path: '../../etc', mode: 'RW' }, /host path '\.\.\/\.\.\/etc'/],
  ['no host path', { container_path: '/x', mode: 'RW' }, /no host path/],
  ['no container path', { container_path: '', host_path: '/srv', mode: 'RW' }, /no container path/],
  ['over the root', { container_path: '/', host_path: '/srv', mode: 'RW' }, /hide the root/],
  ['over the sandbox', { container_path: '/mnt/mesos/sandbox/', host_path: '/srv', mode: 'RW' }, /hide the sandbox/],
  ['absolute sandbox path', { container_path: '/x', mode: 'RW', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'SELF', path: '/abs' } } }, /must be relative/],
  ['parent sandbox path', { container_path: '/x', mode: 'RW', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'PARENT', path: 'p' } } }, /SELF/],
  ['docker volume', { container_path: '/x', mode: 'RW', source: { type: 'DOCKER_VOLUME', docker_volume: { name: 'v' } } }, /DOCKER_VOLUME is not supported/],
  ['image volume', { container_path: '/x', mode: 'RO', image: { type: 'DOCKER' } as mesos.v1.Image }, /image volumes/],
];
for (const [name, volume, message] of refused) {
  test(`planVolumes refuses ${name}, naming the volume`, (t) => {
    const r = planVolumes([volume], SB);
    t.false(r.ok);
    if (!r.ok) {
      t.regex(r.message, message);
      t.true(r.message.includes(`volume '${volume.container_path}'`));
    }
  });
}

test('planVolumes: no volumes, no binds', (t) => {
  t.deepEqual(planVolumes([], SB), { ok: true, binds: [] });
});
