import test from 'ava';
import fc from 'fast-check';
import { attachmentTable, isWithin, joinVirtual, matchAttachment, trimTrailingSlashes } from './virtual-paths.ts';

const sandbox = '/work/slaves/S1/frameworks/F/executors/E/runs/C1';
const table = attachmentTable([
  { directory: sandbox, virtualPaths: ['/frameworks/F/executors/E/runs/latest', '/frameworks/F/executors/E/runs/C1'] },
  { directory: '/work/slaves/S1/frameworks/F/executors/E2/runs/C2', virtualPaths: ['/frameworks/F/executors/E2/runs/latest/'] },
]);

const cases: [string, { name: string; directory: string; suffix: string } | undefined][] = [
  ['/frameworks/F/executors/E/runs/latest', { name: '/frameworks/F/executors/E/runs/latest', directory: sandbox, suffix: '' }],
  ['/frameworks/F/executors/E/runs/latest/', { name: '/frameworks/F/executors/E/runs/latest', directory: sandbox, suffix: '' }],
  ['/frameworks/F/executors/E/runs/latest/stdout', { name: '/frameworks/F/executors/E/runs/latest', directory: sandbox, suffix: 'stdout' }],
  ['/frameworks/F/executors/E/runs/latest/a/b', { name: '/frameworks/F/executors/E/runs/latest', directory: sandbox, suffix: 'a/b' }],
  ['/frameworks/F/executors/E/runs/latest/../../x', { name: '/frameworks/F/executors/E/runs/latest', directory: sandbox, suffix: '../../x' }],
  [`${sandbox}/stderr`, { name: sandbox, directory: sandbox, suffix: 'stderr' }],
  ['/frameworks/F/executors/E2/runs/latest/stdout', {
    name: '/frameworks/F/executors/E2/runs/latest', directory: '/work/slaves/S1/frameworks/F/executors/E2/runs/C2', suffix: 'stdout',
  }],
  ['/frameworks/F/executors/E/runs/latestX', undefined], // component-wise: no partial names
  ['/frameworks/F/executors/E/runs', undefined],
  ['/etc/passwd', undefined],
  ['', undefined],
  ['/', undefined],
  ['frameworks/F/executors/E/runs/latest', undefined], // relative names are not attached
];

for (const [path, expected] of cases) {
  test(`matchAttachment(${JSON.stringify(path)})`, (t) => {
    t.deepEqual(matchAttachment(path, table), expected);
  });
}

test('a name claimed twice stays with the first sandbox listed (the live run keeps latest)', (t) => {
  const shared = attachmentTable([
    { directory: '/w/runs/LIVE', virtualPaths: ['/frameworks/F/executors/E/runs/latest'] },
    { directory: '/w/runs/OLD', virtualPaths: ['/frameworks/F/executors/E/runs/latest', '/frameworks/F/executors/E/runs/OLD'] },
  ]);
  t.is(shared.get('/frameworks/F/executors/E/runs/latest'), '/w/runs/LIVE');
  t.is(shared.get('/frameworks/F/executors/E/runs/OLD'), '/w/runs/OLD');
});

test('trimTrailingSlashes keeps the root', (t) => {
  t.is(trimTrailingSlashes('/'), '/');
  t.is(trimTrailingSlashes('/a///'), '/a');
  t.is(trimTrailingSlashes('/a/b'), '/a/b');
});

test('joinVirtual drops trailing slashes of the listed path', (t) => {
  t.is(joinVirtual('/a/b', 'c'), '/a/b/c');
  t.is(joinVirtual('/a/b//', 'c'), '/a/b/c');
});

test('isWithin is per component', (t) => {
  t.true(isWithin('/w/runs/C1', '/w/runs/C1'));
  t.true(isWithin('/w/runs/C1', '/w/runs/C1/stdout'));
  t.false(isWithin('/w/runs/C1', '/w/runs/C12/stdout'));
  t.false(isWithin('/w/runs/C1', '/w/runs'));
  t.true(isWithin('/', '/etc'));
});

test('property: a match always names an attachment and rebuilds the requested path', (t) => {
  const names = [...table.keys()];
  fc.assert(fc.property(
    fc.constantFrom(...names),
    fc.array(fc.stringMatching(/^[a-z.]{1,4}$/), { maxLength: 4 }),
    (name, rest) => {
      const requested = [name, ...rest].join('/');
      const match = matchAttachment(requested, table);
      if (match === undefined) return false;
      if (!table.has(match.name)) return false;
      return (match.suffix === '' ? match.name : `${match.name}/${match.suffix}`) === trimTrailingSlashes(requested);
    },
  ));
  t.pass();
});
