import test from 'ava';
import { at, createProblems, createReader, field } from './json-reader.ts';

test('problems: one entry per path, messages in order, no duplicates, "" is the root', (t) => {
  const p = createProblems();
  p.add('/a', 'x');
  p.add('', 'root');
  p.add('/a', 'y');
  p.add('/a', 'x');
  t.deepEqual(p.list(), [{ path: '/a', errors: ['x', 'y'] }, { path: '/', errors: ['root'] }]);
  t.is(p.size, 2);
});

test('reader: null is absent, wrong types leave Play messages', (t) => {
  const r = createReader();
  const cases: [unknown, unknown][] = [
    // value read, expected result
    [r.str(null, '/s'), undefined],
    [r.str('x', '/s'), 'x'],
    [r.num('1', '/n'), undefined],
    [r.num(2, '/i', { integer: true }), 2],
    [r.num(2.5, '/f', { integer: true }), undefined],
    [r.num(-1, '/m', { min: 0 }), -1],
    [r.bool(1, '/b'), undefined],
    [r.arr({}, '/arr'), undefined],
    [r.obj([], '/o'), undefined],
    [r.strArr(['a', 1], '/sa'), ['a']],
    [r.strMap({ k: 'v', n: 2 }, '/sm'), { k: 'v' }],
  ];
  for (const [i, [actual, expected]] of cases.entries()) t.deepEqual(actual, expected, `case ${i}`);
  r.required(undefined, undefined, '/req');
  t.deepEqual(r.problems.list(), [
    { path: '/n', errors: ['error.expected.jsnumber'] },
    { path: '/f', errors: ['error.expected.int'] },
    { path: '/m', errors: ['must be larger than or equal to 0'] },
    { path: '/b', errors: ['error.expected.jsboolean'] },
    { path: '/arr', errors: ['error.expected.jsarray'] },
    { path: '/o', errors: ['error.expected.jsobject'] },
    { path: '/sa(1)', errors: ['error.expected.jsstring'] },
    { path: '/sm/n', errors: ['error.expected.jsstring'] },
    { path: '/req', errors: ['error.path.missing'] },
  ]);
  t.is(at('/x', 2), '/x(2)');
  t.is(field('/', 'id'), '/id');
  t.is(field('/a(0)', 'b'), '/a(0)/b');
});
