import test from 'ava';
import { frameworkRoles, validateFrameworkInfo, validateFrameworkUpdate, validateRole, validateSuppressedRoles } from './framework-validation.ts';
import type { mesos } from '../proto/types.generated.ts';

const roleCases: ReadonlyArray<[string, boolean]> = [
  ['*', true],
  ['dev', true],
  ['a/b/c', true],
  ['my-role_1', true],
  ['', false],
  ['.', false],
  ['..', false],
  ['a/./b', false],
  ['a/../b', false],
  ['-dev', false],
  ['/dev', false],
  ['dev/', false],
  ['a//b', false],
  ['a b', false],
  ['a\tb', false],
  ['a/*', false],
];
for (const [role, ok] of roleCases) {
  test(`role ${JSON.stringify(role)} is ${ok ? 'valid' : 'invalid'}`, (t) => {
    t.is(validateRole(role) === undefined, ok);
  });
}

const mr = [{ type: 'MULTI_ROLE' as const }];
const base = { user: 'root', name: 'fw' };
const infoCases: ReadonlyArray<[string, mesos.v1.FrameworkInfo, string | undefined]> = [
  ['legacy default role', { ...base }, undefined],
  ['legacy role', { ...base, role: 'dev' }, undefined],
  ['multi role', { ...base, roles: ['a', 'b'], capabilities: mr }, undefined],
  ['multi role with role', { ...base, role: 'a', capabilities: mr }, "'FrameworkInfo.role' must not be set"],
  ['legacy with roles', { ...base, roles: ['a'] }, "'FrameworkInfo.roles' must not be set"],
  ['duplicate roles', { ...base, roles: ['a', 'a'], capabilities: mr }, 'duplicate items'],
  ['invalid multi role', { ...base, roles: ['a', '..'], capabilities: mr }, "'FrameworkInfo.roles' contains invalid role"],
  ['invalid legacy role', { ...base, role: '-x' }, "'FrameworkInfo.role' is not a valid role"],
  ['bad id', { ...base, id: { value: 'a/b' } }, "'a/b' contains invalid characters"],
  ['dot id', { ...base, id: { value: '..' } }, "'..' is disallowed"],
  ['negative failover timeout', { ...base, failover_timeout: -1 }, 'The framework failover_timeout (-1) is invalid'],
];
for (const [name, info, expected] of infoCases) {
  test(`framework info: ${name}`, (t) => {
    const err = validateFrameworkInfo(info);
    if (expected === undefined) t.is(err, undefined);
    else t.true(err?.includes(expected), err);
  });
}

test('frameworkRoles: multi-role roles, else role, else *', (t) => {
  t.deepEqual(frameworkRoles({ ...base, roles: ['x', 'y'], capabilities: mr }), ['x', 'y']);
  t.deepEqual(frameworkRoles({ ...base, role: 'dev' }), ['dev']);
  t.deepEqual(frameworkRoles({ ...base }), ['*']);
});

test('update may not change principal, user or checkpoint', (t) => {
  t.is(validateFrameworkUpdate({ ...base, principal: 'p' }, { ...base, principal: 'p', name: 'new' }), undefined);
  t.is(validateFrameworkUpdate({ ...base, principal: 'p' }, { ...base, principal: 'q' }), "Changing framework's principal is not allowed.");
  t.is(validateFrameworkUpdate({ ...base }, { ...base, user: 'other' }), "Updating 'FrameworkInfo.user' is unsupported; attempted to update from 'root' to 'other'");
  t.regex(validateFrameworkUpdate({ ...base }, { ...base, checkpoint: true }) ?? '', /checkpoint' is unsupported/);
});

test('suppressed roles must be among the framework roles', (t) => {
  t.is(validateSuppressedRoles(['a', 'b'], ['b']), undefined);
  t.is(validateSuppressedRoles(['a'], ['c', 'b', 'c']), 'Suppressed roles { b, c } are not contained in the set of roles');
});
