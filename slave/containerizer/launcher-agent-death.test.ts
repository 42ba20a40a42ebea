/**
 * An agent killed with SIGKILL in the middle of a launch wave: the requests it had written to the
 * launcher but the launcher had not read yet must not start tasks after the agent is gone. Such a
 * task would start while, or after, the next agent recovers its run directory: found without a
 * record of its processes, it is reported ended, yet it runs on untracked. A child process is the
 * agent here: it stops its launcher (SIGSTOP), writes a wave of requests, then SIGKILLs itself;
 * the launcher is then let go on (SIGCONT) should it still be there.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePids } from './run-files.ts';
import { taskScript } from './task-script.ts';

const WAVE = 200;

const AGENT_SCRIPT = `
import { readFileSync, writeSync } from 'node:fs';
import { createLauncher } from './slave/containerizer/launcher.ts';
import { SUPERVISOR_PATH } from './slave/containerizer/posix-containerizer.ts';
import { silentLogger, systemTimers } from './common/ports.ts';
const dirs = JSON.parse(process.env.RUN_DIRS);
const launcher = createLauncher({ supervisorPath: SUPERVISOR_PATH, timers: systemTimers, logger: silentLogger });
// The launcher is started by a request it answers without starting anything, and stopped (SIGSTOP) before the wave:
// every request of the wave is still unread when the agent dies.
// (Answered: the launcher runs launcher.sh, past setpriv's prctl. Its pipes do not hold the process up: a timer does.)
setInterval(() => {}, 1000);
await launcher.start('/nonexistent/run');
const pid = launcher.pid();
process.kill(pid, 'SIGSTOP');
const stopped = () => { try { const s = readFileSync('/proc/' + pid + '/stat', 'utf8'); return s.slice(s.lastIndexOf(')') + 2).startsWith('T'); } catch { return false; } };
while (!stopped()) {}
for (const dir of dirs) void launcher.start(dir);
writeSync(1, pid + '\\n');
// The requests are in the launcher's pipe (libuv writes a pipe at once when nothing is queued): die now.
setImmediate(() => process.kill(process.pid, 'SIGKILL'));
`;

const gone = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
};

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('requests the launcher had not read when the agent died start nothing', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'maestro-agent-death-'));
  const dirs: string[] = [];
  for (let i = 0; i < WAVE; i++) {
    const run = join(root, `c${i}`, 'run');
    const sandbox = join(root, `c${i}`, 'sandbox');
    await mkdir(run, { recursive: true });
    await mkdir(sandbox, { recursive: true });
    await writeFile(join(run, 'task.sh'), taskScript({ workingDirectory: sandbox, sandbox, environment: { PATH: '/usr/bin:/bin' }, envTool: '/usr/bin/env', asUser: [], argv: ['/bin/sleep', '300'] }));
    dirs.push(run);
  }
  const started = (): Array<{ supervisorPid: number; taskPid: number }> =>
    dirs.flatMap((d) => {
      const pids = parsePids(existsSync(join(d, 'pids')) ? readFileSync(join(d, 'pids'), 'utf8') : '');
      return pids === undefined ? [] : [pids];
    });
  t.teardown(async () => {
    const all = started();
    for (const p of all) {
      try {
        process.kill(p.taskPid, 'SIGKILL');
      } catch {
        // Gone.
      }
    }
    // Each supervisor writes its task's exit status, then exits: the directory goes after them.
    for (const p of all) while (!gone(p.supervisorPid)) await pause(10);
    await rm(root, { recursive: true, force: true, maxRetries: 10 });
  });

  const agent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', AGENT_SCRIPT], {
    cwd: join(import.meta.dirname, '..', '..'), env: { ...process.env, RUN_DIRS: JSON.stringify(dirs) }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  agent.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => agent.once('exit', (code, sig) => resolve([code, sig])));
  t.is(signal, 'SIGKILL');
  const launcherPid = Number(out.trim());
  t.true(Number.isInteger(launcherPid) && launcherPid > 0, `the agent said its launcher's pid: ${out}`);
  // A launcher that outlived the agent goes on (SIGCONT) and reads what is left in its pipe; it is not our child: its end is looked for.
  try {
    if (!gone(launcherPid)) process.kill(launcherPid, 'SIGCONT');
  } catch {
    // Gone meanwhile.
  }
  while (!gone(launcherPid)) await pause(10);
  // A supervisor that claimed its run directory (supervisor.log) writes its pids within milliseconds.
  for (const d of dirs) while (existsSync(join(d, 'supervisor.log')) && !existsSync(join(d, 'pids'))) await pause(10);

  const count = started().length;
  t.log(`${count} of ${WAVE} requests started a task after the agent died`);
  t.is(count, 0, `${count} of ${WAVE} tasks started after the agent died`);
});
