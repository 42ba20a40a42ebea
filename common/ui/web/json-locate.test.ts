import test from 'ava';
import { fieldErrors } from './field-errors.ts';
import { locatePath, pathSegments } from './json-locate.ts';

const TEXT = `{
  "id": "/web",
  "cpus": "one",
  "container": { "docker": { "image": "" } },
  "portDefinitions": [ { "port": 0 }, { "port": -1 } ]
}`;

test('path segments: Marathon (i) and Metronome /i array items', (t) => {
  t.deepEqual(pathSegments('/'), []);
  t.deepEqual(pathSegments('/portDefinitions(1)/port'), ['portDefinitions', '1', 'port']);
  t.deepEqual(pathSegments('/run/artifacts/0/uri'), ['run', 'artifacts', '0', 'uri']);
  t.deepEqual(pathSegments('/apps(0)(2)'), ['apps', '0', '2']);
});

test('a field is located at its key, with its line', (t) => {
  const cpus = locatePath(TEXT, '/cpus');
  t.is(cpus?.line, 3);
  t.is(TEXT.slice(cpus!.start, cpus!.end), '"cpus": "one"');
  t.true(cpus!.exact);
  const image = locatePath(TEXT, '/container/docker/image');
  t.is(image?.line, 4);
  t.is(TEXT.slice(image!.start, image!.end), '"image": ""');
  const port = locatePath(TEXT, '/portDefinitions(1)/port');
  t.is(TEXT.slice(port!.start, port!.end), '"port": -1');
  t.is(port?.line, 5);
});

test('a missing field falls back to its nearest ancestor; the root is the whole text', (t) => {
  const cmd = locatePath(TEXT, '/cmd');
  t.false(cmd!.exact);
  t.is(cmd!.line, 1);
  t.is(cmd!.end, TEXT.length);
  const missing = locatePath(TEXT, '/container/docker/network');
  t.is(missing!.line, 4);
  t.false(missing!.exact);
});

test('text that is not JSON locates nothing', (t) => {
  t.is(locatePath('{"cpus": }', '/cpus'), undefined);
  t.is(locatePath('{"a":1} x', '/a'), undefined);
});

test('every error shape field-errors reads is located: Marathon (i), Metronome /i and JsPath, maestro field', (t) => {
  const job = `{
  "id": "nightly",
  "run": {
    "cpus": -1,
    "artifacts": [ { "uri": "" } ]
  }
}`;
  const at = (body: unknown) => fieldErrors(body).map((e) => locatePath(job, e.path)?.line);
  t.deepEqual(at({ details: [{ path: '/run/cpus', errors: ['error.min'] }] }), [4]);
  t.deepEqual(at({ details: [{ path: 'obj.run.artifacts[0].uri', errors: ['error.required'] }] }), [5]);
  t.deepEqual(at({ details: [{ path: '/run/artifacts/0/uri', errors: ['error.required'] }] }), [5]);
  t.deepEqual(at({ message: 'id must be lowercase', field: 'id' }), [2]);
  t.deepEqual(at({ details: [{ path: '/', errors: ['cmd or docker is required'] }] }), [1]);
  const app = '{\n  "labels": {\n    "com.example.tier": 7\n  }\n}';
  const label = fieldErrors({ details: [{ path: '/labels/com.example.tier', errors: ['error.expected.jsstring'] }] })[0];
  t.like(locatePath(app, label.path), { line: 3, exact: true });
});
