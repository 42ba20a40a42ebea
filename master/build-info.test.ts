import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBuildDate, readBuildInfo, systemGit } from './build-info.ts';

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-build-info-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), '{"name":"x","version":"1.2.3"}');
  utimesSync(join(dir, 'package.json'), 1_795_000_000, 1_795_000_000.75);
  return dir;
}

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { stdio: 'ignore' });

const dates: ReadonlyArray<[number, string]> = [
  [0, '1970-01-01 00:00:00'],
  [1_795_000_000_750, '2026-11-18 11:06:40'],
];
for (const [ms, text] of dates) {
  test(`formatBuildDate(${ms}) is ${text}`, (t) => {
    t.is(formatBuildDate(ms), text);
  });
}

test('outside a git checkout: no git fields; date and time from the package.json mtime; never a build user', (t) => {
  const dir = scratch(t);
  t.deepEqual(readBuildInfo(dir, () => undefined), { date: '2026-11-18 11:06:40', time: 1_795_000_000 });
});

test('a package inside a bigger git work tree is not that tree\'s build', (t) => {
  const dir = scratch(t);
  git(dir, 'init', '-q', '-b', 'main');
  const inner = join(dir, 'pkg');
  mkdirSync(inner);
  writeFileSync(join(inner, 'package.json'), '{}');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'x');
  t.is(readBuildInfo(inner).gitSha, undefined);
});

test('at the top of a git checkout: the HEAD sha, the branch, and an exact tag', (t) => {
  const dir = scratch(t);
  git(dir, 'init', '-q', '-b', 'release');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'x');
  const sha = systemGit(dir, ['rev-parse', 'HEAD'])!;
  t.regex(sha, /^[0-9a-f]{40}$/);
  t.like(readBuildInfo(dir), { gitSha: sha, gitBranch: 'release', gitTag: undefined, date: '2026-11-18 11:06:40' });
  git(dir, 'tag', 'v1.2.3');
  t.like(readBuildInfo(dir), { gitSha: sha, gitTag: 'v1.2.3' });
  git(dir, 'checkout', '-q', '--detach');
  t.is(readBuildInfo(dir).gitBranch, undefined, 'a detached HEAD has no branch');
});

test('no package.json: no date or time', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-build-info-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.deepEqual(readBuildInfo(dir, () => undefined), {});
});
