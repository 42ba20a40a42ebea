/**
 * The Debian package python3-marathon (a widely used Marathon client, unmodified) drives our
 * marathon through create, list, get, scale, task listing, kills with and without scaling,
 * deployments, info, leader and delete: test/support/marathon_python_scenario.py.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMarathonCluster } from './support/marathon-cluster.ts';

const script = fileURLToPath(new URL('./support/marathon_python_scenario.py', import.meta.url));

test('python3-marathon runs its scenario against maestro marathon unmodified', async (t) => {
  const c = await startMarathonCluster(t, [{}, {}]);
  const run = spawnSync('python3', [script, c.marathon.url, '/py'], { encoding: 'utf8', timeout: 240_000 });
  t.log(run.stdout);
  t.is(run.status, 0, `${run.stdout}\n${run.stderr}`);
});
