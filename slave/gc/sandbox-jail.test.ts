import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gcTargets, removeJailed } from './sandbox-jail.ts';

const W = '/var/lib/maestro';
const run = `${W}/slaves/S1/frameworks/F/executors/E/runs/C`;

const targets: [string, { sandbox: string; meta: string } | undefined][] = [
  [run, { sandbox: run, meta: `${W}/meta/slaves/S1/frameworks/F/executors/E/runs/C` }],
  [`${run}/`, { sandbox: run, meta: `${W}/meta/slaves/S1/frameworks/F/executors/E/runs/C` }],
  [`${W}/slaves/S1`, { sandbox: `${W}/slaves/S1`, meta: `${W}/meta/slaves/S1` }],
  [`${W}/slaves`, undefined], // the root itself
  [`${W}/slaves/`, undefined],
  [W, undefined],
  [`${W}/meta/slaves/S1`, undefined], // checkpoints are removed only with their sandbox
  [`${W}/slaves/../etc`, undefined],
  [`${W}/slaves/S1/../../etc`, undefined],
  ['/etc', undefined],
  ['slaves/S1', undefined], // relative
  [`${W}/slaves/S1\0x`, undefined],
  [`${W}/slavesX/S1`, undefined],
];

for (const [directory, expected] of targets) {
  test(`gcTargets(${JSON.stringify(directory)})`, (t) => {
    t.deepEqual(gcTargets(W, directory), expected);
  });
}

test('removeJailed removes inside the root, never through a link, never the root or outside', async (t) => {
  const w = mkdtempSync(join(tmpdir(), 'maestro-gc-jail-'));
  try {
    const root = join(w, 'slaves');
    const outside = join(w, 'outside');
    mkdirSync(join(root, 'S1/run'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'keep'), 'keep');
    writeFileSync(join(root, 'S1/run/stdout'), 'x');
    symlinkSync(outside, join(root, 'S1/link-out')); // a link to a directory outside
    symlinkSync(outside, join(root, 'S1/run/inner-link'));

    t.false(await removeJailed(root, join(root, 'S1/link-out/keep'))); // parent resolves outside
    t.true(existsSync(join(outside, 'keep')));
    t.false(await removeJailed(root, root));
    t.false(await removeJailed(root, outside));
    t.false(await removeJailed(root, join(root, 'missing')));
    t.true(await removeJailed(root, join(root, 'S1/link-out'))); // the link itself goes, not its target
    t.true(existsSync(join(outside, 'keep')));
    t.true(await removeJailed(root, join(root, 'S1/run'))); // links inside are unlinked, not followed
    t.false(existsSync(join(root, 'S1/run')));
    t.true(existsSync(join(outside, 'keep')));
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
});
