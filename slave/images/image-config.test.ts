import test from 'ava';
import { parseImageConfig, parseManifest } from './image-config.ts';

const d = (c: string): string => `sha256:${c.repeat(64)}`;

test('the image config fields Docker uses', (t) => {
  const r = parseImageConfig(Buffer.from(JSON.stringify({
    architecture: 'amd64',
    config: { Entrypoint: ['/bin/sh', '-c'], Cmd: ['echo hi'], Env: ['PATH=/bin', 'A=1'], WorkingDir: '/srv', User: 'nobody:nogroup', ExposedPorts: { '80/tcp': {}, '53/udp': {} } },
  })));
  t.deepEqual(r, { ok: true, config: { entrypoint: ['/bin/sh', '-c'], cmd: ['echo hi'], env: ['PATH=/bin', 'A=1'], workingDir: '/srv', user: 'nobody:nogroup', exposedPorts: ['80/tcp', '53/udp'] } });
});

test('absent or null fields are left out', (t) => {
  t.deepEqual(parseImageConfig(Buffer.from('{"config":{"Cmd":null,"Env":null,"WorkingDir":""}}')), { ok: true, config: { env: [] } });
  t.deepEqual(parseImageConfig(Buffer.from('{}')), { ok: true, config: { env: [] } });
  t.false(parseImageConfig(Buffer.from('{nope')).ok);
});

test('a manifest gives its config, layers and total size', (t) => {
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { digest: d('a'), size: 10 }, layers: [{ digest: d('b'), size: 100 }, { digest: d('c'), size: 1000 }] }));
  const r = parseManifest(bytes);
  t.true(r.ok);
  if (r.ok) {
    t.is(r.manifest.size, bytes.length + 1110);
    t.deepEqual(r.manifest.layers.map((l) => l.digest), [d('b'), d('c')]);
  }
  const idx = parseManifest(Buffer.from('{"manifests":[]}'));
  t.false(idx.ok);
  if (!idx.ok) t.regex(idx.message, /image index/);
  t.false(parseManifest(Buffer.from('{"config":{"digest":"sha256:zz","size":1},"layers":[]}')).ok);
});
