import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimBridge } from './bridge-owner.ts';

const claimOf = (dir: string, bridge: string) => JSON.parse(readFileSync(join(dir, `bridge-${bridge}.owner`), 'utf8'));

test('a bridge is claimed once per process; a live claimant is named; a dead one is taken over by its own work dir, or when it left no container on the bridge', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-bridge-owner-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const noRecords = () => false;
  t.deepEqual(claimBridge('br-a', '/w/me', dir, noRecords), { ok: true });
  t.deepEqual(claimBridge('br-a', '/w/me', dir, noRecords), { ok: true }, 'again: still ours');
  t.like(claimOf(dir, 'br-a'), { pid: process.pid, workDir: '/w/me' });
  t.deepEqual(readdirSync(dir), ['bridge-br-a.owner'], 'no temporary file left');

  const other = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => other.kill('SIGKILL'));
  writeFileSync(join(dir, 'bridge-br-b.owner'), JSON.stringify({ pid: other.pid, workDir: '/w/other' }));
  t.deepEqual(claimBridge('br-b', '/w/me', dir, noRecords), {
    ok: false,
    message: `bridge 'br-b' is used by the agent with pid ${other.pid} (work dir /w/other); give each agent on a host its own --bridge_name and --bridge_subnet`,
  });
  other.kill('SIGKILL');
  await new Promise((r) => other.once('exit', r));
  t.deepEqual(claimBridge('br-b', '/w/me', dir, (w) => w === '/w/other'), {
    ok: false,
    message: "bridge 'br-b' holds containers of the agent with work dir /w/other (not running now): start that agent again, or give this agent its own --bridge_name and --bridge_subnet",
  }, 'its agent is gone but its containers are on the bridge');
  t.deepEqual(claimBridge('br-b', '/w/other', dir, () => true), { ok: true }, 'the same work dir\'s next agent takes it over');
  t.like(claimOf(dir, 'br-b'), { pid: process.pid, workDir: '/w/other' });

  writeFileSync(join(dir, 'bridge-br-c.owner'), JSON.stringify({ pid: other.pid, workDir: '/w/gone' }));
  t.deepEqual(claimBridge('br-c', '/w/me', dir, noRecords), { ok: true }, 'a dead claimant with nothing on the bridge: taken over');

  const reused = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => reused.kill('SIGKILL'));
  writeFileSync(join(dir, 'bridge-br-r.owner'), JSON.stringify({ pid: reused.pid, workDir: '/w/gone', started: '1' }));
  t.deepEqual(claimBridge('br-r', '/w/me', dir, noRecords), { ok: true }, 'a pid reused by a process that started later than the claim says: not the claimant');

  writeFileSync(join(dir, 'bridge-br-t.owner'), 'torn');
  t.deepEqual(claimBridge('br-t', '/w/me', dir, noRecords), { ok: true }, 'an unreadable claim is replaced');
  t.true(existsSync(join(dir, 'bridge-br-t.owner')));
});
