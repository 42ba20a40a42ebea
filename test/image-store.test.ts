/**
 * The local image store against real tools: skopeo, umoci, Debian's docker-registry with token
 * auth on loopback, images built from the host's static busybox (test/support/test-images.ts).
 */
import test from 'ava';
import childProcess, { execFile } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { lstat, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../common/ports.ts';
import { createImageStore, type ImageStoreOptions } from '../slave/images/local-image-store.ts';
import { runImageCommand } from '../cli/image.ts';
import { buildBusyboxDockerArchive, buildBusyboxOciLayout } from './support/test-images.ts';
import { startTestRegistry, type TestRegistry } from './support/test-registry.ts';

let registry: TestRegistry;
test.before(async () => {
  registry = await startTestRegistry({ auth: 'token' });
});
test.after.always(async () => {
  await registry?.stop();
});

async function tempDir(t: { teardown(fn: () => Promise<void>): void }, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A store in a fresh temp dir, pulling through the test registry with its credentials; records log messages. */
async function newStore(t: { teardown(fn: () => Promise<void>): void }, extra: Partial<ImageStoreOptions> = {}) {
  const storeDir = join(await tempDir(t, 'maestro-store-'), 'store');
  const messages: string[] = [];
  const logger: Logger = { debug() {}, info: (_o, m) => { messages.push(m ?? ''); }, warn: (_o, m) => { messages.push(m ?? ''); }, error() {} };
  const store = createImageStore({ storeDir, config: registry.dockerConfig, defaultRegistry: registry.url, logger, ...extra });
  return { store, storeDir, messages };
}

const files = async (dir: string): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).sort();

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile(cmd, args, (e, out, err) => (e ? reject(new Error(`${cmd}: ${err}`)) : resolve(out))));
}

test('an OCI layout imports with its config and a complete rootfs', async (t) => {
  const layout = await tempDir(t, 'maestro-layout-');
  const built = buildBusyboxOciLayout(layout, { name: 'tools/shell', tag: '1', entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'], env: ['PATH=/bin', 'GREETING=hello'], workingDir: '/tmp', user: 'nobody', exposedPorts: ['8080/tcp'], extraFiles: { '/srv/index.html': 'hello from the image\n' } });
  const { store, storeDir } = await newStore(t);
  const imported = await store.import(layout);
  t.true(imported.ok, imported.ok ? '' : imported.message);
  if (!imported.ok) return;
  t.is(imported.images.length, 1);
  t.like(imported.images[0], { reference: 'docker.io/tools/shell:1', manifestDigest: built.manifestDigest });
  t.true(imported.images[0].size > 1_000_000);

  const r = await store.provision('tools/shell:1');
  t.true(r.ok, r.ok ? '' : r.message);
  if (!r.ok) return;
  t.deepEqual(r.image.config, { entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'], env: ['PATH=/bin', 'GREETING=hello'], workingDir: '/tmp', user: 'nobody', exposedPorts: ['8080/tcp'] });
  t.is(r.image.rootfs, join(storeDir, 'rootfs', built.manifestDigest.slice(7)));
  t.true((await stat(join(r.image.rootfs, 'bin/busybox'))).isFile());
  t.is(await readlink(join(r.image.rootfs, 'bin/sh')), 'busybox');
  t.is(await readFile(join(r.image.rootfs, 'srv/index.html'), 'utf8'), 'hello from the image\n');
  t.regex(await readFile(join(r.image.rootfs, 'etc/passwd'), 'utf8'), /^nobody:x:65534:/m);
  t.is((await stat(r.image.rootfs)).mode & 0o777, 0o755, 'a container user that is not root can enter the rootfs');
  // The unpacked busybox runs.
  t.is((await sh(join(r.image.rootfs, 'bin/busybox'), ['echo', 'ran'])).trim(), 'ran');
  // The store is itself an OCI layout skopeo can read.
  t.regex(await sh('skopeo', ['inspect', '--config', `oci:${storeDir}:docker.io/tools/shell:1`]), /GREETING=hello/);
});

test('a docker save archive imports, with --name overriding its tag', async (t) => {
  const dir = await tempDir(t, 'maestro-archive-');
  const archive = join(dir, 'image.tar');
  buildBusyboxDockerArchive(archive, { name: 'saved', tag: 'v3', entrypoint: ['/bin/httpd', '-f'], cmd: ['-p', '8080'] });
  const { store } = await newStore(t);
  const imported = await store.import(archive);
  t.true(imported.ok, imported.ok ? '' : imported.message);
  if (imported.ok) t.deepEqual(imported.images.map((i) => i.reference), ['docker.io/library/saved:v3']);
  const renamed = await store.import(archive, { name: '127.0.0.1:5000/team/saved:prod' });
  t.true(renamed.ok);
  const r = await store.provision('127.0.0.1:5000/team/saved:prod');
  t.true(r.ok, r.ok ? '' : r.message);
  if (!r.ok) return;
  t.deepEqual(r.image.config.entrypoint, ['/bin/httpd', '-f']);
  t.deepEqual(r.image.config.cmd, ['-p', '8080']);
  t.true((await stat(join(r.image.rootfs, 'bin/busybox'))).isFile());
  t.deepEqual((await store.list()).map((i) => i.reference), ['127.0.0.1:5000/team/saved:prod', 'docker.io/library/saved:v3']);
});

test('pulls from a registry with token auth; a wrong password is a clear failure that stores nothing', async (t) => {
  const layout = await tempDir(t, 'maestro-layout-');
  const built = buildBusyboxOciLayout(layout, { name: 'pull-me', tag: '1', cmd: ['sleep', '1'] });
  await registry.push(layout, 'tools/pull-me:1');

  const wrong = await newStore(t, { config: { auths: { [registry.host]: { auth: Buffer.from(`${registry.user}:wrong`).toString('base64') } } } });
  const refused = await wrong.store.pull(`${registry.host}/tools/pull-me:1`);
  t.false(refused.ok);
  if (!refused.ok) t.regex(refused.message, new RegExp(`registry ${registry.host} refused the credentials for '${registry.host}/tools/pull-me:1'.*incorrect username or password`));
  t.deepEqual(await wrong.store.list(), []);
  t.deepEqual(await files(join(wrong.storeDir, 'blobs/sha256')), []);

  const none = await newStore(t, { config: undefined });
  const anonymous = await none.store.pull(`${registry.host}/tools/pull-me:1`);
  t.false(anonymous.ok);
  if (!anonymous.ok) t.regex(anonymous.message, /requires credentials .* none are configured \(--docker_config\)/);

  const tokensBefore = registry.tokensIssued();
  const { store } = await newStore(t);
  const r = await store.provision(`${registry.host}/tools/pull-me:1`);
  t.true(r.ok, r.ok ? '' : r.message);
  if (!r.ok) return;
  t.is(r.image.manifestDigest, built.manifestDigest, 'an OCI manifest keeps its digest through push and pull');
  t.deepEqual(r.image.config.cmd, ['sleep', '1']);
  t.true((await stat(join(r.image.rootfs, 'bin/busybox'))).isFile());
  t.true(registry.tokensIssued() > tokensBefore, 'the pull went through the token server');

  // By digest, and through the default registry as Docker Hub's stand-in (library/ path).
  const byDigest = await store.pull(`${registry.host}/tools/pull-me@${built.manifestDigest}`);
  t.true(byDigest.ok, byDigest.ok ? '' : byDigest.message);
  await registry.push(layout, 'library/pull-me:1');
  const viaDefault = await store.provision('pull-me:1');
  t.true(viaDefault.ok, viaDefault.ok ? '' : viaDefault.message);
  if (viaDefault.ok) t.is(viaDefault.image.reference, 'docker.io/library/pull-me:1');
});

test('forcePull fetches the tag again; without it the stored image is used', async (t) => {
  const a = await tempDir(t, 'maestro-layout-');
  const b = await tempDir(t, 'maestro-layout-');
  const first = buildBusyboxOciLayout(a, { name: 'moving', tag: 'v', cmd: ['first'] });
  const second = buildBusyboxOciLayout(b, { name: 'moving', tag: 'v', cmd: ['second'] });
  t.not(first.manifestDigest, second.manifestDigest);
  const ref = `${registry.host}/tools/moving:v`;
  await registry.push(a, 'tools/moving:v');
  const { store } = await newStore(t);
  const r1 = await store.provision(ref);
  t.true(r1.ok && r1.image.manifestDigest === first.manifestDigest);
  await registry.push(b, 'tools/moving:v');
  const cached = await store.provision(ref);
  t.true(cached.ok && cached.image.manifestDigest === first.manifestDigest, 'the stored image, no pull');
  const forced = await store.provision(ref, { forcePull: true });
  t.true(forced.ok, forced.ok ? '' : forced.message);
  if (forced.ok) {
    t.is(forced.image.manifestDigest, second.manifestDigest);
    t.deepEqual(forced.image.config.cmd, ['second']);
  }
  const after = await store.provision(ref);
  t.true(after.ok && after.image.manifestDigest === second.manifestDigest);
});

test('a layer shared by two images is stored once and gc keeps it until both are gone', async (t) => {
  const layout = await tempDir(t, 'maestro-layout-');
  const one = buildBusyboxOciLayout(layout, { name: 'shared/one', tag: '1', extraFiles: { '/one': '1' } });
  const two = buildBusyboxOciLayout(layout, { name: 'shared/two', tag: '1', extraFiles: { '/two': '2' } });
  const base = one.layerDigests[0];
  t.is(two.layerDigests[0], base);
  const { store, storeDir } = await newStore(t);
  const imported = await store.import(layout);
  t.true(imported.ok && imported.images.length === 2);
  const blobs = join(storeDir, 'blobs/sha256');
  const hex = (d: string): string => d.slice(7);
  // 2 manifests + 2 configs + the base layer + 2 extra layers.
  t.deepEqual(await files(blobs), [one.manifestDigest, one.configDigest, two.manifestDigest, two.configDigest, base, one.layerDigests[1], two.layerDigests[1]].map(hex).sort());
  const p1 = await store.provision('shared/one:1');
  const p2 = await store.provision('shared/two:1');
  t.true(p1.ok && p2.ok);

  t.deepEqual(await store.gc(), { removedBlobs: 0, removedBytes: 0, removedRootfs: 0 });
  t.true(await store.remove('shared/one:1'));
  t.false(await store.remove('shared/one:1'));
  // In use: nothing of it goes.
  t.is((await store.gc(new Set([one.manifestDigest]))).removedBlobs, 0);
  const g1 = await store.gc();
  t.is(g1.removedBlobs, 3, 'manifest, config and the extra layer of one');
  t.is(g1.removedRootfs, 1);
  t.true(g1.removedBytes > 0);
  t.true((await files(blobs)).includes(hex(base)), 'the shared layer survives');
  t.deepEqual(await files(join(storeDir, 'rootfs')), [hex(two.manifestDigest)]);
  const still = await store.provision('shared/two:1');
  t.true(still.ok, still.ok ? '' : still.message);

  t.true(await store.remove('shared/two:1'));
  const g2 = await store.gc();
  t.deepEqual([g2.removedBlobs, g2.removedRootfs], [4, 1]);
  t.deepEqual(await files(blobs), []);
  t.deepEqual(await files(join(storeDir, 'rootfs')), []);
});

test('unknown image, unreachable registry and corrupt archives are clear failures that leave nothing behind', async (t) => {
  const { store, storeDir } = await newStore(t);
  const leftovers = async (): Promise<string[]> => [...(await files(join(storeDir, 'blobs/sha256'))), ...(await files(join(storeDir, 'rootfs'))), ...(await files(join(storeDir, 'tmp')))];

  const unknown = await store.provision('no-such-image:1');
  t.false(unknown.ok);
  if (!unknown.ok) t.true(unknown.message.startsWith("image 'docker.io/library/no-such-image:1' not found in the store and pulling it failed: "), unknown.message);
  if (!unknown.ok) t.regex(unknown.message, new RegExp(`is not in registry ${registry.host} \\(manifest unknown\\)`));

  const unreachable = await store.provision('127.0.0.1:1/tools/x:1');
  t.false(unreachable.ok);
  if (!unreachable.ok) t.regex(unreachable.message, /not found in the store and pulling it failed: registry 127\.0\.0\.1:1 is unreachable: .*connection refused/);

  const dir = await tempDir(t, 'maestro-corrupt-');
  const archive = join(dir, 'image.tar');
  buildBusyboxDockerArchive(archive, { name: 'broken', tag: '1' });
  await truncate(archive, (await stat(archive)).size - 600_000);
  const truncated = await store.import(archive);
  t.false(truncated.ok);
  if (!truncated.ok) t.regex(truncated.message, new RegExp(`^corrupt archive ${archive}`));

  const layout = join(dir, 'layout');
  const built = buildBusyboxOciLayout(layout, { name: 'tampered', tag: '1', extraFiles: { '/x': 'x' } });
  // Replace the first layer's bytes with a same-size blob: a digest mismatch, found while the
  // second layer may already be stored.
  const victim = join(layout, 'blobs/sha256', built.layerDigests[0].slice(7));
  const size = (await stat(victim)).size;
  await writeFile(victim, Buffer.alloc(size, 7));
  const tampered = await store.import(layout);
  t.false(tampered.ok);
  if (!tampered.ok) t.regex(tampered.message, /^corrupt archive .*digest/i);

  const garbage = join(dir, 'garbage.tar');
  await writeFile(garbage, 'not a tar at all');
  const notTar = await store.import(garbage);
  t.false(notTar.ok);
  if (!notTar.ok) t.regex(notTar.message, /^corrupt archive .*garbage\.tar: not a readable tar/);

  const missing = await store.import(join(dir, 'nope'));
  t.false(missing.ok);
  if (!missing.ok) t.regex(missing.message, /no such file or directory/);

  t.deepEqual(await store.list(), []);
  t.deepEqual(await leftovers(), []);
});

test('concurrent provisions of one image unpack it once, in one process and across store instances', async (t) => {
  const layout = await tempDir(t, 'maestro-layout-');
  buildBusyboxOciLayout(layout, { name: 'busy', tag: '1' });
  const a = await newStore(t);
  t.true((await a.store.import(layout)).ok);
  // A second store on the same directory: its own in-memory state, sharing only the files and the flock.
  const bMessages: string[] = [];
  const b = createImageStore({ storeDir: a.storeDir, logger: { debug() {}, info: (_o, m) => { bMessages.push(m ?? ''); }, warn() {}, error() {} } });
  const results = await Promise.all([...Array.from({ length: 8 }, () => a.store.provision('busy:1')), ...Array.from({ length: 8 }, () => b.provision('busy:1'))]);
  t.true(results.every((r) => r.ok));
  t.is(new Set(results.map((r) => (r.ok ? r.image.rootfs : ''))).size, 1);
  const unpacked = [...a.messages, ...bMessages].filter((m) => m === 'image rootfs unpacked');
  t.is(unpacked.length, 1);
  t.deepEqual((await files(join(a.storeDir, 'rootfs'))).filter((f) => f.startsWith('.tmp')), []);
  // b sees a's later import without being told: the index is re-read when it changes.
  const other = await tempDir(t, 'maestro-layout-');
  buildBusyboxOciLayout(other, { name: 'later', tag: '1' });
  t.true((await a.store.import(other)).ok);
  t.deepEqual((await b.list()).map((i) => i.reference), ['docker.io/library/busy:1', 'docker.io/library/later:1']);
  t.true((await lstat(join(a.storeDir, 'lock'))).isFile());
});

test.serial('provisioning a stored image spawns no process and takes well under a millisecond', async (t) => {
  const layout = await tempDir(t, 'maestro-layout-');
  buildBusyboxOciLayout(layout, { name: 'fast', tag: '1' });
  const { store } = await newStore(t);
  t.true((await store.import(layout)).ok);
  t.true((await store.provision('fast:1')).ok);
  // Count spawns: the store's modules import spawn/execFile by name; syncBuiltinESMExports makes
  // those bindings see the wrapper. Serial tests run before the concurrent ones, so no other test
  // spawns meanwhile.
  let spawned = 0;
  const original = { spawn: childProcess.spawn, execFile: childProcess.execFile };
  childProcess.spawn = ((...args: Parameters<typeof childProcess.spawn>) => { spawned += 1; return original.spawn(...args); }) as typeof childProcess.spawn;
  childProcess.execFile = ((...args: Parameters<typeof childProcess.execFile>) => { spawned += 1; return original.execFile(...args); }) as typeof childProcess.execFile;
  syncBuiltinESMExports();
  t.teardown(() => { Object.assign(childProcess, original); syncBuiltinESMExports(); });
  const started = process.hrtime.bigint();
  for (let i = 0; i < 500; i++) {
    const r = await store.provision('fast:1');
    if (!r.ok) t.fail(r.message);
  }
  const perCallMs = Number(process.hrtime.bigint() - started) / 1e6 / 500;
  t.is(spawned, 0);
  t.true(perCallMs < 1, `${perCallMs.toFixed(3)} ms per provision`);
  t.log(`${(perCallMs * 1000).toFixed(0)} µs per provision of a stored image`);
});

test('maestro image: import, list, rm, gc and failures with exit codes', async (t) => {
  const dir = await tempDir(t, 'maestro-cli-');
  const layout = join(dir, 'layout');
  const built = buildBusyboxOciLayout(layout, { name: 'cli/one', tag: '1' });
  const workDir = join(dir, 'work');
  const cli = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
    let out = '';
    let err = '';
    const code = await runImageCommand(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env: {} });
    return { code, out, err };
  };
  const imported = await cli('import', layout, `--work_dir=${workDir}`);
  t.is(imported.code, 0, imported.err);
  t.is(imported.out, `imported docker.io/cli/one:1 ${built.manifestDigest} (1.11 MB)\n`);
  const table = await cli('list', `--work_dir=${workDir}`);
  t.regex(table.out, /^REFERENCE\s+DIGEST\s+SIZE\s+STORED\ndocker\.io\/cli\/one:1\s+sha256:[0-9a-f]{12}\s+1\.11 MB\s+\d{4}-/);
  // --work_dir means <work_dir>/store/docker, the agent's default.
  const json = await cli('list', '--json', `--docker_store_dir=${join(workDir, 'store/docker')}`);
  t.like(JSON.parse(json.out), [{ reference: 'docker.io/cli/one:1', manifestDigest: built.manifestDigest }]);
  t.is((await cli('rm', 'cli/one:1', `--work_dir=${workDir}`)).code, 0);
  const again = await cli('rm', 'cli/one:1', `--work_dir=${workDir}`);
  t.is(again.code, 1);
  t.regex(again.err, /no image 'cli\/one:1' in the store/);
  const gc = await cli('gc', `--work_dir=${workDir}`);
  t.is(gc.out, 'removed 3 blobs (1.11 MB) and 0 unpacked rootfs\n');
  const pull = await cli('pull', '127.0.0.1:1/x:1', `--work_dir=${workDir}`);
  t.is(pull.code, 1);
  t.regex(pull.err, /^maestro image pull: registry 127\.0\.0\.1:1 is unreachable/);
  t.is((await cli('frob', `--work_dir=${workDir}`)).code, 2);
  t.regex((await cli('list')).err, /--docker_store_dir=DIR or <--work_dir=DIR>\/store\/docker/);
  t.is((await cli('import', `--work_dir=${workDir}`)).code, 2);
});

test('a tar of an OCI layout imports; a registry with basic auth is pulled from with the config credentials', async (t) => {
  const dir = await tempDir(t, 'maestro-oci-archive-');
  const layout = join(dir, 'layout');
  const built = buildBusyboxOciLayout(layout, { name: 'archived', tag: '7', cmd: ['true'] });
  const archive = join(dir, 'layout.tar');
  await sh('tar', ['-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  const { store } = await newStore(t);
  const imported = await store.import(archive);
  t.true(imported.ok, imported.ok ? '' : imported.message);
  if (imported.ok) t.like(imported.images, [{ reference: 'docker.io/library/archived:7', manifestDigest: built.manifestDigest }]);

  const basic = await startTestRegistry({ auth: 'basic' });
  t.teardown(() => basic.stop());
  await basic.push(layout, 'team/archived:7');
  const withCreds = await newStore(t, { config: basic.dockerConfig });
  const pulled = await withCreds.store.pull(`${basic.host}/team/archived:7`);
  t.true(pulled.ok, pulled.ok ? '' : pulled.message);
  if (pulled.ok) t.is(pulled.image.manifestDigest, built.manifestDigest);
  const without = await newStore(t, { config: undefined });
  const refused = await without.store.pull(`${basic.host}/team/archived:7`);
  t.false(refused.ok);
  if (!refused.ok) t.regex(refused.message, new RegExp(`registry ${basic.host} requires credentials`));
});

test('a damaged store is a failure of provision, not a throw', async (t) => {
  const layout = await tempDir(t, 'maestro-layout-');
  const built = buildBusyboxOciLayout(layout, { name: 'damaged', tag: '1' });
  const { store, storeDir } = await newStore(t);
  t.true((await store.import(layout)).ok);
  await rm(join(storeDir, 'blobs/sha256', built.configDigest.slice(7)));
  const noConfig = await createImageStore({ storeDir }).provision('damaged:1');
  t.false(noConfig.ok);
  if (!noConfig.ok) t.is(noConfig.message, `image 'docker.io/library/damaged:1' is damaged in the store: image config ${built.configDigest} is missing from the store's blobs`);
  await writeFile(join(storeDir, 'index.json'), '{ not json');
  const r = await createImageStore({ storeDir }).provision('damaged:1');
  t.false(r.ok);
  if (!r.ok) t.regex(r.message, /^image store .*: provisioning 'damaged:1' failed: the image store's index .*index\.json is unreadable/);
});
