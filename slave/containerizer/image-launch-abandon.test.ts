/**
 * A kill that arrives while a container with an image is being provisioned (a pull can take
 * minutes) abandons the launch: nothing starts, and what was made is released. The image store,
 * OCI runtime and network are fakes at their ports here (the real ones are tested in
 * test/agent-containers.test.ts); the containerizer and its supervisor are real.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../common/resources/resources.ts';
import { asContainerId } from '../containerizer.ts';
import type { ImageResult, ImageStore } from '../images/image-store.ts';
import type { OciRuntime } from './oci/oci-runtime.ts';
import { createPosixContainerizer } from './posix-containerizer.ts';

test('a kill during the image provisioning abandons the launch: no runtime prepare, the launch fails, released once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-abandon-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const sandbox = join(dir, 'sandbox');
  const runDir = join(dir, 'run');
  mkdirSync(sandbox);
  mkdirSync(runDir);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const calls: string[] = [];
  const store: Pick<ImageStore, 'provision'> = {
    async provision(reference): Promise<ImageResult> {
      calls.push(`provision ${reference}`);
      await gate;
      return { ok: true, image: { reference, manifestDigest: 'sha256:00', config: { env: [] }, rootfs: '/nonexistent' } };
    },
  };
  const runtime: OciRuntime = {
    async prepare() { calls.push('prepare'); return { ok: true, exec: ['/bin/true'], pidFile: join(dir, 'init.pid') }; },
    async cleanup(id) { calls.push(`cleanup ${id}`); },
    async recover() { return []; },
  };
  const containerizer = createPosixContainerizer({ images: { store: store as ImageStore, runtime, cgroupsRoot: 'maestro-test' } });
  const id = asContainerId(`abandon-${process.pid}`);
  const launched = containerizer.launch({
    containerId: id, sandbox, runDir, command: { shell: true, value: 'touch ran', arguments: [] }, environment: {},
    resources: Resources.parse('cpus:0.1;mem:32'), container: { type: 'DOCKER', docker: { image: 'busybox' } },
  });
  await new Promise((r) => setTimeout(r, 20));
  await containerizer.kill(id, 'SIGKILL');
  release();
  t.deepEqual(await launched, { ok: false, message: 'the container was killed during its launch' });
  t.deepEqual(calls, ['provision busybox'], 'no bundle made');
  t.like(await containerizer.wait(id), { kind: 'unknown' }, 'never tracked');
});
