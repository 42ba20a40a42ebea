/**
 * The `maestro` executable as a user runs it: `--help` on every subcommand, clear errors for bad
 * subcommands and flags, exit codes.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const maestro = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin', 'maestro.mjs'), ...args], { encoding: 'utf8', timeout: 30_000 });

test('maestro --help lists the subcommands', (t) => {
  const r = maestro('--help');
  t.is(r.status, 0);
  t.regex(r.stdout, /Usage: maestro <subcommand>/);
  t.regex(r.stdout, /\bmaster\b/);
  t.regex(r.stdout, /\bcluster\b/);
});

test('maestro --version prints the package version', (t) => {
  const r = maestro('--version');
  t.is(r.status, 0);
  t.regex(r.stdout, /^maestro \d+\.\d+\.\d+\n$/);
});

for (const sub of ['master', 'cluster']) {
  test(`maestro ${sub} --help prints its flags and exits 0`, (t) => {
    const r = maestro(sub, '--help');
    t.is(r.status, 0, r.stderr);
    t.regex(r.stdout, /Usage: maestro /);
    t.regex(r.stdout, /--\w+/);
  });
}

test('an unknown subcommand is an error that names it', (t) => {
  const r = maestro('mastr');
  t.is(r.status, 1);
  t.regex(r.stderr, /unknown subcommand 'mastr'/);
});

test('a bad master flag is an error that names the flag', (t) => {
  const r = maestro('master', '--port=notaport');
  t.is(r.status, 1);
  t.regex(r.stderr, /--port/);
  const u = maestro('master', '--no_such_flag=1');
  t.is(u.status, 1);
  t.regex(u.stderr, /no_such_flag/);
});
