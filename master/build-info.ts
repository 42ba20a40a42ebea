/**
 * Where `/version` and `/master/state` get their build fields, read once at start-up. maestro runs
 * from its sources (there is no build step), so:
 *  - `git_sha`, `git_branch`, `git_tag`: of the checkout the package lives in (`git rev-parse`),
 *    absent when the package directory is not the top of a git work tree or git is missing;
 *  - `build_date`, `build_time`: when package.json was last written (its mtime), the closest
 *    thing to a build time a source checkout has; absent if it cannot be read;
 *  - `build_user`: absent; who built it cannot be known.
 * The commands run through a port so that tests can use a scratch repository.
 */
import { execFileSync } from 'node:child_process';
import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildInfo } from './http/version-info.ts';

/** Runs git in `dir` with `args`; the trimmed stdout, or undefined when it fails. */
export type GitRunner = (dir: string, args: readonly string[]) => string | undefined;

export const systemGit: GitRunner = (dir, args) => {
  try {
    return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
};

/** "YYYY-MM-DD HH:MM:SS" in UTC. */
export function formatBuildDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

function realpath(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

export function readBuildInfo(packageDir: string, git: GitRunner = systemGit): BuildInfo {
  const info: { -readonly [K in keyof BuildInfo]: BuildInfo[K] } = {};
  const top = git(packageDir, ['rev-parse', '--show-toplevel']);
  if (top !== undefined && realpath(top) === realpath(packageDir)) {
    const sha = git(packageDir, ['rev-parse', 'HEAD']);
    if (sha !== undefined && /^[0-9a-f]{40}$/.test(sha)) {
      info.gitSha = sha;
      const branch = git(packageDir, ['rev-parse', '--abbrev-ref', 'HEAD']);
      if (branch !== undefined && branch !== '' && branch !== 'HEAD') info.gitBranch = branch;
      const tag = git(packageDir, ['describe', '--exact-match', '--tags', 'HEAD']);
      if (tag !== undefined && tag !== '') info.gitTag = tag;
    }
  }
  try {
    const mtimeMs = statSync(join(packageDir, 'package.json')).mtimeMs;
    info.date = formatBuildDate(mtimeMs);
    info.time = Math.floor(mtimeMs / 1000);
  } catch {
    // No package.json to date the build by: the fields stay out.
  }
  return info;
}
