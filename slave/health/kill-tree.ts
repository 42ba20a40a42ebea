/**
 * Kills a process and every descendant (Linux, from /proc), as Mesos' os::killtree does for a
 * probe that ran past its timeout: the tree is frozen with SIGSTOP first so nothing forks in
 * between, then each process gets the signal, and the root's process group too (probes start
 * in their own group). Processes that already ended are skipped; returns the pids signalled.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of each live process, from /proc/<pid>/stat (the field after the `(comm)` part). */
function parents(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [pid]);
    else list.push(pid);
  }
  return children;
}

export function descendants(root: number): number[] {
  const children = parents();
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

export function killTree(root: number, sig: NodeJS.Signals = 'SIGKILL'): number[] {
  const tree = [root, ...descendants(root)];
  for (const pid of tree) signal(pid, 'SIGSTOP');
  const late = descendants(root).filter((pid) => !tree.includes(pid));
  const all = [...tree, ...late];
  const signalled = all.filter((pid) => signal(pid, sig));
  signal(-root, sig);
  if (sig !== 'SIGKILL') for (const pid of all) signal(pid, 'SIGCONT');
  return signalled;
}
