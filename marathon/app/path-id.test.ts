import test from 'ava';
import fc from 'fast-check';
import { asPathId } from '../model.ts';
import { ancestry, isUnder, parentOf, parsePathId } from './path-id.ts';

test('parsePathId: absolute and relative, Marathon segment rules', (t) => {
  const base = asPathId('/prod/web');
  const cases: [string, string | undefined][] = [
    ['/', '/'], ['/a', '/a'], ['/a/b/', '/a/b'], ['/a//b', '/a/b'], ['/a.b-c/d1', '/a.b-c/d1'],
    ['x', '/prod/web/x'], ['./x', '/prod/web/x'], ['../x', '/prod/x'], ['../../x', '/x'], ['..', '/prod'],
    ['../../../x', undefined], ['', undefined], ['/A', undefined], ['/a_b', undefined], ['/-a', undefined],
    ['/a-', undefined], ['/a..b', undefined], ['/a b', undefined],
  ];
  for (const [raw, expected] of cases) t.is<string | undefined, string | undefined>(parsePathId(raw, base), expected, raw);
});

test('parentOf and isUnder (equal counts as under)', (t) => {
  t.is<string, string>(parentOf(asPathId('/a/b')), '/a');
  t.is<string, string>(parentOf(asPathId('/a')), '/');
  t.is<string, string>(parentOf(asPathId('/')), '/');
  const cases: [string, string, boolean][] = [
    ['/a/b', '/a', true], ['/a', '/a', true], ['/ab', '/a', false], ['/a', '/a/b', false], ['/x', '/', true], ['/', '/', true],
  ];
  for (const [id, anc, expected] of cases) t.is(isUnder(asPathId(id), asPathId(anc)), expected, `${id} under ${anc}`);
  t.deepEqual(ancestry(asPathId('/a/b/c')), ['/a', '/a/b', '/a/b/c']);
});

test('property: every ancestor of a parsed id is under-related, and parsing is idempotent', (t) => {
  const seg = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,4}[a-z0-9])?$/);
  fc.assert(fc.property(fc.array(seg, { minLength: 1, maxLength: 5 }), (segs) => {
    const id = parsePathId('/' + segs.join('/'));
    if (id === undefined) return false;
    return parsePathId(id) === id && ancestry(id).every((a) => isUnder(id, a)) && isUnder(id, parentOf(id));
  }));
  t.pass();
});
