/** runc container ids: maestro's ids pass unchanged, others map to distinct valid ids. */
import test from 'ava';
import { runcContainerId } from './runc-id.ts';

const RUNC_ID = /^[\w+,.-]+$/;

test('runcContainerId: a valid id is kept', (t) => {
  for (const id of ['0f8e6c1a-2b3c-4d5e-8f90-123456789abc', 'a.b_c+d,e-f', 'x']) t.is(runcContainerId(id), id);
});

test('runcContainerId: refused characters are replaced and a hash keeps ids apart', (t) => {
  const odd = ['a/b', 'a b', 'a:b', 'a_b/', '.', '..', 'ünï', ''];
  const mapped = odd.map(runcContainerId);
  for (const m of mapped) t.regex(m, RUNC_ID);
  t.is(new Set(mapped).size, odd.length);
  t.regex(runcContainerId('a/b'), /^a_b-[0-9a-f]{12}$/);
  t.not(runcContainerId('a/b'), runcContainerId('a:b'));
  t.is(runcContainerId('a/b'), runcContainerId('a/b'));
});
