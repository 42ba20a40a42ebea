import test from 'ava';
import { legacyFileInfo, modeString, parseNameTable, v1FileInfo } from './file-info.ts';

const modes: [number, string][] = [
  [0o100644, '-rw-r--r--'],
  [0o040755, 'drwxr-xr-x'],
  [0o120777, 'lrwxrwxrwx'],
  [0o104755, '-rwsr-xr-x'], // setuid with exec
  [0o104644, '-rwSr--r--'], // setuid without exec
  [0o102750, '-rwxr-s---'], // setgid
  [0o041777, 'drwxrwxrwt'], // sticky /tmp
  [0o041776, 'drwxrwxrwT'],
  [0o010600, 'prw-------'],
  [0o140700, 'srwx------'],
  [0o020620, 'crw--w----'],
  [0o060660, 'brw-rw----'],
  [0o100000, '----------'],
];

for (const [mode, text] of modes) {
  test(`modeString(${mode.toString(8)}) = ${text}`, (t) => {
    t.is(modeString(mode), text);
  });
}

const names = { user: (uid: number) => (uid === 0 ? 'root' : undefined), group: (gid: number) => (gid === 0 ? 'root' : undefined) };
const stat = { mode: 0o100644, nlink: 1, size: 42, mtimeMs: 1_700_000_000_999, uid: 0, gid: 1234 };

test('legacy FileInfo: mtime in whole seconds, names or numbers for owners', (t) => {
  t.deepEqual(legacyFileInfo('/frameworks/F/executors/E/runs/latest/stdout', stat, names), {
    path: '/frameworks/F/executors/E/runs/latest/stdout', nlink: 1, size: 42, mtime: 1_700_000_000,
    mode: '-rw-r--r--', uid: 'root', gid: '1234',
  });
});

test('v1 FileInfo: raw mode, mtime in nanoseconds', (t) => {
  t.deepEqual(v1FileInfo('/x', stat, names), {
    path: '/x', nlink: 1, size: 42, mtime: { nanoseconds: 1_700_000_000 * 1e9 }, mode: 0o100644, uid: 'root', gid: '1234',
  });
});

test('parseNameTable: first name per id, comments and malformed lines skipped', (t) => {
  const table = parseNameTable('root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\ntoor:x:0:0::/:/bin/sh\nnobody:x:65534:65534::/:/usr/sbin/nologin\n');
  t.deepEqual([...table], [[0, 'root'], [65534, 'nobody']]);
});
