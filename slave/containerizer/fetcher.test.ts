/**
 * The fetcher against real files, a loopback HTTP server started here and archives built here
 * with Debian's tar and zip tools.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import { archiveKindOf, fetchUris, fileNameOf, sourceOf } from './fetcher.ts';
import type { ArchiveKind } from './fetcher.ts';

async function dirs(t: ExecutionContext): Promise<{ root: string; sandbox: string; cacheDir: string; src: string }> {
  const root = await mkdtemp(join(tmpdir(), 'maestro-fetch-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const sandbox = join(root, 'sandbox');
  const src = join(root, 'src');
  await mkdir(sandbox);
  await mkdir(src);
  return { root, sandbox, cacheDir: join(root, 'cache'), src };
}

/** A loopback server: `/files/<name>` serves `files[name]`, anything else is 404; counts requests. */
async function server(t: ExecutionContext, files: Record<string, Buffer | string>): Promise<{ base: string; hits: () => number }> {
  let hits = 0;
  const s = createServer((req, res) => {
    hits++;
    const name = decodeURIComponent((req.url ?? '').replace(/^\/files\//, ''));
    const body = files[name];
    if (body === undefined || !(req.url ?? '').startsWith('/files/')) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => s.close(() => r())));
  return { base: `http://127.0.0.1:${(s.address() as AddressInfo).port}/files/`, hits: () => hits };
}

test('names and kinds of URIs', (t) => {
  const names: Array<[string, string]> = [
    ['http://h:1/a/b/app.tar.gz?x=1#f', 'app.tar.gz'],
    ['file:///opt/x/run.sh', 'run.sh'],
    ['/opt/x/my%20file', 'my file'],
    ['https://h/dir/', 'dir'],
  ];
  for (const [uri, name] of names) t.is(fileNameOf(uri), name, uri);
  const kinds: Array<[string, ArchiveKind | undefined]> = [
    ['a.tar', 'tar'],
    ['a.TAR.GZ', 'tar'],
    ['a.tgz', 'tar'],
    ['a.tar.bz2', 'tar'],
    ['a.tar.xz', 'tar'],
    ['a.zip', 'zip'],
    ['a.gz', undefined],
    ['a.txt', undefined],
  ];
  for (const [name, kind] of kinds) t.is(archiveKindOf(name), kind, name);
  t.like(sourceOf('file:///x/y'), { kind: 'file', path: '/x/y' });
  t.like(sourceOf('/x/y'), { kind: 'file', path: '/x/y' });
  t.like(sourceOf('HTTP://h/x'), { kind: 'http' });
  t.is(sourceOf('hdfs://nn/x'), undefined);
  t.is(sourceOf('relative/x'), undefined);
});

test('a file URI and an absolute path are copied into the sandbox; output_file renames', async (t) => {
  const d = await dirs(t);
  await writeFile(join(d.src, 'a.txt'), 'alpha');
  await writeFile(join(d.src, 'b.txt'), 'beta');
  const r = await fetchUris([{ value: `file://${d.src}/a.txt` }, { value: join(d.src, 'b.txt'), output_file: 'sub/renamed.txt' }], d);
  t.deepEqual(r, { ok: true });
  t.is(await readFile(join(d.sandbox, 'a.txt'), 'utf8'), 'alpha');
  t.is(await readFile(join(d.sandbox, 'sub/renamed.txt'), 'utf8'), 'beta');
});

test('an http URI from a loopback server; executable sets the mode and skips extraction', async (t) => {
  const d = await dirs(t);
  const s = await server(t, { 'run.sh': '#!/bin/sh\necho hi\n', 'x.tar.gz': 'not really an archive' });
  const r = await fetchUris([{ value: `${s.base}run.sh`, executable: true }, { value: `${s.base}x.tar.gz`, executable: true }], d);
  t.deepEqual(r, { ok: true });
  t.is(await readFile(join(d.sandbox, 'run.sh'), 'utf8'), '#!/bin/sh\necho hi\n');
  t.is((await stat(join(d.sandbox, 'run.sh'))).mode & 0o777, 0o755);
  t.is((await stat(join(d.sandbox, 'x.tar.gz'))).mode & 0o777, 0o755);
});

test('archives are extracted into the sandbox (tar.gz, tar.bz2, tar.xz, zip); extract=false keeps the archive only', async (t) => {
  const d = await dirs(t);
  await mkdir(join(d.src, 'tree/inner'), { recursive: true });
  await writeFile(join(d.src, 'tree/inner/data.txt'), 'payload');
  execFileSync('tar', ['-czf', join(d.src, 'app.tar.gz'), '-C', join(d.src, 'tree'), 'inner']);
  execFileSync('tar', ['-cjf', join(d.src, 'app2.tar.bz2'), '-C', join(d.src, 'tree'), 'inner']);
  execFileSync('tar', ['-cJf', join(d.src, 'app3.tar.xz'), '-C', join(d.src, 'tree'), 'inner']);
  const s = await server(t, { 'app.tar.gz': await readFile(join(d.src, 'app.tar.gz')) });
  const r = await fetchUris([{ value: `${s.base}app.tar.gz` }], d);
  t.deepEqual(r, { ok: true });
  t.is(await readFile(join(d.sandbox, 'inner/data.txt'), 'utf8'), 'payload');
  t.true((await readdir(d.sandbox)).includes('app.tar.gz'));

  for (const [archive, dir] of [['app2.tar.bz2', 'bz'], ['app3.tar.xz', 'xz']]) {
    const sandbox = join(d.root, dir);
    await mkdir(sandbox);
    t.deepEqual(await fetchUris([{ value: join(d.src, archive) }], { ...d, sandbox }), { ok: true });
    t.is(await readFile(join(sandbox, 'inner/data.txt'), 'utf8'), 'payload', archive);
  }

  const kept = join(d.root, 'kept');
  await mkdir(kept);
  t.deepEqual(await fetchUris([{ value: join(d.src, 'app.tar.gz'), extract: false }], { ...d, sandbox: kept }), { ok: true });
  t.deepEqual(await readdir(kept), ['app.tar.gz']);
});

/** A one-entry zip archive, stored (no compression), built by hand so that the test needs no zip(1). */
function storedZip(name: string, data: Buffer): Buffer {
  const crc = crc32(data);
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

test('zip archives are extracted with unzip', async (t) => {
  const d = await dirs(t);
  await writeFile(join(d.src, 'z.txt'), 'zipped');
  await writeFile(join(d.src, 'a.zip'), storedZip('z.txt', Buffer.from('zipped')));
  t.deepEqual(await fetchUris([{ value: join(d.src, 'a.zip') }], d), { ok: true });
  t.is(await readFile(join(d.sandbox, 'z.txt'), 'utf8'), 'zipped');
});

test('cache: the second fetch of a cached URI does not reach the server', async (t) => {
  const d = await dirs(t);
  const s = await server(t, { 'big.bin': 'cached-bytes' });
  const uri = { value: `${s.base}big.bin`, cache: true };
  t.deepEqual(await fetchUris([uri], d), { ok: true });
  t.is(s.hits(), 1);
  const second = join(d.root, 'second');
  await mkdir(second);
  t.deepEqual(await fetchUris([uri], { ...d, sandbox: second }), { ok: true });
  t.is(s.hits(), 1, 'served from the cache');
  t.is(await readFile(join(second, 'big.bin'), 'utf8'), 'cached-bytes');
  t.deepEqual(await fetchUris([{ value: `${s.base}big.bin` }], { ...d, sandbox: second }), { ok: true });
  t.is(s.hits(), 2, 'an uncached URI is fetched again');
});

test('cache: concurrent fetches of one cached URI download it once', async (t) => {
  const d = await dirs(t);
  const s = await server(t, { 'shared.bin': 'x'.repeat(100_000) });
  const sandboxes = await Promise.all(
    [0, 1, 2, 3].map(async (i) => {
      const sandbox = join(d.root, `s${i}`);
      await mkdir(sandbox);
      return sandbox;
    }),
  );
  const results = await Promise.all(sandboxes.map((sandbox) => fetchUris([{ value: `${s.base}shared.bin`, cache: true }], { ...d, sandbox })));
  t.deepEqual(results, sandboxes.map(() => ({ ok: true })));
  t.is(s.hits(), 1);
  for (const sandbox of sandboxes) t.is((await stat(join(sandbox, 'shared.bin'))).size, 100_000);
  t.deepEqual((await readdir(d.cacheDir)).filter((n) => n.endsWith('.part')), [], 'no partial entry left');
});

test('a transfer that stalls fails and leaves nothing behind', async (t) => {
  const d = await dirs(t);
  const s = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write('only the start');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  t.teardown(() => {
    s.closeAllConnections();
    return new Promise<void>((r) => s.close(() => r()));
  });
  const uri = `http://127.0.0.1:${(s.address() as AddressInfo).port}/slow.bin`;
  const r = await fetchUris([{ value: uri }], { ...d, stallTimeoutMs: 200 });
  t.deepEqual(r, { ok: false, message: `Failed to fetch '${uri}': stalled: nothing received for 200 ms` });
  t.deepEqual(await readdir(d.sandbox), []);
});

test('failures name the URI: 404, missing file, unreachable host, bad scheme, output_file escaping the sandbox', async (t) => {
  const d = await dirs(t);
  const s = await server(t, {});
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const deadPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const dead = `http://127.0.0.1:${deadPort}/x`;
  const cases: Array<[string, Parameters<typeof fetchUris>[0], RegExp]> = [
    ['404', [{ value: `${s.base}nope.txt` }], new RegExp(`^Failed to fetch '${s.base}nope.txt': HTTP 404`)],
    ['missing file', [{ value: join(d.src, 'missing.txt') }], new RegExp(`^Failed to fetch '${join(d.src, 'missing.txt')}': no such file`)],
    ['unreachable', [{ value: dead }], new RegExp(`^Failed to fetch '${dead}': .*ECONNREFUSED`)],
    ['scheme', [{ value: 'hdfs://nn/x' }], /^Failed to fetch 'hdfs:\/\/nn\/x': unsupported URI scheme/],
    ['escape', [{ value: `${s.base}x`, output_file: '../../etc/x' }], /is not a path inside the sandbox/],
  ];
  for (const [name, uris, message] of cases) {
    const r = await fetchUris(uris, d);
    t.false(r.ok, name);
    if (!r.ok) t.regex(r.message, message, name);
  }
  t.deepEqual(await readdir(d.sandbox), [], 'nothing half-written in the sandbox');
});

test('user: fetched files are chowned to the user; an unknown user is a failure', async (t) => {
  const d = await dirs(t);
  await writeFile(join(d.src, 'a.txt'), 'alpha');
  t.deepEqual(await fetchUris([{ value: join(d.src, 'a.txt') }], { ...d, user: 'nobody' }), { ok: true });
  t.is((await stat(join(d.sandbox, 'a.txt'))).uid, 65534);
  const r = await fetchUris([{ value: join(d.src, 'a.txt') }], { ...d, user: 'no-such-user-xyz' });
  t.false(r.ok);
  if (!r.ok) t.regex(r.message, /no-such-user-xyz/);
});
