/**
 * Ends the tasks of `maestro cluster up`'s agents when the cluster stops. An agent leaves its
 * tasks running when it stops (tasks outlive the agent by design: each has its own `sh`
 * supervisor), which is right for a real host but not for a cluster that Ctrl-C should stop
 * whole. A task process is known by its environment: `MESOS_SANDBOX` names a sandbox under the
 * cluster's state directory (the agent sets it for the supervisor and everything under it).
 * Containers with images also have a container process that runc started; those are killed
 * through each agent's runc root (`<agent work_dir>/runc`, slave/containerizer/oci).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Pids of live processes whose `MESOS_SANDBOX` lies under `dir`. */
export function taskPids(dir: string): number[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${name}/stat`, 'utf8'))) continue; // a zombie: dead already
      const sandbox = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').find((v) => v.startsWith('MESOS_SANDBOX='));
      if (sandbox?.slice('MESOS_SANDBOX='.length).startsWith(prefix)) pids.push(Number(name));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

function runc(args: readonly string[]): Promise<string> {
  return new Promise((resolveOut) => {
    execFile('runc', args, { encoding: 'utf8' }, (err, stdout) => resolveOut(err ? '' : stdout));
  });
}

/**
 * SIGKILLs every task process of the agents whose work dirs are `agentDirs` (all under `dir`),
 * containers first; repeats until none is left (a supervisor may fork while it dies) or after
 * `rounds` tries. Returns how many processes it killed.
 */
export async function killClusterTasks(dir: string, agentDirs: readonly string[], rounds = 20): Promise<number> {
  for (const agentDir of agentDirs) {
    const root = join(agentDir, 'runc');
    if (!existsSync(root)) continue;
    const ids = (await runc(['--root', root, 'list', '-q'])).split('\n').filter((s) => s !== '');
    await Promise.all(ids.map((id) => runc(['--root', root, 'kill', '--all', id, 'KILL'])));
  }
  let killed = 0;
  for (let i = 0; i < rounds; i++) {
    const pids = taskPids(dir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // Gone already.
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return killed;
}
