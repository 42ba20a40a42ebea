/**
 * The /files name space: which attached directory a requested path falls under. Mesos attaches
 * each sandbox under its real path and under virtual paths such as
 * `/frameworks/F/executors/E/runs/latest`; a request names one of them, optionally followed by
 * components below it. The longest attached prefix wins (compared component by component, so
 * `/a/bc` never matches an attachment `/a/b`), and the rest of the path is the suffix to look up
 * inside that directory. Pure: no file system here; the jail (files-jail.ts) resolves the result.
 *
 * Invariant: a path that is not an attached name or below one matches nothing (404 for the
 * caller); a match never carries its own containment guarantee, the jail checks that after
 * resolving symbolic links.
 */
import type { AttachedSandbox } from '../agent-view.ts';

/**
 * Attached name (no trailing slash) -> directory on disk. When two sandboxes claim one name (a
 * re-launched executor's `runs/latest`), the first listed keeps it: AgentView lists live
 * executors before completed ones, so `latest` names the live run, as Mesos' re-attach does.
 */
export function attachmentTable(sandboxes: readonly AttachedSandbox[]): Map<string, string> {
  const table = new Map<string, string>();
  const attach = (name: string, directory: string): void => {
    const key = trimTrailingSlashes(name);
    if (!table.has(key)) table.set(key, directory);
  };
  for (const sandbox of sandboxes) {
    attach(sandbox.directory, sandbox.directory);
    for (const name of sandbox.virtualPaths) attach(name, sandbox.directory);
  }
  return table;
}

export function trimTrailingSlashes(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end -= 1;
  return path.slice(0, end);
}

export interface AttachmentMatch {
  /** The attached name that matched. */
  readonly name: string;
  readonly directory: string;
  /** The components below the attachment, joined with `/`; empty for the attachment itself. */
  readonly suffix: string;
}

export function matchAttachment(path: string, table: ReadonlyMap<string, string>): AttachmentMatch | undefined {
  const tokens = trimTrailingSlashes(path).split('/');
  for (let n = tokens.length; n > 0; n -= 1) {
    const prefix = tokens.slice(0, n).join('/');
    const directory = table.get(prefix === '' ? '/' : prefix);
    if (directory !== undefined) return { name: prefix, directory, suffix: tokens.slice(n).join('/') };
  }
  return undefined;
}

/** Whether `candidate` is `root` or lies below it (both canonical absolute paths). */
export function isWithin(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const base = root.endsWith('/') ? root : `${root}/`;
  return candidate.startsWith(base);
}

/** `<path>/<entry>` for a listing, with the path's trailing slashes dropped (as stout's path::join). */
export function joinVirtual(path: string, entry: string): string {
  return `${path.replace(/\/+$/, '')}/${entry}`;
}
