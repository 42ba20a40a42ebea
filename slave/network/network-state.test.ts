import test from 'ava';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetworkRecord, readNetworkRecord, readNetworkRecords, removeNetworkRecord, writeNetworkRecord, type NetworkRecord } from './network-state.ts';

const record: NetworkRecord = {
  containerId: 'c-1',
  ip: '10.5.6.2',
  gateway: '10.5.6.1',
  prefixLength: 24,
  netns: 'maestro-c-1',
  netnsPath: '/run/netns/maestro-c-1',
  veth: 'mv0123456789ab',
  mappings: [{ hostPort: 31000, containerPort: 80, protocol: 'tcp' }],
};

function dir(t: { teardown(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'network-state-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('a record is written whole, read back, and removed without a trace', async (t) => {
  const d = join(dir(t), 'network');
  writeNetworkRecord(d, record);
  t.deepEqual(readdirSync(d), ['c-1.json']);
  t.deepEqual(await readNetworkRecord(d, 'c-1'), { present: true, record });
  t.deepEqual([...(await readNetworkRecords(d))], [['c-1', record]]);
  removeNetworkRecord(d, 'c-1');
  t.deepEqual(readdirSync(d), []);
  t.deepEqual(await readNetworkRecord(d, 'c-1'), { present: false });
  removeNetworkRecord(d, 'c-1'); // idempotent
});

test('a torn or foreign file is present without a record; temporary files and a missing dir are nothing', async (t) => {
  const d = dir(t);
  writeFileSync(join(d, 'c-2.json'), '{"containerId":"c-2","ip":');
  writeFileSync(join(d, 'c-3.json'), JSON.stringify({ ...record, containerId: 'other' }));
  writeFileSync(join(d, 'c-4.json.tmp'), JSON.stringify(record));
  t.deepEqual([...(await readNetworkRecords(d))], [['c-2', undefined], ['c-3', undefined]]);
  t.deepEqual(await readNetworkRecord(d, 'c-2'), { present: true, record: undefined });
  t.deepEqual([...(await readNetworkRecords(join(d, 'missing')))], []);
});

test('records with missing or mistyped fields are rejected', (t) => {
  t.deepEqual(parseNetworkRecord(JSON.stringify(record)), record);
  t.is(parseNetworkRecord('null'), undefined);
  t.is(parseNetworkRecord(JSON.stringify({ ...record, ip: 7 })), undefined);
  t.is(parseNetworkRecord(JSON.stringify({ ...record, prefixLength: '24' })), undefined);
  t.is(parseNetworkRecord(JSON.stringify({ ...record, mappings: [{ hostPort: 1, containerPort: 2, protocol: 'sctp' }] })), undefined);
});
