import test from 'ava';
import { execFileSync } from 'node:child_process';
import type { mesos } from '../../../proto/types.generated.ts';
import { nativeNamespacesWrap, parseNamespacesIsolation, type NativeNamespacesInput, type NativeNamespacesOptions } from './native-namespaces.ts';

const TOOLS = { unshare: '/usr/bin/unshare', sh: '/bin/sh' };
const SB = '/srv/w/runs/c1';
const input = (over: Partial<NativeNamespacesInput> = {}): NativeNamespacesInput => ({ sandbox: SB, volumes: [], tools: TOOLS, ...over });
const BOTH: NativeNamespacesOptions = { pidNamespace: true, filesystemLinux: true };
const FS: NativeNamespacesOptions = { pidNamespace: false, filesystemLinux: true };
const PID: NativeNamespacesOptions = { pidNamespace: true, filesystemLinux: false };

function prefixOf(options: NativeNamespacesOptions, i: NativeNamespacesInput): readonly string[] {
  const w = nativeNamespacesWrap(options, i);
  if (!w.ok) throw new Error(w.message);
  return w.prefix;
}

test('parseNamespacesIsolation picks the two names out of --isolation', (t) => {
  t.deepEqual(parseNamespacesIsolation([]), { pidNamespace: false, filesystemLinux: false });
  t.deepEqual(parseNamespacesIsolation(['cgroups/cpu', 'namespaces/pid']), { pidNamespace: true, filesystemLinux: false });
  t.deepEqual(parseNamespacesIsolation(['filesystem/linux', 'posix/mem']), { pidNamespace: false, filesystemLinux: true });
  t.deepEqual(parseNamespacesIsolation(['filesystem/linux', 'namespaces/pid']), BOTH);
  t.deepEqual(parseNamespacesIsolation(['namespaces/ipc', 'filesystem/posix']), { pidNamespace: false, filesystemLinux: false });
});

test('neither option: an empty prefix, volumes not looked at', (t) => {
  t.deepEqual(nativeNamespacesWrap({ pidNamespace: false, filesystemLinux: false }, input({ sandbox: '/tmp/x', volumes: [{ container_path: '', mode: 'RW' }] })), { ok: true, prefix: [] });
});

test('namespaces/pid alone: unshare with a pid namespace and its own /proc, no shell', (t) => {
  t.deepEqual(prefixOf(PID, input({ sandbox: '/tmp/allowed-without-filesystem-linux' })), [
    '/usr/bin/unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--kill-child', '--',
  ]);
});

test('filesystem/linux alone: a mount namespace and the setup shell; the script makes the private /tmp and execs its arguments', (t) => {
  t.deepEqual(prefixOf(FS, input()), [
    '/usr/bin/unshare', '--mount', '--propagation', 'private', '--',
    '/bin/sh', '-c',
    [
      `mkdir -p '${SB}/tmp' && chmod 1777 '${SB}/tmp' || { printf '%s\\n' 'maestro: cannot make the private /tmp from '\\''${SB}/tmp'\\''' >&2; exit 125; }`,
      `'mount' -n --rbind '${SB}/tmp' /tmp || { printf '%s\\n' 'maestro: cannot make the private /tmp from '\\''${SB}/tmp'\\''' >&2; exit 125; }`,
      'exec "$@"',
    ].join('\n'),
    'maestro-ns',
  ]);
});

test('both: the pid flags and the setup shell; a given mount tool is used by its path', (t) => {
  const p = prefixOf(BOTH, input({ tools: { ...TOOLS, mount: '/usr/bin/mount' } }));
  t.deepEqual(p.slice(0, 12), ['/usr/bin/unshare', '--mount', '--propagation', 'private', '--pid', '--fork', '--mount-proc', '--kill-child', '--', '/bin/sh', '-c', p[11]]);
  t.is(p[12], 'maestro-ns');
  t.is(p.length, 13);
  t.regex(p[11], /'\/usr\/bin\/mount' -n --rbind '\/srv\/w\/runs\/c1\/tmp' \/tmp/);
  t.notRegex(p[11], /'mount'/);
});

test('volumes: checks, creation, binds in order, then /tmp last', (t) => {
  const volumes: mesos.v1.Volume[] = [
    { container_path: 'ro', mode: 'RO', host_path: '/h/ro' },
    { container_path: '/opt/rw', mode: 'RW', source: { type: 'HOST_PATH', host_path: { path: '/h/rw' } } },
  ];
  const script = prefixOf(FS, input({ volumes }))[7].split('\n');
  t.deepEqual(script.slice(1, 6), [
    `[ -e '/h/ro' ] || { printf '%s\\n' 'maestro: volume 0: host path '\\''/h/ro'\\'' does not exist' >&2; exit 125; }`,
    `if [ -d '/h/ro' ]; then mkdir -p '${SB}/ro'; else mkdir -p '${SB}' && { [ -e '${SB}/ro' ] || : >'${SB}/ro'; }; fi || { printf '%s\\n' 'maestro: volume 0: cannot create container path '\\''${SB}/ro'\\''' >&2; exit 125; }`,
    `{ 'mount' -n --bind '/h/ro' '${SB}/ro' && 'mount' -n -o remount,bind,ro '${SB}/ro'; } || { printf '%s\\n' 'maestro: volume 0: cannot mount '\\''/h/ro'\\'' on '\\''${SB}/ro'\\'' read-only' >&2; exit 125; }`,
    `[ -e '/h/rw' ] || { printf '%s\\n' 'maestro: volume 1: host path '\\''/h/rw'\\'' does not exist' >&2; exit 125; }`,
    `[ -e '/opt/rw' ] || { printf '%s\\n' 'maestro: volume 1: container path '\\''/opt/rw'\\'' does not exist' >&2; exit 125; }`,
  ]);
  t.is(script[6], `'mount' -n --rbind '/h/rw' '/opt/rw' || { printf '%s\\n' 'maestro: volume 1: cannot mount '\\''/h/rw'\\'' on '\\''/opt/rw'\\''' >&2; exit 125; }`);
  t.regex(script[7], /^'mount' -n --rbind '\/srv\/w\/runs\/c1\/tmp' \/tmp /);
  t.is(script[8], 'exec "$@"');
  t.is(script.length, 9);
});

test('odd paths survive the shell: quotes, spaces, newlines, $ and backslashes come back byte for byte', (t) => {
  const sandbox = "/srv/it's a \"sand\"box $HOME \\n\nline";
  const host = "/h/`x` $(y) 'z'\\";
  const script = prefixOf(FS, input({ sandbox, volumes: [{ container_path: "v 'q'", mode: 'RW', host_path: host }] }))[7];
  // The real /bin/sh runs the script with its side effects replaced by functions that print the
  // words they got; every `[ -e/-d PATH ]` test answers true (t_).
  const dry = script.replaceAll("'mount'", 'mount').replaceAll('[ -e ', 't_ ').replaceAll('[ -d ', 't_ ').replaceAll(' ]', '');
  const shown = execFileSync('/bin/sh', ['-c', `mkdir() { printf '<%s>' mkdir "$@"; printf '\\000'; }; chmod() { :; }; mount() { printf '<%s>' mount "$@"; printf '\\000'; }; t_() { return 0; }\n${dry}`, 'maestro-ns', 'printf', 'ran:%s', 'ok'], { encoding: 'utf8' });
  t.deepEqual(shown.split('\0'), [
    `<mkdir><-p><${sandbox}/tmp>`,
    `<mkdir><-p><${sandbox}/v 'q'>`,
    `<mount><-n><--rbind><${host}><${sandbox}/v 'q'>`,
    `<mount><-n><--rbind><${sandbox}/tmp></tmp>`,
    'ran:ok',
  ]);
});

test('allowedHostPaths: each host path is also checked with its symlinks resolved, against the allowed paths and the sandbox', (t) => {
  const volumes: mesos.v1.Volume[] = [{ container_path: 'd', mode: 'RW', host_path: '/data/x' }];
  const script = prefixOf(FS, input({ volumes, allowedHostPaths: ['/data/', '/srv/share'] }))[7].split('\n');
  t.regex(script[1], /^_maestro_under\(\) \{ /);
  t.is(script[3], `_maestro_under '/data/x' '${SB}' '/data/' '/srv/share' || { printf '%s\\n' 'maestro: volume 0: host path '\\''/data/x'\\'' resolves (symlinks followed) outside the allowed host paths and the sandbox' >&2; exit 125; }`);
  // Without a list, or with / in it, there is nothing to check.
  t.false(prefixOf(FS, input({ volumes }))[7].includes('_maestro_under'));
  t.false(prefixOf(FS, input({ volumes, allowedHostPaths: ['/data', '/'] }))[7].includes('_maestro_under'));
});

test('_maestro_under, run by the real /bin/sh: at or under a root after readlink -f, never matched by an unresolvable root', (t) => {
  const script = prefixOf(FS, input({ volumes: [{ container_path: 'd', mode: 'RW', host_path: '/a/x' }], allowedHostPaths: ['/a'] }))[7].split('\n')[1];
  const under = (...args: string[]): boolean => {
    try {
      execFileSync('/bin/sh', ['-c', `${script}\n_maestro_under "$@"`, 'sh', ...args]);
      return true;
    } catch {
      return false;
    }
  };
  t.true(under('/usr/bin', '/usr'));
  t.true(under('/usr', '/usr'));
  t.false(under('/usr2', '/usr'));
  t.false(under('/etc', '/usr', '/nonexistent-parent/x'));
  t.true(under('/etc/../usr/lib', '/nonexistent-parent/x', '/usr'));
});

const refused: readonly { name: string; options: NativeNamespacesOptions; input: NativeNamespacesInput; message: string }[] = [
  { name: 'a sandbox under /tmp (the private /tmp would hide it)', options: FS, input: input({ sandbox: '/tmp/w/runs/c1' }), message: "filesystem/linux: the sandbox '/tmp/w/runs/c1' is under /tmp, which the task's private /tmp would hide (use a --work_dir outside /tmp)" },
  { name: 'a relative sandbox', options: BOTH, input: input({ sandbox: 'runs/c1' }), message: "filesystem/linux: the sandbox 'runs/c1' is not an absolute path" },
  { name: 'a volume that escapes', options: BOTH, input: input({ volumes: [{ container_path: '../../x', mode: 'RW', host_path: '/h' }] }), message: "volume 0 '../../x': the container path leaves the sandbox" },
  { name: 'a host path not allowed', options: FS, input: input({ allowedHostPaths: ['/data'], volumes: [{ container_path: 'd', mode: 'RO', host_path: '/etc' }] }), message: "volume 0 'd': host path '/etc' is not under an allowed host path (/data)" },
  { name: 'an image volume', options: FS, input: input({ volumes: [{ container_path: 'd', mode: 'RO', image: { type: 'DOCKER', docker: { name: 'alpine' } } }] }), message: "volume 0 'd': image volumes are not supported for tasks without an image" },
  { name: 'a missing container path', options: FS, input: input({ volumes: [{ container_path: '', mode: 'RO', host_path: '/h' }] }), message: 'volume 0: no container_path' },
];

for (const c of refused) {
  test(`nativeNamespacesWrap refuses ${c.name}`, (t) => {
    t.deepEqual(nativeNamespacesWrap(c.options, c.input), { ok: false, message: c.message });
  });
}
