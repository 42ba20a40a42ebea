/**
 * Tasks outlive the agent, across processes: a child process (the "agent") launches tasks through
 * the POSIX containerizer and is killed with SIGKILL; the tasks go on; one ends while no agent
 * runs; this process then recovers them with a fresh containerizer and gets the real exit codes,
 * and kills the one still running, leaving nothing behind.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPosixContainerizer } from '../slave/containerizer/posix-containerizer.ts';
import { readProcessTable } from '../slave/containerizer/proc-stat.ts';
import { asContainerId } from '../slave/containerizer.ts';

const AGENT_SCRIPT = `
import { createPosixContainerizer } from './slave/containerizer/posix-containerizer.ts';
import { Resources } from './common/resources/resources.ts';
const [root, ...scripts] = JSON.parse(process.env.SPECS);
const c = createPosixContainerizer();
const pids = [];
for (const [i, script] of scripts.entries()) {
  const dir = root + '/c' + i;
  const r = await c.launch({ containerId: 'c' + i, sandbox: dir + '/sandbox', runDir: dir + '/run', command: { shell: true, value: script, arguments: [] }, environment: { MESOS_SANDBOX: dir + '/sandbox' }, resources: Resources.parse('cpus:0.1;mem:32') });
  if (!r.ok) throw new Error(r.message);
  pids.push(r.pid);
}
process.stdout.write(JSON.stringify(pids) + '\\n');
setInterval(() => {}, 1000);
`;

async function until(cond: () => Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 20));
}

test('kill -9 of the agent: tasks survive, an exit while it was down keeps its code, a recovered task is killed cleanly', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'maestro-recovery-'));
  const scripts = [
    'while [ ! -e go ]; do sleep 0.05; done; exit 4', // ends while no agent runs
    "trap '' TERM; sleep 300 & wait", // still running at recovery; ignores SIGTERM
    'exit 7', // ends at once
  ];
  for (let i = 0; i < scripts.length; i++) {
    await mkdir(join(root, `c${i}`, 'sandbox'), { recursive: true });
    await mkdir(join(root, `c${i}`, 'run'), { recursive: true });
  }
  const agent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', AGENT_SCRIPT], {
    cwd: join(import.meta.dirname, '..'),
    env: { ...process.env, SPECS: JSON.stringify([root, ...scripts]) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const recovered = createPosixContainerizer();
  const ids = scripts.map((_, i) => asContainerId(`c${i}`));
  t.teardown(async () => {
    agent.kill('SIGKILL');
    for (const id of ids) await recovered.kill(id, 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  const taskPids = await new Promise<number[]>((resolve, reject) => {
    let buf = '';
    agent.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\n')) resolve(JSON.parse(buf.slice(0, buf.indexOf('\n'))) as number[]);
    });
    agent.once('exit', (code) => reject(new Error(`agent exited ${code}`)));
  });
  agent.kill('SIGKILL');
  await new Promise((r) => agent.once('exit', r));

  const alive = new Set((await readProcessTable()).map((p) => p.pid));
  t.true(alive.has(taskPids[0]) && alive.has(taskPids[1]), 'the running tasks outlived the agent');

  await writeFile(join(root, 'c0', 'sandbox', 'go'), '');
  await until(async () => (await readdir(join(root, 'c0', 'run'))).includes('exit_status'));
  await until(async () => (await readdir(join(root, 'c2', 'run'))).includes('exit_status'));

  const result = await recovered.recover(ids.map((id) => ({ containerId: id, runDir: join(root, id, 'run'), sandbox: join(root, id, 'sandbox') })));
  t.like(result.get(ids[0]), { kind: 'exited', exitCode: 4 });
  t.is(result.get(ids[1]), 'running');
  t.like(result.get(ids[2]), { kind: 'exited', exitCode: 7 });

  const sleeper = (await readProcessTable()).find((p) => p.ppid === taskPids[1]);
  await recovered.kill(ids[1], 'SIGTERM');
  await recovered.kill(ids[1], 'SIGKILL');
  t.like(await recovered.wait(ids[1]), { kind: 'signaled', signal: 9 });
  const left = new Set((await readProcessTable()).map((p) => p.pid));
  t.false(left.has(taskPids[1]), 'the task is gone');
  t.true(sleeper !== undefined && !left.has(sleeper.pid), 'and its child too');
  t.is(await readFile(join(root, 'c1', 'run', 'exit_status'), 'utf8'), 'signaled 9\n');
  // The supervisors re-parented to this process (a subreaper too): the recovered ones are reaped, not left as zombies.
  const supervisors = await Promise.all(ids.map(async (id) => Number((await readFile(join(root, id, 'run', 'pids'), 'utf8')).split(' ')[0])));
  const table = await readProcessTable();
  t.deepEqual(table.filter((p) => supervisors.includes(p.pid)), []);
});
