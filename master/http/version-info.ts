/**
 * What this build is, in the shapes Mesos publishes it: the `GET /version` JSON (`version`, then
 * `git_sha`, `git_branch`, `git_tag`, `build_date`, `build_time`, `build_user` when known; clients
 * call it first to learn the API level), the same keys at the top of `/master/state`, and the
 * operator API's `VersionInfo` message. A field this process cannot know truthfully is left out
 * rather than filled with a placeholder (see master/build-info.ts for where each value comes from).
 */
import type { mesos } from '../../proto/types.generated.ts';

export interface BuildInfo {
  /** UTC, "2026-11-22 15:00:00". */
  readonly date?: string;
  /** Seconds since the epoch. */
  readonly time?: number;
  readonly user?: string;
  readonly gitSha?: string;
  readonly gitBranch?: string;
  readonly gitTag?: string;
}

export const UNKNOWN_BUILD: BuildInfo = {};

/** The build keys of `/version` and `/master/state`, in Mesos' order, only those known. */
export function buildJson(build: BuildInfo): Record<string, string | number> {
  const json: Record<string, string | number> = {};
  if (build.gitSha !== undefined) json.git_sha = build.gitSha;
  if (build.gitBranch !== undefined) json.git_branch = build.gitBranch;
  if (build.gitTag !== undefined) json.git_tag = build.gitTag;
  if (build.date !== undefined) json.build_date = build.date;
  if (build.time !== undefined) json.build_time = build.time;
  if (build.user !== undefined) json.build_user = build.user;
  return json;
}

export function versionJson(version: string, build: BuildInfo): Record<string, string | number> {
  return { version, ...buildJson(build) };
}

export function versionInfo(version: string, build: BuildInfo): mesos.v1.VersionInfo {
  const info: mesos.v1.VersionInfo = { version };
  if (build.date !== undefined) info.build_date = build.date;
  if (build.time !== undefined) info.build_time = build.time;
  if (build.user !== undefined) info.build_user = build.user;
  if (build.gitSha !== undefined) info.git_sha = build.gitSha;
  if (build.gitBranch !== undefined) info.git_branch = build.gitBranch;
  if (build.gitTag !== undefined) info.git_tag = build.gitTag;
  return info;
}
