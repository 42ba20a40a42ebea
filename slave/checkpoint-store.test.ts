import test from 'ava';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, makeDirsBelow } from './checkpoint-store.ts';
import type { RunKey, TaskKey } from './paths.ts';

function store(t: { teardown(fn: () => void): void }): CheckpointStore {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-store-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return new CheckpointStore(dir);
}

const run: RunKey = { agentId: 'S0', frameworkId: 'F', executorId: 'e', containerId: 'c1' };
const task = (taskId: string): TaskKey => ({ ...run, taskId });

test('a fresh work dir recovers nothing', (t) => {
  const s = store(t);
  t.deepEqual(s.recover(), { checkpointedResources: [], frameworks: [], warnings: [] });
});

test('what is checkpointed is recovered: agent, framework, executor, run, tasks and their journals', async (t) => {
  const s = store(t);
  s.saveAgent('S0', { hostname: 'h', id: { value: 'S0' } });
  s.saveFramework('S0', { user: 'u', name: 'fw', id: { value: 'F' } });
  await s.prepareRun(task('t1'), { executor_id: { value: 'e' } }, { name: 't1', task_id: { value: 't1' }, agent_id: { value: 'S0' } });
  const sandbox = s.paths.sandbox(run);
  t.true(existsSync(sandbox));
  t.true(existsSync(s.paths.containerRunDir(run)));
  t.is(s.paths.containerRunDir(run), s.paths.metaRun(run), 'the container\'s files go in the run\'s own directory');
  t.is(s.recoveredContainerRunDir(run), s.paths.metaRun(run));
  mkdirSync(s.paths.legacyContainerRunDir(run));
  t.is(s.recoveredContainerRunDir(run), join(s.paths.metaRun(run), 'container'), 'a run made by an older agent keeps its container/ directory');
  rmdirSync(s.paths.legacyContainerRunDir(run));
  t.is(sandbox, join(s.paths.workDir, 'slaves/S0/frameworks/F/executors/e/runs/c1'));
  t.is(readlinkSync(s.paths.latestRunLink('S0', 'F', 'e')), sandbox);
  const journal = s.paths.taskUpdates(task('t1'));
  await s.append(journal, { update: { framework_id: { value: 'F' }, status: { task_id: { value: 't1' }, state: 'TASK_RUNNING', uuid: 'u1' } } });
  s.saveCheckpointedResources('S0', [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }]);

  const r = s.recover();
  t.is(r.agentId, 'S0');
  t.deepEqual(r.agentInfo, { hostname: 'h', id: { value: 'S0' } });
  t.is(r.checkpointedResources.length, 1);
  t.deepEqual(r.warnings, []);
  t.is(r.frameworks.length, 1);
  const [ex] = r.frameworks[0].executors;
  t.deepEqual(ex.info, { executor_id: { value: 'e' } });
  t.is(ex.runs[0].latest, true);
  t.deepEqual(ex.runs[0].tasks.map((x) => [x.key.taskId, x.records.length]), [['t1', 1]]);
});

test('corrupt or half-written files are skipped loudly and never stop recovery', async (t) => {
  const s = store(t);
  s.saveAgent('S0', { hostname: 'h' });
  s.saveFramework('S0', { user: 'u', name: 'fw', id: { value: 'F' } });
  await s.prepareRun(task('good'), { executor_id: { value: 'e' } }, { name: 'good', task_id: { value: 'good' }, agent_id: { value: 'S0' } });
  const good = s.paths.taskUpdates(task('good'));
  await s.append(good, { ack: 'x' });
  appendFileSync(good, '{"upd');
  await s.prepareRun(task('bad'), { executor_id: { value: 'e' } }, { name: 'bad', task_id: { value: 'bad' }, agent_id: { value: 'S0' } });
  writeFileSync(s.paths.taskInfo(task('bad')), '{"name": "ba');
  // A second framework whose framework.info was cut short.
  s.saveFramework('S0', { user: 'u', name: 'fw2', id: { value: 'G' } });
  writeFileSync(s.paths.frameworkInfo('S0', 'G'), '');

  const r = s.recover();
  t.deepEqual(r.frameworks.map((f) => f.info.id?.value), ['F']);
  t.deepEqual(r.frameworks[0].executors[0].runs[0].tasks.map((x) => x.key.taskId), ['good']);
  t.is(r.warnings.length, 3, r.warnings.join('\n'));
  t.true(r.warnings.some((w) => w.includes('task.updates') && w.includes('torn')));
  t.true(r.warnings.some((w) => w.includes('task.info') && w.includes('task skipped')));
  t.true(r.warnings.some((w) => w.includes('framework.info') && w.includes('framework skipped')));
  // The torn tail is gone, so the next append starts a line of its own.
  t.is(readFileSync(good, 'utf8'), '{"ack":"x"}\n');
});

test('makeDirsBelow makes the levels top-down, takes levels that exist, makes a missing base, and refuses a file in the way', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-dirs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  makeDirsBelow(join(dir, 'a', 'b'), ['e', 'runs', 'c1']);
  t.true(existsSync(join(dir, 'a/b/e/runs/c1')), 'a missing base is made with the rest');
  makeDirsBelow(join(dir, 'a', 'b'), ['e', 'runs', 'c2']);
  t.true(existsSync(join(dir, 'a/b/e/runs/c2')), 'existing levels are taken as they are');
  writeFileSync(join(dir, 'a/b/f'), '');
  t.throws(() => makeDirsBelow(join(dir, 'a', 'b'), ['f', 'runs']), { code: 'ENOTDIR' });
});

test('forgetAgent removes meta/slaves/latest only (idempotent): the next recovery is a fresh agent; the old directories are listed for collection', async (t) => {
  const s = store(t);
  s.saveAgent('S0', { hostname: 'h', id: { value: 'S0' } });
  await s.prepareRun(task('t1'), { executor_id: { value: 'e' } }, { name: 't1', task_id: { value: 't1' }, agent_id: { value: 'S0' }, resources: [] });
  t.is(s.recover().agentId, 'S0');
  s.forgetAgent();
  s.forgetAgent();
  t.false(existsSync(s.paths.latestAgent));
  t.true(existsSync(s.paths.agentInfo('S0')), 'the old agent\'s meta stays');
  t.true(existsSync(s.paths.sandbox(run)), 'and its sandboxes');
  t.is(s.recover().agentId, undefined);
  t.deepEqual(s.otherAgentSandboxes(undefined), [join(s.paths.workDir, 'slaves', 'S0')]);
  t.deepEqual(s.otherAgentSandboxes('S0'), []);
});
