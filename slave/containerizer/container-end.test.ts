/**
 * The end of a container launched here is handled without reading the whole of /proc: its
 * processes are found below the agent's children (proc-stat.ts `readSubtrees`), and a stray
 * child, one that left the session included, is still killed. Alone in its file (its own
 * process): other containerizers' supervisors and launchers would be children of the agent too,
 * which is correct but is not the case measured here.
 */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LaunchSpec } from '../containerizer.ts';
import { createPosixContainerizer } from './posix-containerizer.ts';
import { readProcessTable, readStatSync } from './proc-stat.ts';
import { launchBox, sh } from './launch-box.ts';

const alive = (pid: number): boolean => {
  const s = readStatSync(pid);
  return s !== undefined && s.state !== 'Z';
};

test.serial('task ends and a kill find the container by the children lists: no whole-table read; strays are killed', async (t) => {
  let tableReads = 0;
  const c = createPosixContainerizer({ readTable: () => { tableReads++; return readProcessTable(); } });
  const box = await launchBox(t, () => [c], { prefix: 'maestro-end-', resources: 'cpus:0.1;mem:32' });
  const spec = (name: string, script: string): Promise<LaunchSpec> => box.spec(name, sh(script));

  // Plain ends, one after the other.
  for (let i = 0; i < 3; i++) {
    const s = await spec(`plain-${i}`, `exit ${i}`);
    t.true((await c.launch(s)).ok);
    t.like(await c.wait(s.containerId), { kind: 'exited', exitCode: i });
    await c.cleanup(s.containerId);
  }

  // A child that left the session and was orphaned (re-parented to the agent) dies with its container.
  const orphaning = await spec('orphan', `setsid sh -c 'echo $$ > orphan; exec sleep 300' & while [ ! -s orphan ]; do :; done; exit 5`);
  t.true((await c.launch(orphaning)).ok);
  t.like(await c.wait(orphaning.containerId), { kind: 'exited', exitCode: 5 });
  const orphan = Number((await readFile(join(orphaning.sandbox, 'orphan'), 'utf8')).trim());
  t.false(alive(orphan), 'the orphan is dead');
  await c.cleanup(orphaning.containerId);

  // SIGKILL of a running tree with a grandchild in a session of its own.
  const tree = await spec('tree', `setsid sh -c 'echo $$ > grandchild; exec sleep 300' & while [ ! -s grandchild ]; do :; done; sleep 300`);
  const launched = await c.launch(tree);
  t.true(launched.ok);
  let grandchild = Number.NaN;
  while (!Number.isInteger(grandchild) || grandchild <= 0) {
    grandchild = Number((await readFile(join(tree.sandbox, 'grandchild'), 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(grandchild) || grandchild <= 0) await new Promise((r) => setTimeout(r, 10));
  }
  await c.kill(tree.containerId, 'SIGKILL');
  t.like(await c.wait(tree.containerId), { kind: 'signaled', signal: 9 });
  t.false(alive(grandchild), 'the grandchild is dead');
  t.false(launched.ok && alive(launched.pid), 'the task is dead');
  await c.cleanup(tree.containerId);

  t.is(tableReads, 0, 'no read of the whole process table');
});
