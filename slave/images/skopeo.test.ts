import test from 'ava';
import { classifyCopyFailure, explainPullFailure, skopeoMessage } from './skopeo.ts';

// Real skopeo 1.9 stderr lines, as seen against Debian's docker-registry.
const fatal = (msg: string): string => `time="2026-11-22T20:17:09Z" level=fatal msg=${JSON.stringify(msg)}\n`;

test('skopeo failures are classified', (t) => {
  const cases: Array<[string, ReturnType<typeof classifyCopyFailure>]> = [
    ['initializing source docker://127.0.0.1:1/x:1: pinging container registry 127.0.0.1:1: Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused', 'unreachable'],
    ['initializing source docker://h/t:nope: reading manifest nope in h/t: manifest unknown: manifest unknown', 'manifest-unknown'],
    ['initializing source docker://h/t:1: unable to retrieve auth token: invalid username/password: unauthorized: incorrect username or password', 'auth'],
    ['reading manifest 1 in h/t: unauthorized', 'auth'],
    ['writing blob: happened during read: Digest did not match, expected sha256:aa, got sha256:bb', 'digest'],
    ['reading blob sha256:404404: unexpected EOF', 'corrupt'],
    ['something else entirely', 'other'],
  ];
  for (const [msg, kind] of cases) t.is(classifyCopyFailure(fatal(msg)), kind, msg);
});

test('messages name the registry and the reference', (t) => {
  t.is(skopeoMessage(fatal('a "quoted" thing')), 'a "quoted" thing');
  const m = explainPullFailure('127.0.0.1:1/x:1', '127.0.0.1:1', fatal('initializing source docker://127.0.0.1:1/x:1: pinging container registry 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused'), false);
  t.is(m, 'registry 127.0.0.1:1 is unreachable: pinging container registry 127.0.0.1:1: dial tcp 127.0.0.1:1: connect: connection refused');
  t.regex(explainPullFailure('r', 'h', fatal('unauthorized'), false), /requires credentials .* none are configured/);
  t.regex(explainPullFailure('r', 'h', fatal('unauthorized'), true), /refused the credentials for 'r'/);
});
