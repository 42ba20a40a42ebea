import test from 'ava';
import { idOfStateFile, isNetworkableId, netnsName, ruleComment, stateFileName, vethName } from './network-names.ts';

test('ids safe in file names, interface names and restore lines are networkable; others are not', (t) => {
  for (const ok of ['c-1', '5a7b0c2e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', 'parent.child', 'a:b_c']) t.true(isNetworkableId(ok), ok);
  for (const bad of ['', '.', '..', '.hidden', 'a/b', 'a b', 'a"b', 'x'.repeat(201), '-dash']) t.false(isNetworkableId(bad), bad);
});

test('a veth name is 14 characters whatever the id, and depends on the bridge', (t) => {
  const long = 'x'.repeat(200);
  t.is(vethName('maestro0', long).length, 14);
  t.regex(vethName('maestro0', 'c-1'), /^mv[0-9a-f]{12}$/);
  t.is(vethName('maestro0', 'c-1'), vethName('maestro0', 'c-1'));
  t.not(vethName('maestro0', 'c-1'), vethName('maestro0', 'c-2'));
  t.not(vethName('maestro0', 'c-1'), vethName('test1', 'c-1'));
});

test('namespace, comment and state file names carry the id and give it back', (t) => {
  t.is(netnsName('maestro-', 'c-1'), 'maestro-c-1');
  t.is(ruleComment('c-1'), 'maestro:c-1');
  t.is(stateFileName('c-1'), 'c-1.json');
  t.is(idOfStateFile('c-1.json'), 'c-1');
  t.is(idOfStateFile('c-1.json.tmp'), undefined);
  t.is(idOfStateFile('notes.txt'), undefined);
});
