import test from 'ava';
import { normalizeReference, parseReference } from './reference.ts';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

test('references normalize as Docker does', (t) => {
  const cases: Array<[string, string]> = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36'],
    ['library/busybox', 'docker.io/library/busybox:latest'],
    ['user/app:v2', 'docker.io/user/app:v2'],
    ['index.docker.io/user/app', 'docker.io/user/app:latest'],
    ['docker.io/busybox', 'docker.io/library/busybox:latest'],
    ['127.0.0.1:5000/x/y:1', '127.0.0.1:5000/x/y:1'],
    ['localhost/app', 'localhost/app:latest'],
    ['registry.example.com/team/app', 'registry.example.com/team/app:latest'],
    [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`],
    [`busybox:1@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`], // the digest is what is pulled
    ['[::1]:5000/app:2', '[::1]:5000/app:2'],
  ];
  for (const [input, want] of cases) t.is(normalizeReference(input), want, input);
});

test('parts of a reference', (t) => {
  const r = parseReference('127.0.0.1:5000/tools/web:2');
  t.true(r.ok);
  if (r.ok) t.like(r.ref, { domain: '127.0.0.1:5000', path: 'tools/web', tag: '2' });
  const d = parseReference(`app@${DIGEST}`);
  if (d.ok) t.like(d.ref, { domain: 'docker.io', path: 'library/app', digest: DIGEST });
  t.true(d.ok);
  t.false(d.ok && 'tag' in d.ref && d.ref.tag !== undefined);
});

test('invalid references are failures naming what is wrong', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['BusyBox', /lowercase/],
    ['busybox:', /tag '' is not valid/],
    ['busybox@sha256:abc', /digest 'sha256:abc'/],
    ['a//b', /lowercase/],
    ['busybox:-x', /tag '-x'/],
  ];
  for (const [input, want] of cases) {
    const r = parseReference(input);
    t.false(r.ok, input);
    if (!r.ok) t.regex(r.message, want, input);
  }
});
