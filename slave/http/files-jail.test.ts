/**
 * The sandbox jail on a real file tree: a property over random paths built from the fixture's
 * names (dot-dot, links in and out, nested directories) — every path either resolves inside its
 * sandbox or is refused — and the race guard: a directory swapped for a link to elsewhere
 * between resolution and open is caught when the file is opened.
 */
import test from 'ava';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EscapedSandboxError, openJailed, readSandboxFile, resolveSandboxPath } from './files-jail.ts';
import { sandboxFixture } from './test-fixtures.ts';
import { isWithin } from './virtual-paths.ts';

const fixture = sandboxFixture();
test.after.always(() => fixture.cleanup());
const sandboxes = [{ directory: fixture.sandbox, virtualPaths: [fixture.virtual] }];

const components = ['..', '.', '', 'sub', 'inner.txt', 'stdout', 'etc-link', 'outside-link', 'sibling-link', 'inside-link', 'loop', 'C12', 'secret', 'passwd'];

test('property: any path under a sandbox name resolves inside that sandbox or is refused', async (t) => {
  const root = realpathSync(fixture.sandbox);
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(fixture.virtual, fixture.sandbox),
    fc.array(fc.constantFrom(...components), { maxLength: 8 }),
    async (base, rest) => {
      const resolution = await resolveSandboxPath([base, ...rest].join('/'), sandboxes);
      if (resolution.kind !== 'found') return true;
      if (!isWithin(root, resolution.realPath)) return false;
      if (resolution.stats.isDirectory()) return true;
      const read = await readSandboxFile(resolution, 0, undefined);
      return read.size === resolution.stats.size;
    },
  ), { numRuns: 300 });
  t.pass();
});

test('a directory swapped for a link after resolution is caught at open', async (t) => {
  const w = mkdtempSync(join(tmpdir(), 'maestro-jail-race-'));
  try {
    const sandbox = join(w, 'sandbox');
    const elsewhere = join(w, 'elsewhere');
    mkdirSync(join(sandbox, 'dir'), { recursive: true });
    mkdirSync(elsewhere);
    writeFileSync(join(sandbox, 'dir/file'), 'inside');
    writeFileSync(join(elsewhere, 'file'), 'secret');
    const found = await resolveSandboxPath(join(sandbox, 'dir/file'), [{ directory: sandbox, virtualPaths: [] }]);
    if (found.kind !== 'found') throw new Error('fixture did not resolve');
    // The task replaces its directory by a link out of the sandbox.
    renameSync(join(sandbox, 'dir'), join(sandbox, 'old'));
    symlinkSync(elsewhere, join(sandbox, 'dir'));
    await t.throwsAsync(openJailed(found), { instanceOf: EscapedSandboxError });
    await t.throwsAsync(readSandboxFile(found, 0, undefined), { instanceOf: EscapedSandboxError });
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
});

test('a file swapped for a link after resolution is not followed (O_NOFOLLOW)', async (t) => {
  const w = mkdtempSync(join(tmpdir(), 'maestro-jail-race-'));
  try {
    const sandbox = join(w, 'sandbox');
    mkdirSync(sandbox);
    writeFileSync(join(sandbox, 'file'), 'inside');
    writeFileSync(join(w, 'secret'), 'secret');
    const found = await resolveSandboxPath(join(sandbox, 'file'), [{ directory: sandbox, virtualPaths: [] }]);
    if (found.kind !== 'found') throw new Error('fixture did not resolve');
    rmSync(join(sandbox, 'file'));
    symlinkSync(join(w, 'secret'), join(sandbox, 'file'));
    const error = await t.throwsAsync(openJailed(found));
    t.is((error as { code?: string }).code, 'ELOOP');
  } finally {
    rmSync(w, { recursive: true, force: true });
  }
});
