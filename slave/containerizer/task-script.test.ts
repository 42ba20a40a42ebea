/**
 * The launch path's text: shell quoting read back by the real /bin/sh, the request line decoded
 * by launcher.sh's own printf %b (odd run directory names), handshake replies, and task.sh.
 */
import test from 'ava';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cgroupJoinScript, JOIN_FAILED_EXIT } from '../isolators/cgroups/join.ts';
import { encodeRequest, parseReply, shellQuote, taskScript } from './task-script.ts';

const ODD = ['plain', '', 'with space', "it's", "''", 'a\nb', 'back\\slash', '\\0134', 'tab\there', '$HOME `id` $(id)', 'ünïcödé ✓', '-n', 'trailing\n\n', '%b %s'];

test('shellQuote: /bin/sh reads every odd string back unchanged', (t) => {
  const script = ODD.map((s) => `printf '%s\\0' ${shellQuote(s)}`).join('\n');
  const out = execFileSync('/bin/sh', ['-c', script], { encoding: 'utf8' });
  t.deepEqual(out.split('\0').slice(0, -1), ODD);
});

/** Decodes request lines as launcher.sh does (`read -r`, split at the first space, printf %b only with a backslash). */
function decodeWithDash(lines: string): string[] {
  const script = [
    'while IFS= read -r l; do',
    '  d=${l#* }',
    "  case $d in *\\\\*) d=$(printf '%bx' \"$d\"); d=${d%x} ;; esac",
    "  printf '%s\\0' \"$d\"",
    'done',
  ].join('\n');
  return execFileSync('/bin/sh', ['-c', script], { input: lines, encoding: 'utf8' }).split('\0').slice(0, -1);
}

test('encodeRequest: one line per request, decoded by the launcher to the exact run directory', (t) => {
  const dirs = ODD.filter((s) => s !== '').map((s) => `/tmp/run/${s}`);
  const lines = dirs.map((d, i) => encodeRequest(i, d)).join('');
  t.is(lines.split('\n').length - 1, dirs.length); // one line each, whatever the name
  t.deepEqual(decodeWithDash(lines), dirs);
});

test('property: any run directory name without NUL survives the request line', (t) => {
  const names = fc.sample(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).filter((s) => !s.includes('\0')), { numRuns: 200, seed: 7 });
  const dirs = names.map((n) => `/w/${n}`);
  t.deepEqual(decodeWithDash(dirs.map((d, i) => encodeRequest(i, d)).join('')), dirs);
});

const replies: Array<[string, ReturnType<typeof parseReply>]> = [
  ['7 1234 1240', { seq: 7, ok: true, supervisorPid: 1234, taskPid: 1240 }],
  ['12 fail', { seq: 12, ok: false }],
  ['7 1234', undefined],
  ['x 1 2', undefined],
  ['', undefined],
  ['7 1234 1240 9', undefined],
];
for (const [line, expected] of replies) {
  test(`parseReply: ${JSON.stringify(line)}`, (t) => t.deepEqual(parseReply(line), expected));
}

test('taskScript: sourced by /bin/sh, it sets the directories and execs env -i with exactly the environment', (t) => {
  const text = taskScript({
    workingDirectory: "/w/it's here",
    sandbox: '/s/a\nb',
    environment: { A: 'x y', B: "q'q", C: 'line1\nline2' },
    envTool: '/usr/bin/env',
    asUser: [],
    argv: ['/bin/sh', '-c', 'printf "%s|%s|%s|%s" "$A" "$B" "$C" "$0"'],
  });
  const dir = mkdtempSync(join(tmpdir(), 'maestro-task-script-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'task.sh'), text);
  const out = execFileSync('/bin/sh', ['-c', `. "$1"; printf '%s\\0%s\\0' "$_maestro_sv_cwd" "$_maestro_sv_sandbox"; (cd / && _maestro_sv_exec)`, 'sh', join(dir, 'task.sh')], { encoding: 'utf8' });
  t.deepEqual(out.split('\0'), ["/w/it's here", '/s/a\nb', "x y|q'q|line1\nline2|/bin/sh"]);
});

test('taskScript with a join: the subshell runs it before the exec; a failed join exits 125 and runs nothing; without one the function is a bare exec', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-task-script-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const procs = join(dir, 'cgroup.procs');
  const base = { workingDirectory: dir, sandbox: dir, environment: {}, envTool: '/usr/bin/env', asUser: [], argv: ['/bin/sh', '-c', 'echo ran'] };
  t.regex(taskScript(base), /^_maestro_sv_exec\(\) \{ exec '/m);
  const run = (join_: string) => {
    writeFileSync(join(dir, 'task.sh'), taskScript({ ...base, join: join_ }));
    try {
      return { status: 0, out: execFileSync('/bin/sh', ['-c', '. "$1"; (_maestro_sv_exec)', 'sh', join(dir, 'task.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }), err: '' };
    } catch (e) {
      const x = e as { status: number; stdout: string; stderr: string };
      return { status: x.status, out: x.stdout, err: x.stderr };
    }
  };
  const ok = run(cgroupJoinScript([procs]));
  t.deepEqual(ok, { status: 0, out: 'ran\n', err: '' });
  t.is(readFileSync(procs, 'utf8'), '0\n'); // the subshell wrote 0 (itself) before it exec'd the task
  const missing = join(dir, 'no-such-cgroup', 'cgroup.procs');
  const failed = run(cgroupJoinScript([procs, missing]));
  t.deepEqual(failed, { status: JOIN_FAILED_EXIT, out: '', err: `maestro: cannot join cgroup ${missing}\n` });
});
