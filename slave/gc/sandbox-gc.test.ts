/**
 * Sandbox GC over real temporary work dirs with a manual clock and timer queue and a fake statfs
 * (the disk usage is the test's to set): removal at gc_delay, earlier under disk pressure at
 * each disk watch, the meta twin removed with the sandbox, unschedule, jailing, stop.
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualTime } from '../../master/test-fixtures.ts';
import { createSandboxGc, diskUsage, type DiskBlocks } from './sandbox-gc.ts';

const HOUR = 3600 * 1000;
const MINUTE = 60 * 1000;

function workDir() {
  const w = mkdtempSync(join(tmpdir(), 'maestro-gc-'));
  const run = (name: string): { sandbox: string; meta: string } => {
    const rel = `slaves/S1/frameworks/F/executors/${name}/runs/C-${name}`;
    const sandbox = join(w, rel);
    const meta = join(w, 'meta', rel);
    mkdirSync(sandbox, { recursive: true });
    mkdirSync(join(meta, 'tasks', name), { recursive: true });
    writeFileSync(join(sandbox, 'stdout'), 'out');
    writeFileSync(join(meta, 'tasks', name, 'task.updates'), '{}\n');
    return { sandbox, meta };
  };
  return { w, run, cleanup: () => rmSync(w, { recursive: true, force: true }) };
}

function setup(gcDelayHours = 10) {
  const dir = workDir();
  const time = new ManualTime();
  let disk: DiskBlocks = { blocks: 1000, bfree: 1000 };
  const gc = createSandboxGc({
    workDir: dir.w, gcDelaySeconds: gcDelayHours * 3600, diskHeadroom: 0.1, timers: time, clock: time,
    statfs: async () => disk,
  });
  return { ...dir, time, gc, setDisk: (used: number) => { disk = { blocks: 1000, bfree: 1000 - used }; } };
}

test('diskUsage is used blocks over all blocks', (t) => {
  t.is(diskUsage({ blocks: 1000, bfree: 250 }), 0.75);
  t.is(diskUsage({ blocks: 0, bfree: 0 }), 0);
});

test('idle disk: a sandbox and its checkpoints go at (1 - headroom) x gc_delay, not before, as Mesos prunes each watch', async (t) => {
  const s = setup(10);
  try {
    const a = s.run('a');
    s.gc.schedule(a.sandbox, s.time.now());
    s.time.advance(8 * HOUR); // watches each minute at 0% usage: max age 10 h x 0.9 = 9 h, not reached
    await s.gc.settled();
    t.true(existsSync(a.sandbox));
    t.true(existsSync(a.meta));
    s.time.advance(HOUR);
    await s.gc.settled();
    t.false(existsSync(a.sandbox));
    t.false(existsSync(a.meta));
    t.true(existsSync(join(s.w, 'slaves/S1/frameworks/F/executors/a/runs'))); // only the run goes
    t.true(existsSync(join(s.w, 'meta/slaves/S1/frameworks/F/executors/a/runs')));
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});

test('gc_delay timer alone removes due sandboxes (disk watch far away)', async (t) => {
  const dir = workDir();
  const time = new ManualTime();
  const gc = createSandboxGc({
    workDir: dir.w, gcDelaySeconds: 3600, diskHeadroom: 0.1, timers: time, clock: time,
    diskWatchIntervalSeconds: 100 * 3600, statfs: async () => ({ blocks: 1, bfree: 1 }),
  });
  try {
    const a = dir.run('a');
    const b = dir.run('b');
    gc.schedule(a.sandbox, time.now());
    gc.schedule(b.sandbox, time.now() + 30 * MINUTE);
    time.advance(HOUR);
    await gc.settled();
    t.deepEqual([existsSync(a.sandbox), existsSync(b.sandbox)], [false, true]);
    time.advance(30 * MINUTE); // the timer was re-armed for b
    await gc.settled();
    t.false(existsSync(b.sandbox));
  } finally {
    gc.stop();
    dir.cleanup();
  }
});

test('disk pressure shrinks the age: at 50% usage (headroom 0.1) sandboxes 4 h old go at the next watch', async (t) => {
  const s = setup(10);
  try {
    const old = s.run('old');
    const young = s.run('young');
    const start = s.time.now();
    s.gc.schedule(old.sandbox, start - 5 * HOUR);
    s.gc.schedule(young.sandbox, start - 3 * HOUR);
    s.setDisk(500);
    s.time.advance(MINUTE);
    await s.gc.settled();
    // max age = 10 h × (1 − 0.1 − 0.5) = 4 h: old (5 h) goes, young (3 h + 1 min) stays
    t.deepEqual([existsSync(old.sandbox), existsSync(old.meta), existsSync(young.sandbox)], [false, false, true]);
    t.deepEqual(s.gc.metrics(), { 'gc/path_removals_succeeded': 1, 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 1 });
    s.setDisk(950); // 95%: everything goes
    t.deepEqual(await s.gc.prune(), [young.sandbox]);
    t.false(existsSync(young.meta));
    t.deepEqual(s.gc.metrics(), { 'gc/path_removals_succeeded': 2, 'gc/path_removals_failed': 0, 'gc/path_removals_pending': 0 });
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});

test('unschedule keeps a sandbox; scheduling outside the sandboxes is ignored', async (t) => {
  const s = setup(1);
  try {
    const a = s.run('a');
    s.gc.schedule(a.sandbox, s.time.now());
    void s.gc.unschedule(a.sandbox);
    const outside = join(s.w, 'precious');
    mkdirSync(outside);
    s.gc.schedule(outside, 0);
    s.gc.schedule(join(s.w, 'slaves'), 0);
    s.gc.schedule(join(s.w, 'slaves/../precious'), 0);
    s.setDisk(1000);
    t.deepEqual(await s.gc.prune(), []);
    s.time.advance(2 * HOUR);
    await s.gc.settled();
    t.true(existsSync(a.sandbox));
    t.true(existsSync(outside));
    t.true(existsSync(join(s.w, 'slaves')));
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});

test('unschedule during the removal of that directory resolves once it is gone: what the new run writes there afterwards stays', async (t) => {
  const s = setup(1);
  try {
    const old = s.run('E');
    const executorDir = join(s.w, 'slaves/S1/frameworks/F/executors/E');
    s.gc.schedule(executorDir, s.time.now());
    s.time.advance(HOUR); // due: its removal starts now
    // The executor id launches again while the old directory is being removed.
    await s.gc.unschedule(executorDir);
    const again = join(executorDir, 'runs/C-again');
    mkdirSync(again, { recursive: true });
    mkdirSync(join(s.w, 'meta/slaves/S1/frameworks/F/executors/E'), { recursive: true });
    writeFileSync(join(s.w, 'meta/slaves/S1/frameworks/F/executors/E/executor.info'), '{}');
    await s.gc.settled();
    t.false(existsSync(old.sandbox), 'the old run went with the removal');
    t.true(existsSync(again), 'the new run\'s sandbox stays');
    t.true(existsSync(join(s.w, 'meta/slaves/S1/frameworks/F/executors/E/executor.info')), 'its executor.info stays');
    t.is(s.gc.metrics()['gc/path_removals_pending'], 0);
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});

test('a directory due with others and unscheduled while those before it are removed is kept', async (t) => {
  const s = setup(1);
  try {
    const a = s.run('a');
    s.run('b');
    const executorB = join(s.w, 'slaves/S1/frameworks/F/executors/b');
    s.gc.schedule(a.sandbox, s.time.now());
    s.gc.schedule(executorB, s.time.now());
    s.time.advance(HOUR); // both due; a's removal (first by name) is under way
    await s.gc.unschedule(executorB);
    await s.gc.settled();
    t.false(existsSync(a.sandbox));
    t.true(existsSync(executorB));
    t.true(existsSync(join(s.w, 'meta/slaves/S1/frameworks/F/executors/b')));
    t.like(s.gc.metrics(), { 'gc/path_removals_succeeded': 1, 'gc/path_removals_pending': 0 });
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});

test('a sandbox path through a link that leads outside the work dir is not removed', async (t) => {
  const s = setup(1);
  const elsewhere = mkdtempSync(join(tmpdir(), 'maestro-gc-elsewhere-'));
  try {
    mkdirSync(join(elsewhere, 'run'));
    writeFileSync(join(elsewhere, 'run/keep'), 'keep');
    mkdirSync(join(s.w, 'slaves/S1'), { recursive: true });
    symlinkSync(elsewhere, join(s.w, 'slaves/S1/planted'));
    s.gc.schedule(join(s.w, 'slaves/S1/planted/run'), 0);
    s.setDisk(1000);
    t.deepEqual(await s.gc.prune(), []);
    t.true(existsSync(join(elsewhere, 'run/keep')));
  } finally {
    s.gc.stop();
    s.cleanup();
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('stop leaves no timer: nothing is removed afterwards', async (t) => {
  const s = setup(1);
  try {
    const a = s.run('a');
    s.gc.schedule(a.sandbox, s.time.now());
    s.gc.stop();
    s.time.advance(10 * HOUR);
    await s.gc.settled();
    t.true(existsSync(a.sandbox));
  } finally {
    s.cleanup();
  }
});

test('a failing statfs prunes nothing and is not fatal', async (t) => {
  const dir = workDir();
  const time = new ManualTime();
  const gc = createSandboxGc({
    workDir: dir.w, gcDelaySeconds: 3600, diskHeadroom: 0.1, timers: time, clock: time,
    statfs: async () => { throw new Error('EIO'); },
  });
  try {
    const a = dir.run('a');
    gc.schedule(a.sandbox, 0);
    t.deepEqual(await gc.prune(), []);
    t.true(existsSync(a.sandbox));
  } finally {
    gc.stop();
    dir.cleanup();
  }
});

test('the default statfs measures the real work dir', async (t) => {
  const dir = workDir();
  const time = new ManualTime();
  const gc = createSandboxGc({ workDir: dir.w, gcDelaySeconds: 3600, diskHeadroom: 0, timers: time, clock: time });
  try {
    const a = dir.run('a');
    gc.schedule(a.sandbox, time.now() - 2 * 3600 * 1000); // older than gc_delay: goes whatever the usage
    t.deepEqual(await gc.prune(), [a.sandbox]);
  } finally {
    gc.stop();
    dir.cleanup();
  }
});

test('scheduleFromMtime ages a sandbox found on disk from its modification time', async (t) => {
  const s = setup(10);
  try {
    const old = s.run('old');
    const fresh = s.run('fresh');
    const sixHoursAgo = (s.time.now() - 6 * HOUR) / 1000;
    utimesSync(old.sandbox, sixHoursAgo, sixHoursAgo);
    utimesSync(fresh.sandbox, s.time.now() / 1000, s.time.now() / 1000);
    await s.gc.scheduleFromMtime(old.sandbox);
    await s.gc.scheduleFromMtime(fresh.sandbox);
    await s.gc.scheduleFromMtime(join(s.w, 'slaves/S1/missing'));
    s.time.advance(4 * HOUR); // old: 10 h since mtime, due; fresh: 4 h
    await s.gc.settled();
    t.deepEqual([existsSync(old.sandbox), existsSync(old.meta), existsSync(fresh.sandbox)], [false, false, true]);
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});

test('scheduleFromMtime of a sandbox already removed whose meta twin is left (kill -9 between the two removals) ages the twin', async (t) => {
  const s = setup(10);
  try {
    const a = s.run('a');
    rmSync(join(s.w, 'slaves/S1/frameworks/F/executors/a'), { recursive: true });
    const executorMeta = join(s.w, 'meta/slaves/S1/frameworks/F/executors/a');
    writeFileSync(join(executorMeta, 'executor.info'), '{}');
    const sixHoursAgo = (s.time.now() - 6 * HOUR) / 1000;
    utimesSync(executorMeta, sixHoursAgo, sixHoursAgo);
    await s.gc.scheduleFromMtime(join(s.w, 'slaves/S1/frameworks/F/executors/a'));
    t.is(s.gc.metrics()['gc/path_removals_pending'], 1);
    s.time.advance(2 * HOUR); // 8 h since the twin's mtime: not yet (idle disk: 0.9 x 10 h)
    await s.gc.settled();
    t.true(existsSync(executorMeta));
    s.time.advance(2 * HOUR);
    await s.gc.settled();
    t.false(existsSync(executorMeta));
    t.false(existsSync(a.meta));
  } finally {
    s.gc.stop();
    s.cleanup();
  }
});
