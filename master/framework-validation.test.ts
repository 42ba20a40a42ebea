import test from 'ava';
import {
  formatDouble, frameworkRoles, isDurationSeconds, preserveImmutableFields, validateFrameworkInfo, validateFrameworkUpdate,
  validateInputScalarValue, validateRole, validateSuppressedRoles,
} from './framework-validation.ts';
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
  ['offer filters with a quantity', { ...base, offer_filters: { '*': { min_allocatable_resources: { quantities: [{ quantities: { cpus: { value: 1 } } }] } } } }, undefined],
  ['offer filters with an empty alternative', { ...base, offer_filters: { '*': { min_allocatable_resources: { quantities: [{}] } } } }, 'Resource quantities must contain at least one quantity'],
  ['offer filters with a negative quantity', { ...base, offer_filters: { '*': { min_allocatable_resources: { quantities: [{ quantities: { mem: { value: -1 } } }] } } } },
    "Invalid resource quantity for 'mem': Negative values not supported"],
  ['negative failover timeout (a valid Duration)', { ...base, failover_timeout: -1 }, undefined],
  ['failover timeout of a week', { ...base, failover_timeout: 604800 }, undefined],
  ['failover timeout beyond int64 nanoseconds', { ...base, failover_timeout: 1e10 }, 'The framework failover_timeout (1e+10) is invalid'],
  ['infinite failover timeout', { ...base, failover_timeout: Infinity }, 'The framework failover_timeout (inf) is invalid'],
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

const scalars: ReadonlyArray<[number, string | undefined]> = [
  [0, undefined],
  [1.5, undefined],
  [-0.5, 'Negative values not supported'],
  [Number.NaN, 'NaN not supported'],
  [Infinity, 'Infinite values not supported'],
  [5e-324, 'Subnormal values not supported'],
];
for (const [value, expected] of scalars) {
  test(`validateInputScalarValue(${value}) -> ${expected ?? 'ok'}`, (t) => {
    t.is(validateInputScalarValue(value), expected);
  });
}

const durations: ReadonlyArray<[number, boolean]> = [
  [0, true],
  [-1, true],
  [9_223_372_036, true], // just under 2^63 ns
  [9_223_372_037, false],
  [-9_223_372_037, false],
  [Number.NaN, false],
];
for (const [seconds, ok] of durations) {
  test(`isDurationSeconds(${seconds}) is ${ok}`, (t) => {
    t.is(isDurationSeconds(seconds), ok);
  });
}

const doubles: ReadonlyArray<[number, string]> = [
  [0, '0'],
  [-1, '-1'],
  [0.5, '0.5'],
  [1 / 3, '0.333333'],
  [123456, '123456'],
  [1234567, '1.23457e+06'],
  [1e20, '1e+20'],
  [0.0001, '0.0001'],
  [0.00001234, '1.234e-05'],
  [-2.5e-7, '-2.5e-07'],
  [999999.5, '1e+06'],
];
for (const [x, text] of doubles) {
  test(`formatDouble(${x}) prints ${text} as C++ streams do`, (t) => {
    t.is(formatDouble(x), text);
  });
}

test('preserveImmutableFields keeps the old user and checkpoint flag, takes the rest', (t) => {
  const old = { ...base, user: 'alice', checkpoint: true, principal: 'p' };
  t.deepEqual(preserveImmutableFields(old, { ...base, user: 'bob', name: 'new', principal: 'q' }), { ...base, user: 'alice', checkpoint: true, name: 'new', principal: 'q' });
  t.deepEqual(preserveImmutableFields({ ...base }, { ...base, checkpoint: false }), { ...base, checkpoint: false }, 'false equals unset');
  t.deepEqual(preserveImmutableFields({ ...base }, { ...base, checkpoint: true }), { ...base });
});

test('suppressed roles must be among the framework roles', (t) => {
  t.is(validateSuppressedRoles(['a', 'b'], ['b']), undefined);
  t.is(validateSuppressedRoles(['a'], ['c', 'b', 'c']), 'Suppressed roles { b, c } are not contained in the set of roles');
});
