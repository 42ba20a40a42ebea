import test from 'ava';
import { buildJson, versionInfo, versionJson, UNKNOWN_BUILD } from './version-info.ts';

const full = { date: '2026-11-18 11:06:40', time: 1_795_000_000, user: 'ci', gitSha: 'a'.repeat(40), gitBranch: 'main', gitTag: 'v0.1.0' };

test('GET /version: every known field, in Mesos\' order', (t) => {
  const json = versionJson('0.1.0', full);
  t.deepEqual(Object.keys(json), ['version', 'git_sha', 'git_branch', 'git_tag', 'build_date', 'build_time', 'build_user']);
  t.deepEqual(json, { version: '0.1.0', git_sha: 'a'.repeat(40), git_branch: 'main', git_tag: 'v0.1.0', build_date: '2026-11-18 11:06:40', build_time: 1_795_000_000, build_user: 'ci' });
});

test('unknown fields are left out, never filled with placeholders', (t) => {
  t.deepEqual(versionJson('0.1.0', UNKNOWN_BUILD), { version: '0.1.0' });
  t.deepEqual(buildJson({ date: '2026-11-18 11:06:40', time: 1_795_000_000 }), { build_date: '2026-11-18 11:06:40', build_time: 1_795_000_000 });
  t.deepEqual(versionInfo('0.1.0', UNKNOWN_BUILD), { version: '0.1.0' });
});

test('GET_VERSION VersionInfo carries the same fields', (t) => {
  t.deepEqual(versionInfo('0.1.0', full), {
    version: '0.1.0', build_date: '2026-11-18 11:06:40', build_time: 1_795_000_000, build_user: 'ci', git_sha: 'a'.repeat(40), git_branch: 'main', git_tag: 'v0.1.0',
  });
});
