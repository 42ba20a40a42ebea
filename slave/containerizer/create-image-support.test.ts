import test from 'ava';
import { silentLogger } from '../../common/ports.ts';
import { asContainerId } from '../containerizer.ts';
import type { ContainerNetwork } from '../network/container-network.ts';
import { bridgeNames, createImageSupport, ownedBridge } from './create-image-support.ts';

/** Records what reaches the bridge (a fake of the port, for the ownership logic alone). */
function recordingNetwork(): ContainerNetwork & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async attach(id) { calls.push(`attach ${id}`); return { ok: true, netnsPath: '/run/netns/x', ip: '10.0.0.2', gateway: '10.0.0.1' }; },
    async detach(id) { calls.push(`detach ${id}`); },
    async recover() { calls.push('recover'); return []; },
    async attached() { return new Map(); },
  };
}

test('an owned bridge: attach and recover go through only while this agent holds the bridge', async (t) => {
  const free = recordingNetwork();
  let claims = 0;
  const mine = ownedBridge(free, () => { claims++; return { ok: true }; }, silentLogger);
  await mine.recover(new Set([asContainerId('native')]));
  t.is(claims, 0, 'no record of this agent on the bridge (running containers are native ones): no claim, nothing recovered');
  t.like(await mine.attach(asContainerId('c1'), []), { ok: true });
  await mine.recover(new Set([asContainerId('c1')]));
  t.deepEqual(free.calls, ['attach c1', 'recover']);
  t.is(claims, 1, 'claimed once');

  const taken = Object.assign(recordingNetwork(), { attached: async () => new Map([['c9', { netnsPath: '/run/netns/x', ip: '10.0.0.9', gateway: '10.0.0.1' }]]) });
  const theirs = ownedBridge(taken, () => ({ ok: false, message: "bridge 'maestro0' is used by the agent with pid 7" }), silentLogger);
  t.deepEqual(await theirs.recover(new Set([asContainerId('c9')])), []);
  t.deepEqual(await theirs.attach(asContainerId('c2'), []), { ok: false, message: "bridge 'maestro0' is used by the agent with pid 7" });
  await theirs.detach(asContainerId('c2'));
  t.deepEqual(taken.calls, ['detach c2'], 'nothing but the idempotent detach reached the bridge');
});

test('bridge names and image providers from the flags', (t) => {
  t.deepEqual(bridgeNames('maestro0'), { chain: 'MAESTRO-maestro0', netnsPrefix: 'maestro0.' });
  t.is(bridgeNames('a-very-long-bridge').chain.length <= 28, true);
  const base = { workDir: '/var/tmp/x', registry: 'https://registry-1.docker.io', ociRuntime: 'runc', bridgeName: 'maestro0', bridgeSubnet: '172.31.0.0/16', cgroupsRoot: 'maestro', logger: silentLogger };
  t.deepEqual(createImageSupport({ ...base, imageProviders: 'appc' }), { ok: false, flag: 'image_providers', message: "--image_providers: unknown image provider 'appc' (available: docker)" });
  t.like(createImageSupport({ ...base, imageProviders: '' }), { ok: true, support: undefined, unavailable: 'no image provider is enabled (--image_providers)' });
  t.like(createImageSupport({ ...base, imageProviders: 'docker', isRoot: false }), { ok: true, support: undefined, unavailable: 'containers with images need root (the OCI runtime, overlay mounts, cgroups)' });
  t.like(createImageSupport({ ...base, imageProviders: 'docker', ociRuntime: 'no-such-runtime-xyz' }), { ok: true, support: undefined });
});
