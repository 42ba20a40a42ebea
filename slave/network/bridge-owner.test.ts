import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimBridge } from './bridge-owner.ts';

test('a bridge is claimed once per process; another live process holding it is named; a stale claim is taken over', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-bridge-owner-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.deepEqual(claimBridge('br-a', '/w/me', dir), { ok: true });
  t.deepEqual(claimBridge('br-a', '/w/me', dir), { ok: true }, 'again: still ours');
  t.like(JSON.parse(readFileSync(join(dir, 'bridge-br-a.owner'), 'utf8')), { pid: process.pid, workDir: '/w/me' });

  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => other.kill('SIGKILL'));
  writeFileSync(join(dir, 'bridge-br-b.owner'), JSON.stringify({ pid: other.pid, workDir: '/w/other' }));
  const reused = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => reused.kill('SIGKILL'));
  writeFileSync(join(dir, 'bridge-br-r.owner'), JSON.stringify({ pid: reused.pid, workDir: '/w/gone', started: '1' }));
  t.deepEqual(claimBridge('br-r', '/w/me', dir), { ok: true }, 'a pid reused by a process that started later than the claim says: stale');
  t.deepEqual(claimBridge('br-b', '/w/me', dir), {
    ok: false,
    message: `bridge 'br-b' is used by the agent with pid ${other.pid} (work dir /w/other); give each agent on a host its own --bridge_name and --bridge_subnet`,
  });
  other.kill('SIGKILL');
  await new Promise((r) => other.once('exit', r));
  t.deepEqual(claimBridge('br-b', '/w/me', dir), { ok: true }, 'its agent is gone: taken over');
  writeFileSync(join(dir, 'bridge-br-c.owner'), 'torn');
  t.deepEqual(claimBridge('br-c', '/w/me', dir), { ok: true }, 'an unreadable claim is taken over');
  t.true(existsSync(join(dir, 'bridge-br-c.owner')));
});
