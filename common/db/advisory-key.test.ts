import test from 'ava';
import fc from 'fast-check';
import { advisoryKey, lockRowIds } from './advisory-key.ts';

test('a number is its own key; a string hashes to the same key every time', (t) => {
  const cases: readonly [number | string, bigint][] = [
    [0, 0n],
    [42, 42n],
    [-7, -7n],
    [Number.MAX_SAFE_INTEGER, 9007199254740991n],
  ];
  for (const [input, key] of cases) t.is(advisoryKey(input), key, String(input));
  t.is(advisoryKey('marathon-leader'), advisoryKey('marathon-leader'));
  t.not(advisoryKey('marathon-leader'), advisoryKey('master-leader'));
});

test('a number outside the safe integers is refused', (t) => {
  t.throws(() => advisoryKey(2 ** 60), { instanceOf: RangeError });
  t.throws(() => advisoryKey(1.5), { instanceOf: RangeError });
});

test('lockRowIds splits a key into pg_locks classid/objid', (t) => {
  const cases: readonly [bigint, number, number][] = [
    [0n, 0, 0],
    [1n, 0, 1],
    [2n ** 32n + 5n, 1, 5],
    [-1n, 0xffffffff, 0xffffffff], // two's complement: all bits set
  ];
  for (const [key, classid, objid] of cases) t.deepEqual(lockRowIds(key), { classid, objid }, String(key));
});

test('property: string keys are signed 64-bit and classid/objid put them back together', (t) => {
  fc.assert(fc.property(fc.string(), (s) => {
    const key = advisoryKey(s);
    const { classid, objid } = lockRowIds(key);
    return key >= -(2n ** 63n) && key < 2n ** 63n && BigInt.asIntN(64, (BigInt(classid) << 32n) | BigInt(objid)) === key;
  }));
  t.pass();
});
