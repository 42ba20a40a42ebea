/**
 * /files against a real temporary sandbox (test-fixtures.ts) through the agent app: listings,
 * reads with Mesos' offsets and lengths, downloads, and every way out of the sandbox refused:
 * `..`, links to a directory, a file or a sibling run outside, a link loop, URL-encoded dots,
 * a NUL byte, absolute paths that are not attached.
 */
import test from 'ava';
import { createAgentApp } from './app.ts';
import { fakeAgentView, sandboxFixture, STDOUT_TEXT } from './test-fixtures.ts';

const fixture = sandboxFixture();
const app = createAgentApp({ view: fakeAgentView(fixture), logger: false, version: '0.1.0' });
test.after.always(async () => {
  await app.close();
  fixture.cleanup();
});

const V = fixture.virtual;
const get = (url: string) => app.inject({ method: 'GET', url });
const q = (path: string) => encodeURIComponent(path);

test('browse lists the sandbox by its virtual path, sorted, with Mesos FileInfo fields', async (t) => {
  const res = await get(`/files/browse?path=${q(V)}`);
  t.is(res.statusCode, 200);
  t.regex(String(res.headers['content-type']), /application\/json/);
  const listing = res.json() as { path: string; mode: string; size: number; nlink: number; mtime: number; uid: string; gid: string }[];
  // loop is a link loop: stat fails, so it is not listed (as in Mesos).
  t.deepEqual(listing.map((e) => e.path), [
    'big.log', 'etc-link', 'inside-link', 'outside-link', 'sibling-link', 'stderr', 'stdout', 'sub',
  ].map((n) => `${V}/${n}`));
  const stdout = listing.find((e) => e.path === `${V}/stdout`)!;
  t.is(stdout.size, Buffer.byteLength(STDOUT_TEXT));
  t.regex(stdout.mode, /^-rw/);
  t.is(typeof stdout.mtime, 'number');
  t.is(typeof stdout.uid, 'string');
  t.regex(listing.find((e) => e.path === `${V}/sub`)!.mode, /^d/);
});

test('browse with a trailing slash, a subdirectory, a file:// URI, the real path, and a file', async (t) => {
  t.deepEqual((await get(`/files/browse?path=${q(`${V}/sub/`)}`)).json().map((e: { path: string }) => e.path), [`${V}/sub/inner.txt`]);
  t.deepEqual((await get(`/files/browse?path=${q(`${V}/sub`)}`)).json().map((e: { path: string }) => e.path), [`${V}/sub/inner.txt`]);
  t.deepEqual((await get(`/files/browse?path=${q(`file://${V}/sub`)}`)).json().map((e: { path: string }) => e.path), [`${V}/sub/inner.txt`]);
  const real = await get(`/files/browse?path=${q(fixture.sandbox)}`);
  t.is(real.statusCode, 200);
  t.true(real.json().some((e: { path: string }) => e.path === `${fixture.sandbox}/stdout`));
  const file = await get(`/files/browse?path=${q(`${V}/stdout`)}`);
  t.deepEqual([file.statusCode, file.json()], [200, []]); // Mesos lists nothing for a file
});

test('browse and read need a path; unknown paths are 404', async (t) => {
  for (const endpoint of ['browse', 'read', 'download']) {
    const missing = await get(`/files/${endpoint}`);
    t.is(missing.statusCode, 400, endpoint);
    t.is(missing.body, "Expecting 'path=value' in query.\n");
    t.is((await get(`/files/${endpoint}?path=`)).statusCode, 400);
    t.is((await get(`/files/${endpoint}?path=${q('/frameworks/F1/executors/nope/runs/latest')}`)).statusCode, 404);
    t.is((await get(`/files/${endpoint}?path=${q(`${V}/no-such-file`)}`)).statusCode, 404);
  }
});

// [offset, length, expected {data, offset}] over stdout (32 bytes)
const size = Buffer.byteLength(STDOUT_TEXT);
const reads: [string | undefined, string | undefined, { data: string; offset: number }][] = [
  [undefined, undefined, { data: '', offset: size }], // no offset: -1, the file length
  ['-1', undefined, { data: '', offset: size }],
  ['0', undefined, { data: STDOUT_TEXT, offset: 0 }],
  ['0', '-1', { data: STDOUT_TEXT, offset: 0 }],
  ['0', '5', { data: 'hello', offset: 0 }],
  ['6', '4', { data: 'from', offset: 6 }],
  ['20', '100', { data: STDOUT_TEXT.slice(20), offset: 20 }],
  [String(size), '10', { data: '', offset: size }],
  ['1000', '10', { data: '', offset: 1000 }], // past the end: no data, at the requested offset
  ['3', '0', { data: '', offset: 3 }],
];

for (const [offset, length, expected] of reads) {
  test(`read stdout offset=${offset} length=${length}`, async (t) => {
    let url = `/files/read?path=${q(`${V}/stdout`)}`;
    if (offset !== undefined) url += `&offset=${offset}`;
    if (length !== undefined) url += `&length=${length}`;
    const res = await get(url);
    t.is(res.statusCode, 200);
    t.deepEqual(res.json(), expected);
  });
}

test('read caps one answer at 16 pages (65536 bytes)', async (t) => {
  const res = await get(`/files/read?path=${q(`${V}/big.log`)}&offset=0`);
  t.is(res.json().data.length, 65536);
  const tail = await get(`/files/read?path=${q(`${V}/big.log`)}&offset=90000&length=100000`);
  t.deepEqual([tail.json().offset, tail.json().data.length], [90000, 10000]);
});

const badReads: [string, string][] = [
  ['&offset=-2', 'Negative offset provided: -2.\n'],
  ['&offset=0&length=-3', 'Negative length provided: -3.\n'],
  ['&offset=abc', "Failed to parse offset: Failed to convert 'abc' to number.\n"],
  ['&offset=0&length=1e3', "Failed to parse length: Failed to convert '1e3' to number.\n"],
];
for (const [params, message] of badReads) {
  test(`read refuses ${params}`, async (t) => {
    const res = await get(`/files/read?path=${q(`${V}/stdout`)}${params}`);
    t.is(res.statusCode, 400);
    t.is(res.body, message);
  });
}

test('read and download refuse a directory', async (t) => {
  const read = await get(`/files/read?path=${q(`${V}/sub`)}&offset=0`);
  t.deepEqual([read.statusCode, read.body], [400, 'Cannot read a directory.\n']);
  const download = await get(`/files/download?path=${q(V)}`);
  t.deepEqual([download.statusCode, download.body], [400, 'Cannot download a directory.\n']);
});

test('links and dot-dot that stay inside the sandbox are followed', async (t) => {
  for (const path of [`${V}/inside-link`, `${V}/sub/../stdout`, `${V}/./stdout`, `${V}//stdout`]) {
    const res = await get(`/files/read?path=${q(path)}&offset=0`);
    t.is(res.statusCode, 200, path);
    t.is(res.json().data, STDOUT_TEXT, path);
  }
});

/** Paths that resolve outside their sandbox: Mesos answers 400 "'<path>' is inaccessible." */
const escapes: string[] = [
  `${V}${'/..'.repeat(20)}/etc/passwd`,
  `${V}/..`,
  `${V}/../C12/secret`,
  `${V}/etc-link/passwd`,
  `${V}/etc-link`,
  `${V}/outside-link`,
  `${V}/sibling-link/secret`,
  `${V}/sub/../../C12/secret`,
  `${fixture.sandbox}${'/..'.repeat(8)}/outside.txt`, // the work dir
  `${V}${'/..'.repeat(8)}/outside.txt`,
];

for (const [i, path] of escapes.entries()) {
  test(`escape ${i} is refused by browse, read and download: ${path.slice(V.length)}`, async (t) => {
    for (const endpoint of ['browse', 'read', 'download']) {
      const res = await get(`/files/${endpoint}?path=${q(path)}&offset=0`);
      t.is(res.statusCode, 400, endpoint);
      t.regex(res.body, /is inaccessible\.\n$/, endpoint);
      t.notRegex(res.body, /root:|sibling secret|outside\n?$/);
    }
  });
}

test('a link loop cannot be canonicalised: 400', async (t) => {
  const res = await get(`/files/read?path=${q(`${V}/loop`)}&offset=0`);
  t.is(res.statusCode, 400);
  t.regex(res.body, /^Failed to determine canonical path of /);
});

/** Raw query strings: what reaches the jail after the one URL decoding a request gets. */
const notAttached: string[] = [
  'path=/etc/passwd',
  'path=/etc',
  `path=${q(`${fixture.workDir}/outside.txt`)}`,
  `path=${q(`${fixture.workDir}/slaves/S1/frameworks/F1/executors/task-1/runs`)}`, // the parent of a sandbox
  `path=${q(fixture.sibling)}/secret`, // a run that is not attached
  `path=${q(V)}%2F%252e%252e%2F%252e%252e%2Foutside.txt`, // double-encoded dots stay literal names: absent
  `path=${q(V)}%2Fstdout%00.txt`, // NUL byte
  `path=${q(V)}%00%2F..%2F..%2Fetc%2Fpasswd`,
  'path=frameworks/F1/executors/task-1/runs/latest/stdout', // relative
  'path=..%2F..%2Fetc%2Fpasswd',
  'path=%2Fframeworks%2FF1%2Fexecutors%2Ftask-1%2Fruns%2Flatest2%2Fstdout', // a name prefix, not a component
];

for (const [i, query] of notAttached.entries()) {
  test(`not attached, 404 (${i}): ${query.slice(-60)}`, async (t) => {
    for (const endpoint of ['browse', 'read', 'download']) {
      const res = await get(`/files/${endpoint}?${query}&offset=0`);
      t.is(res.statusCode, 404, `${endpoint} ${query}`);
    }
  });
}

test('URL-encoded dot-dot is decoded once, then refused like plain dot-dot', async (t) => {
  const res = await get(`/files/read?path=${q(V)}${'%2F%2e%2e'.repeat(20)}%2Fetc%2Fpasswd&offset=0`);
  t.is(res.statusCode, 400);
  t.regex(res.body, /is inaccessible/);
});

test('download streams the bytes as an attachment', async (t) => {
  const res = await get(`/files/download?path=${q(`${V}/stdout`)}`);
  t.is(res.statusCode, 200);
  t.is(res.body, STDOUT_TEXT);
  t.is(res.headers['content-type'], 'application/octet-stream');
  t.is(res.headers['content-disposition'], 'attachment; filename=stdout');
  const inner = await get(`/files/download?path=${q(`${V}/sub/inner.txt`)}`);
  t.deepEqual([inner.body, inner.headers['content-type']], ['inner', 'text/plain']);
});

test('debug shows the attached names; .json aliases and jsonp answer the same', async (t) => {
  const debug = await get('/files/debug');
  t.deepEqual(debug.json(), {
    [fixture.sandbox]: fixture.sandbox,
    [V]: fixture.sandbox,
    '/frameworks/F1/executors/task-1/runs/C1': fixture.sandbox,
  });
  const alias = await get(`/files/read.json?path=${q(`${V}/stdout`)}&offset=0&length=5`);
  t.deepEqual(alias.json(), { data: 'hello', offset: 0 });
  const jsonp = await get(`/files/read?path=${q(`${V}/stdout`)}&offset=0&length=5&jsonp=cb`);
  t.is(jsonp.body, 'cb({"data":"hello","offset":0});');
  t.regex(String(jsonp.headers['content-type']), /text\/javascript/);
  const dotted = await get(`/files/read?path=${q(`${V}/stdout`)}&offset=0&length=5&jsonp=jQuery1.cb_2`);
  t.is(dotted.body, 'jQuery1.cb_2({"data":"hello","offset":0});');
  for (const evil of ['alert(1)//', '<script>', 'a;b', '1abc', '']) {
    const plain = await get(`/files/read?path=${q(`${V}/stdout`)}&offset=0&length=5&jsonp=${q(evil)}`);
    t.deepEqual([plain.body, plain.headers['content-type']], ['{"data":"hello","offset":0}', 'application/json; charset=utf-8'], evil);
  }
});
