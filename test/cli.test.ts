/**
 * The `maestro` executable as a user runs it: `--help` on every subcommand, clear errors for bad
 * subcommands and flags, exit codes.
 */
import test from 'ava';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const maestro = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'bin', 'maestro.mjs'), ...args], { encoding: 'utf8', timeout: 30_000 });

/** The same, without blocking this process's event loop (a server of the test must keep answering). */
const maestroAsync = (...args: string[]) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = execFile(process.execPath, [join(root, 'bin', 'maestro.mjs'), ...args], { encoding: 'utf8', timeout: 30_000 }, (_e, _out, stderr) => resolve({ status: child.exitCode, stderr }));
  });

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

test('a master or agent whose port is taken says so and exits 1 (no stack trace)', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const workDir = mkdtempSync(join(tmpdir(), 'maestro-cli-port-'));
  t.teardown(() => rmSync(workDir, { recursive: true, force: true }));
  const master = await maestroAsync('master', '--ip=127.0.0.1', `--port=${port}`, `--work_dir=${join(workDir, 'master')}`);
  t.is(master.status, 1, master.stderr);
  t.is(master.stderr, `maestro master: --port: cannot listen on 127.0.0.1:${port}: the address is in use\n`);
  const agent = await maestroAsync('agent', '--ip=127.0.0.1', `--port=${port}`, '--master=127.0.0.1:1', `--work_dir=${join(workDir, 'agent')}`);
  t.is(agent.status, 1, agent.stderr);
  t.true(agent.stderr.endsWith(`maestro agent: --port: cannot listen on 127.0.0.1:${port}: the address is in use\n`), agent.stderr);
});
