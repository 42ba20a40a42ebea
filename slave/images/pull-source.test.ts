import test from 'ava';
import { credentialsFor, isLoopbackHost, pullSource } from './pull-source.ts';
import { parseReference, type ImageReference } from './reference.ts';

const ref = (s: string): ImageReference => {
  const r = parseReference(s);
  if (!r.ok) throw new Error(r.message);
  return r.ref;
};
const auth = (u: string, p: string): string => Buffer.from(`${u}:${p}`).toString('base64');

test('Docker Hub references go to the default registry, others to their own', (t) => {
  const hub = { defaultRegistry: 'https://registry-1.docker.io' };
  t.like(pullSource(ref('busybox'), hub), { host: 'docker.io', transportRef: 'docker://docker.io/library/busybox:latest', plainHttp: false });
  const mirror = { defaultRegistry: 'http://10.0.0.5:5000' };
  t.like(pullSource(ref('busybox:1'), mirror), { host: '10.0.0.5:5000', transportRef: 'docker://10.0.0.5:5000/library/busybox:1', plainHttp: true });
  t.like(pullSource(ref('registry.example.com/app:1'), mirror), { host: 'registry.example.com', transportRef: 'docker://registry.example.com/app:1', plainHttp: false });
});

test('plain http for loopback and insecure registries only', (t) => {
  const s = { defaultRegistry: 'https://registry-1.docker.io', insecureRegistries: ['reg.lan:5000'] };
  t.true(pullSource(ref('127.0.0.1:5000/a'), s).plainHttp);
  t.true(pullSource(ref('localhost:5000/a'), s).plainHttp);
  t.true(pullSource(ref('reg.lan:5000/a'), s).plainHttp);
  t.false(pullSource(ref('reg.lan:5001/a'), s).plainHttp);
  t.true(isLoopbackHost('[::1]:5000'));
  t.false(isLoopbackHost('128.0.0.1:5000'));
});

test('credentials from a Docker config.json', (t) => {
  const config = {
    auths: {
      '127.0.0.1:5000': { auth: auth('alice', 'p:w') },
      'https://index.docker.io/v1/': { auth: auth('hub', 'x') },
      'http://reg.lan/v2/': { username: 'bob', password: 'y' },
    },
  };
  t.deepEqual(credentialsFor('127.0.0.1:5000', config), { user: 'alice', password: 'p:w' });
  t.deepEqual(credentialsFor('docker.io', config), { user: 'hub', password: 'x' });
  t.deepEqual(credentialsFor('reg.lan', config), { user: 'bob', password: 'y' });
  t.is(credentialsFor('127.0.0.1:5001', config), undefined);
  t.is(credentialsFor('docker.io', undefined), undefined);
  t.deepEqual(pullSource(ref('127.0.0.1:5000/a'), { defaultRegistry: 'x', dockerConfig: config }).credentials, { user: 'alice', password: 'p:w' });
});
