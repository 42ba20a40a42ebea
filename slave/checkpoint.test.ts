import test from 'ava';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendRecord, appendRecordAsync, linkAtomic, linkAtomicAsync, readJournal, readJson, readLinkName, repairJournal, writeAtomicAsync, writeJsonAtomic } from './checkpoint.ts';

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
