import test from 'ava';
import { parseAttributes } from './attributes.ts';

test('Mesos attribute text: text, scalar, ranges and sets', (t) => {
  t.deepEqual(parseAttributes('rack:r1;zone:a;level:3;ids:[1-4,7-8];os:{linux,debian}'), {
    ok: true,
    attributes: [
      { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
      { name: 'zone', type: 'TEXT', text: { value: 'a' } },
      { name: 'level', type: 'SCALAR', scalar: { value: 3 } },
      { name: 'ids', type: 'RANGES', ranges: { range: [{ begin: 1, end: 4 }, { begin: 7, end: 8 }] } },
      { name: 'os', type: 'SET', set: { item: ['linux', 'debian'] } },
    ],
  });
  t.deepEqual(parseAttributes(undefined), { ok: true, attributes: [] });
});

test('bad attributes are errors naming the flag', (t) => {
  for (const bad of ['rack', ':x', 'ids:[4-1]', 'ids:[1-2', '[{']) {
    const r = parseAttributes(bad);
    t.false(r.ok, bad);
    if (!r.ok) t.true(r.message.startsWith('--attributes: '), r.message);
  }
});
