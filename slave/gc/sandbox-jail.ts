/**
 * Which directories garbage collection may remove: a sandbox strictly below
 * `<work_dir>/slaves/`, and its checkpoint twin strictly below `<work_dir>/meta/slaves/` (the
 * Mesos layout of slave/paths.ts mirrors one in the other). The lexical rules are pure
 * (`gcTargets`); `removeJailed` re-checks on disk, after resolving links in the parent, so a
 * link planted in a sandbox tree can never make GC delete outside the work dir.
 */
import { promises as fs } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, relative, sep } from 'node:path';

export interface GcTargets {
  readonly sandbox: string;
  /** The run's checkpoint directory under meta/, removed with it. */
  readonly meta: string;
}

/** The sandbox and its meta twin, or undefined when `directory` is not strictly below `<work_dir>/slaves/`. */
export function gcTargets(workDir: string, directory: string): GcTargets | undefined {
  if (!isAbsolute(directory) || directory.includes('\0')) return undefined;
  const rel = relative(normalize(workDir), normalize(directory));
  const parts = rel.split(sep);
  if (rel === '' || isAbsolute(rel) || parts.includes('..') || parts[0] !== 'slaves' || parts.length < 2) return undefined;
  return { sandbox: join(workDir, rel), meta: join(workDir, 'meta', rel) };
}

function isStrictlyWithin(root: string, candidate: string): boolean {
  return candidate !== root && candidate.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
}

/**
 * Removes `target` (recursively, never following a link at `target` itself) when its canonical
 * parent lies inside the canonical `root`. Answers whether something was removed; a missing
 * target or root is nothing to do.
 */
export async function removeJailed(root: string, target: string): Promise<boolean> {
  let realRoot: string;
  let realParent: string;
  try {
    realRoot = await fs.realpath(root);
    realParent = await fs.realpath(dirname(target));
  } catch {
    return false;
  }
  const resolved = join(realParent, basename(target));
  if (!isStrictlyWithin(realRoot, resolved)) return false;
  try {
    await fs.lstat(resolved);
  } catch {
    return false;
  }
  await fs.rm(resolved, { recursive: true, force: true });
  return true;
}
