import test from 'ava';
import type { mesos } from '../../../proto/types.generated.ts';
import { isAtOrUnder, planVolumes } from './volume-plan.ts';

const SB = '/srv/maestro/slaves/a1/frameworks/f1/executors/e1/runs/c1';
const legacy = (container_path: string, host_path: string, mode: mesos.v1.Volume.Mode = 'RW'): mesos.v1.Volume => ({ container_path, host_path, mode });
const hostSource = (container_path: string, path: string, mode: mesos.v1.Volume.Mode = 'RW'): mesos.v1.Volume => ({
  container_path,
  mode,
  source: { type: 'HOST_PATH', host_path: { path } },
});

test('isAtOrUnder compares path segments, not string prefixes', (t) => {
  t.true(isAtOrUnder('/data', '/data'));
  t.true(isAtOrUnder('/data', '/data/x/y'));
  t.false(isAtOrUnder('/data', '/data2'));
  t.false(isAtOrUnder('/data', '/'));
  t.true(isAtOrUnder('/', '/anything'));
});

const accepted: readonly { name: string; volume: mesos.v1.Volume; allowed?: string[]; source: string; target: string; targetKind: 'create' | 'existing'; readOnly: boolean }[] = [
  { name: 'legacy host_path, relative container path: created in the sandbox', volume: legacy('data', '/var/lib/db'), source: '/var/lib/db', target: `${SB}/data`, targetKind: 'create', readOnly: false },
  { name: 'HOST_PATH source, absolute container path: covers that path', volume: hostSource('/opt/conf', '/etc/app', 'RO'), source: '/etc/app', target: '/opt/conf', targetKind: 'existing', readOnly: true },
  { name: 'relative host path: inside the sandbox', volume: legacy('out', 'work/out'), source: `${SB}/work/out`, target: `${SB}/out`, targetKind: 'create', readOnly: false },
  { name: '.. that stays inside the sandbox is fine', volume: legacy('a/../b', 'x/../y'), source: `${SB}/y`, target: `${SB}/b`, targetKind: 'create', readOnly: false },
  { name: 'trailing slashes and doubled slashes are normalized', volume: legacy('/opt//conf/', '/etc//app/'), source: '/etc/app', target: '/opt/conf', targetKind: 'existing', readOnly: false },
  { name: 'allowed: at an allowed prefix', volume: legacy('d', '/data'), allowed: ['/data/'], source: '/data', target: `${SB}/d`, targetKind: 'create', readOnly: false },
  { name: 'allowed: below an allowed prefix', volume: legacy('d', '/data/x'), allowed: ['/srv/other', '/data'], source: '/data/x', target: `${SB}/d`, targetKind: 'create', readOnly: false },
  { name: 'allowed: a host path in the sandbox is always allowed', volume: legacy('d', `${SB}/in`), allowed: [], source: `${SB}/in`, target: `${SB}/d`, targetKind: 'create', readOnly: false },
  { name: 'HOST_TO_CONTAINER propagation is accepted', volume: { container_path: 'd', mode: 'RW', source: { type: 'HOST_PATH', host_path: { path: '/data', mount_propagation: { mode: 'HOST_TO_CONTAINER' } } } }, source: '/data', target: `${SB}/d`, targetKind: 'create', readOnly: false },
];

for (const c of accepted) {
  test(`planVolumes accepts: ${c.name}`, (t) => {
    t.deepEqual(planVolumes(SB, [c.volume], c.allowed), { ok: true, mounts: [{ index: 0, source: c.source, target: c.target, targetKind: c.targetKind, readOnly: c.readOnly }] });
  });
}

test('planVolumes keeps the order and indexes of several volumes', (t) => {
  const plan = planVolumes(SB, [legacy('a', '/h/a', 'RO'), hostSource('b', '/h/b')]);
  t.deepEqual(plan.ok ? plan.mounts.map((m) => [m.index, m.source, m.readOnly]) : plan.message, [
    [0, '/h/a', true],
    [1, '/h/b', false],
  ]);
});

const refused: readonly { name: string; volumes: mesos.v1.Volume[]; allowed?: string[]; message: string }[] = [
  { name: 'no container path', volumes: [legacy('ok', '/h'), legacy('', '/h')], message: 'volume 1: no container_path' },
  { name: 'container path leaves the sandbox', volumes: [legacy('../../x', '/h')], message: "volume 0 '../../x': the container path leaves the sandbox" },
  { name: 'container path is the sandbox', volumes: [legacy('.', '/h')], message: "volume 0 '.': the container path names the sandbox itself" },
  { name: 'container path /', volumes: [legacy('/', '/h')], message: "volume 0 '/': the container path is /" },
  { name: 'absolute container path under /tmp', volumes: [legacy('/tmp/x', '/h')], message: "volume 0 '/tmp/x': an absolute container path under /tmp is hidden by the task's private /tmp; use a path relative to the sandbox" },
  { name: 'relative host path leaves the sandbox', volumes: [legacy('d', '../../../etc')], message: "volume 0 'd': host path '../../../etc' leaves the sandbox" },
  { name: 'relative host path is the sandbox', volumes: [legacy('d', './')], message: "volume 0 'd': host path './' names the sandbox itself" },
  { name: 'host path outside the allowed ones', volumes: [legacy('d', '/data2/x')], allowed: ['/data', '/srv/share'], message: "volume 0 'd': host path '/data2/x' is not under an allowed host path (/data, /srv/share)" },
  { name: 'no host path allowed', volumes: [legacy('d', '/data')], allowed: [], message: "volume 0 'd': host path '/data' is not under an allowed host path (none allowed)" },
  { name: 'image volume', volumes: [{ container_path: 'd', mode: 'RO', image: { type: 'DOCKER', docker: { name: 'busybox' } } }], message: "volume 0 'd': image volumes are not supported for tasks without an image" },
  { name: 'DOCKER_VOLUME source', volumes: [{ container_path: 'd', mode: 'RW', source: { type: 'DOCKER_VOLUME', docker_volume: { name: 'v' } } }], message: "volume 0 'd': source type DOCKER_VOLUME is not supported for tasks without an image (only HOST_PATH)" },
  { name: 'SANDBOX_PATH source', volumes: [{ container_path: 'd', mode: 'RW', source: { type: 'SANDBOX_PATH', sandbox_path: { type: 'SELF', path: 'x' } } }], message: "volume 0 'd': source type SANDBOX_PATH is not supported for tasks without an image (only HOST_PATH)" },
  { name: 'source without type', volumes: [{ container_path: 'd', mode: 'RW', source: {} }], message: "volume 0 'd': source type UNKNOWN is not supported for tasks without an image (only HOST_PATH)" },
  { name: 'HOST_PATH without a path', volumes: [{ container_path: 'd', mode: 'RW', source: { type: 'HOST_PATH' } }], message: "volume 0 'd': source type HOST_PATH without host_path.path" },
  { name: 'both host_path and source', volumes: [{ container_path: 'd', mode: 'RW', host_path: '/a', source: { type: 'HOST_PATH', host_path: { path: '/b' } } }], message: "volume 0 'd': both host_path and source are set" },
  { name: 'neither host_path nor source', volumes: [{ container_path: 'd', mode: 'RW' }], message: "volume 0 'd': no host path (host_path or source.host_path.path)" },
  { name: 'BIDIRECTIONAL propagation', volumes: [{ container_path: 'd', mode: 'RW', source: { type: 'HOST_PATH', host_path: { path: '/a', mount_propagation: { mode: 'BIDIRECTIONAL' } } } }], message: "volume 0 'd': BIDIRECTIONAL mount propagation is not supported (the task's mounts are private)" },
  { name: 'unknown mode', volumes: [{ container_path: 'd', host_path: '/a', mode: 'RX' as mesos.v1.Volume.Mode }], message: "volume 0 'd': unknown mode 'RX' (RW or RO)" },
  { name: 'NUL byte', volumes: [legacy('d', '/a\0b')], message: "volume 0 'd': a path holds a NUL byte" },
];

for (const c of refused) {
  test(`planVolumes refuses: ${c.name}`, (t) => {
    t.deepEqual(planVolumes(SB, c.volumes, c.allowed), { ok: false, message: c.message });
  });
}
