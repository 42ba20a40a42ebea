/**
 * deploy/install-deps's modes, without installing anything: `--print-packages` lists the Debian
 * packages each mode checks (the default: everything `npm test` and `cluster up` need; `--runtime`:
 * only what real hosts run, a subset without the test tools and the browser), and a flag it does
 * not know is refused with exit 2, naming the flag.
 *
 * Every run puts stubs of apt-get, dpkg-query, npm and systemctl first on PATH that record being
 * called and fail, so a mode that went on past its flags would show up as a recorded call (and
 * could not install anything on the machine running the tests).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'install-deps');
const INSTALLERS = ['apt-get', 'dpkg-query', 'npm', 'systemctl'];
/** Only the tests (and `cluster up`, for redis-server) need these; a real host must not get them. */
const TEST_ONLY = ['chromium', 'docker-registry', 'busybox-static', 'python3-marathon'];

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The installers the script called (none, for every case here). */
  readonly called: readonly string[];
}

function installDeps(...args: string[]): Run {
  const stubs = mkdtempSync(join(tmpdir(), 'install-deps-test-'));
  try {
    const calls = join(stubs, 'calls');
    for (const name of INSTALLERS) {
      writeFileSync(join(stubs, name), `#!/bin/sh\necho ${name} >>'${calls}'\nexit 97\n`);
      chmodSync(join(stubs, name), 0o755);
    }
    const r = spawnSync(script, args, { encoding: 'utf8', env: { ...process.env, PATH: `${stubs}:${process.env.PATH ?? '/usr/bin:/bin'}` }, timeout: 30_000 });
    const called = existsSync(calls) ? readFileSync(calls, 'utf8').split('\n').filter(Boolean) : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, called };
  } finally {
    rmSync(stubs, { recursive: true, force: true });
  }
}

const packages = (r: Run) => r.stdout.split('\n').filter(Boolean);

test('--print-packages lists the full set (what npm test and cluster up need) and installs nothing', (t) => {
  const r = installDeps('--print-packages');
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.called, []);
  t.is(r.stderr, '');
  const full = packages(r);
  for (const p of [...TEST_ONLY, 'redis-server', 'openssl', 'python3', 'runc', 'iptables', 'iproute2', 'skopeo', 'umoci']) t.true(full.includes(p), p);
  t.is(new Set(full).size, full.length, 'no package twice');
});

test('--runtime --print-packages lists a subset of the full set without the test tools, in either order', (t) => {
  const full = packages(installDeps('--print-packages'));
  const a = installDeps('--runtime', '--print-packages');
  const b = installDeps('--print-packages', '--runtime');
  t.is(a.status, 0, a.stderr);
  t.is(b.status, 0, b.stderr);
  t.deepEqual(a.called, []);
  t.deepEqual(b.called, []);
  t.deepEqual(packages(a), packages(b));
  const runtime = packages(a);
  t.true(runtime.length > 0);
  t.true(runtime.length < full.length);
  for (const p of runtime) t.true(full.includes(p), `${p} is in the full set`);
  for (const p of TEST_ONLY) t.false(runtime.includes(p), `${p} is not installed on real hosts`);
  // What the agent runs: BRIDGE networking, the OCI runtime, the image store, task supervisors.
  for (const p of ['iproute2', 'iptables', 'runc', 'skopeo', 'umoci', 'tar', 'util-linux', 'ca-certificates']) t.true(runtime.includes(p), p);
});

test('an unknown flag exits 2 naming it, before anything is checked or installed', (t) => {
  for (const args of [['--runtme'], ['--print-packages', '--bogus=1'], ['install']]) {
    const r = installDeps(...args);
    const flag = args[args.length - 1];
    t.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    t.true(r.stderr.includes(`unknown flag '${flag}'`), r.stderr);
    t.is(r.stdout, '');
    t.deepEqual(r.called, []);
  }
});
