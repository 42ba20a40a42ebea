import test from 'ava';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendRecord, appendRecordAsync, appendRecordGrouped, commitAtomic, createWindow, linkAtomic, linkAtomicAsync, readJournal, readJson, readLinkName, repairJournal,
  writeAtomicAsync, writeJsonAtomic,
} from './checkpoint.ts';

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-checkpoint-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writeJsonAtomic replaces the file whole and leaves no temporary file behind', (t) => {
  const dir = tmp(t);
  const path = join(dir, 'a', 'b', 'x.info');
  writeJsonAtomic(path, { v: 1 });
  writeJsonAtomic(path, { v: 2 });
  t.deepEqual(readJson(path), { kind: 'ok', value: { v: 2 } });
  t.deepEqual(readdirSync(join(dir, 'a', 'b')), ['x.info']);
});

test('readJson: missing and corrupt files are values, not throws', (t) => {
  const dir = tmp(t);
  t.deepEqual(readJson(join(dir, 'nope')), { kind: 'missing' });
  writeFileSync(join(dir, 'half'), '{"hostname": "a", "res');
  const r = readJson(join(dir, 'half'));
  t.is(r.kind, 'corrupt');
  if (r.kind === 'corrupt') t.true(r.message.includes('half'));
});

test('linkAtomic and readLinkName: the link names its target; re-pointing replaces it', (t) => {
  const dir = tmp(t);
  linkAtomic(join(dir, 'slaves', 'S1'), join(dir, 'slaves', 'latest'));
  t.is(readLinkName(join(dir, 'slaves', 'latest')), 'S1');
  linkAtomic(join(dir, 'slaves', 'S2'), join(dir, 'slaves', 'latest'));
  t.is(readLinkName(join(dir, 'slaves', 'latest')), 'S2');
  t.is(readLinkName(join(dir, 'none')), undefined);
});

test('journal: records read back in order; a torn last line is reported, then cut by repairJournal so appends stay whole', (t) => {
  const dir = tmp(t);
  const path = join(dir, 'task.updates');
  appendRecord(path, { update: 1 });
  appendRecord(path, { ack: 'u' });
  appendFileSync(path, '{"update": {"stat');
  const torn = readJournal(path);
  t.deepEqual(torn.records, [{ update: 1 }, { ack: 'u' }]);
  t.is(torn.skipped.length, 1);
  t.is(torn.skipped[0].line, 3);
  t.is(repairJournal(path), '{"update": {"stat'.length);
  appendRecord(path, { update: 2 });
  t.deepEqual(readJournal(path), { records: [{ update: 1 }, { ack: 'u' }, { update: 2 }], skipped: [] });
  t.is(repairJournal(path), 0);
  t.is(readFileSync(path, 'utf8').split('\n').length, 4);
  t.deepEqual(readJournal(join(dir, 'absent')), { records: [], skipped: [] });
});

test('the asynchronous variants write the same files: atomic JSON, links, fsynced journal lines', async (t) => {
  const dir = tmp(t);
  await writeAtomicAsync(join(dir, 'x', 'task.info'), JSON.stringify({ v: 1 }));
  await writeAtomicAsync(join(dir, 'x', 'task.info'), JSON.stringify({ v: 2 }));
  t.deepEqual(readJson(join(dir, 'x', 'task.info')), { kind: 'ok', value: { v: 2 } });
  t.deepEqual(readdirSync(join(dir, 'x')), ['task.info']);
  await linkAtomicAsync(join(dir, 'runs', 'c1'), join(dir, 'runs', 'latest'));
  await linkAtomicAsync(join(dir, 'runs', 'c2'), join(dir, 'runs', 'latest'));
  t.is(readLinkName(join(dir, 'runs', 'latest')), 'c2');
  await appendRecordAsync(join(dir, 'j', 'task.updates'), { update: 1 });
  await appendRecordAsync(join(dir, 'j', 'task.updates'), { ack: 'u' });
  t.deepEqual(readJournal(join(dir, 'j', 'task.updates')), { records: [{ update: 1 }, { ack: 'u' }], skipped: [] });
});

test('commitAtomic puts files and links in place together, replaces old content whole, and leaves no temporary file', async (t) => {
  const dir = tmp(t);
  for (const d of ['meta', 'runs']) mkdirSync(join(dir, d));
  writeFileSync(join(dir, 'meta', 'executor.info'), '{"old": true}');
  await commitAtomic([
    { kind: 'link', path: join(dir, 'runs', 'latest'), target: join(dir, 'runs', 'c1') },
    { kind: 'file', path: join(dir, 'meta', 'executor.info'), data: JSON.stringify({ v: 1 }) },
    { kind: 'file', path: join(dir, 'meta', 'task.info'), data: Buffer.from(JSON.stringify({ v: 2 })) },
  ]);
  t.deepEqual(readJson(join(dir, 'meta', 'executor.info')), { kind: 'ok', value: { v: 1 } });
  t.deepEqual(readJson(join(dir, 'meta', 'task.info')), { kind: 'ok', value: { v: 2 } });
  t.is(readlinkSync(join(dir, 'runs', 'latest')), join(dir, 'runs', 'c1'));
  t.deepEqual(readdirSync(join(dir, 'meta')).sort(), ['executor.info', 'task.info']);
  t.deepEqual(readdirSync(join(dir, 'runs')), ['latest']);
});

test('commitAtomic: an entry that cannot be written fails the commit, removes the temporaries and leaves every target as it was', async (t) => {
  const dir = tmp(t);
  writeFileSync(join(dir, 'a.info'), 'old');
  const error = await t.throwsAsync(commitAtomic([
    { kind: 'file', path: join(dir, 'a.info'), data: 'new' },
    { kind: 'file', path: join(dir, 'missing', 'b.info'), data: 'b' },
  ]));
  t.is((error as NodeJS.ErrnoException).code, 'ENOENT');
  t.is(readFileSync(join(dir, 'a.info'), 'utf8'), 'old');
  t.deepEqual(readdirSync(dir), ['a.info']);
});

test('appendRecordGrouped: appends made without waiting land in call order per journal, settle in that order, and create missing directories', async (t) => {
  const dir = tmp(t);
  const paths = ['a', 'b', 'c'].map((n) => join(dir, n, 'task.updates'));
  const settled: string[] = [];
  const all: Promise<void>[] = [];
  for (let i = 0; i < 60; i++) {
    const p = paths[i % 3];
    all.push(appendRecordGrouped(p, { update: i }).then(() => { settled.push(`${i % 3}:${i}`); }));
    // Some appends come while the journal's previous write is under way, some in the same turn.
    if (i % 7 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(all);
  for (const [k, p] of paths.entries()) {
    const expected = Array.from({ length: 20 }, (_, j) => ({ update: j * 3 + k }));
    t.deepEqual(readJournal(p), { records: expected, skipped: [] });
    const order = settled.filter((s) => s.startsWith(`${k}:`)).map((s) => Number(s.slice(2)));
    t.deepEqual(order, expected.map((r) => r.update));
  }
});

test('appendRecordGrouped: a failed write rejects the appends it carried, and the journal takes later ones', async (t) => {
  const dir = tmp(t);
  // A directory where the journal file should be: open(2) fails with EISDIR.
  const path = join(dir, 'task.updates');
  mkdirSync(path);
  const failed = await Promise.allSettled([appendRecordGrouped(path, { update: 1 }), appendRecordGrouped(path, { update: 2 })]);
  t.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected']);
  rmSync(path, { recursive: true });
  await appendRecordGrouped(path, { ack: 'u' });
  t.deepEqual(readJournal(path), { records: [{ ack: 'u' }], skipped: [] });
});

test('createWindow: at most `limit` run at once, the others start in call order as slots free, failures free their slot too', async (t) => {
  const window = createWindow(2);
  const started: number[] = [];
  let running = 0;
  let most = 0;
  const finish = new Map<number, { ok: () => void; fail: (e: Error) => void }>();
  const results = [0, 1, 2, 3, 4].map((i) => window(() => new Promise<number>((resolve, reject) => {
    started.push(i);
    running++;
    most = Math.max(most, running);
    finish.set(i, { ok: () => { running--; resolve(i); }, fail: (e) => { running--; reject(e); } });
  })));
  await new Promise((r) => setImmediate(r));
  t.deepEqual(started, [0, 1]);
  finish.get(1)!.fail(new Error('disk full'));
  await t.throwsAsync(results[1], { message: 'disk full' });
  await new Promise((r) => setImmediate(r));
  t.deepEqual(started, [0, 1, 2]);
  for (const i of [0, 2, 3, 4]) {
    await new Promise((r) => setImmediate(r));
    finish.get(i)!.ok();
    t.is(await results[i], i);
  }
  t.deepEqual(started, [0, 1, 2, 3, 4]);
  t.is(most, 2);
});
