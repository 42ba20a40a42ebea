import test from 'ava';
import { detectedDiskMb, detectedMemMb, detectResources } from './resources-detect.ts';

const GB = 1024 ** 3;
const host = { cpus: 2, memBytes: 8 * GB, diskBytes: 100 * GB };

test('memory and disk headroom as Mesos leaves it', (t) => {
  t.is(detectedMemMb(8 * GB), 7168); // 8 GiB - 1 GiB
  t.is(detectedMemMb(1 * GB), 512); // below 2 GiB: half
  t.is(detectedDiskMb(100 * GB), 97280); // 100 GiB - 5 GiB
  t.is(detectedDiskMb(4 * GB), 2048); // below 10 GiB: half
});

test('nothing given: detected cpus, mem, disk and ports [31000-32000]', (t) => {
  const r = detectResources(undefined, host);
  t.true(r.ok);
  if (!r.ok) return;
  t.is(r.resources.scalar('cpus'), 2);
  t.is(r.resources.scalar('mem'), 7168);
  t.is(r.resources.scalar('disk'), 97280);
  t.deepEqual(r.resources.ranges('ports'), [[31000, 32000]]);
});

test('given resources win name by name; JSON lists are accepted; errors name the flag', (t) => {
  const text = detectResources('cpus:8;ports:[5000-5001]', host);
  t.true(text.ok);
  if (text.ok) {
    t.is(text.resources.scalar('cpus'), 8);
    t.is(text.resources.scalar('mem'), 7168);
    t.deepEqual(text.resources.ranges('ports'), [[5000, 5001]]);
  }
  const json = detectResources('[{"name":"mem","type":"SCALAR","scalar":{"value":100}}]', host);
  t.true(json.ok);
  if (json.ok) t.is(json.resources.scalar('mem'), 100);
  const bad = detectResources('cpus:lots', host);
  t.false(bad.ok);
  if (!bad.ok) t.true(bad.message.startsWith('--resources: '));
});
