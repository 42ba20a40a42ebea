/**
 * What this build is, in the two shapes Mesos publishes it: the `GET /version` JSON
 * (`{"version", "build_date", "build_time", "build_user", "git_sha"?, "git_tag"?}`; clients call
 * it first to learn the API level) and the operator API's `VersionInfo` message.
 */
import type { mesos } from '../../proto/types.generated.ts';

export interface BuildInfo {
  /** e.g. "2026-11-22 15:00:00" */
  readonly date: string;
  /** Seconds since the epoch. */
  readonly time: number;
  readonly user: string;
  readonly gitSha?: string;
  readonly gitTag?: string;
}

export const UNKNOWN_BUILD: BuildInfo = { date: '', time: 0, user: '' };

export function versionJson(version: string, build: BuildInfo): Record<string, string | number> {
  const json: Record<string, string | number> = {
    version,
    build_date: build.date,
    build_time: build.time,
    build_user: build.user,
  };
  if (build.gitSha !== undefined) json.git_sha = build.gitSha;
  if (build.gitTag !== undefined) json.git_tag = build.gitTag;
  return json;
}

export function versionInfo(version: string, build: BuildInfo): mesos.v1.VersionInfo {
  const info: mesos.v1.VersionInfo = { version, build_date: build.date, build_time: build.time, build_user: build.user };
  if (build.gitSha !== undefined) info.git_sha = build.gitSha;
  if (build.gitTag !== undefined) info.git_tag = build.gitTag;
  return info;
}
