/**
 * Finds the tools of `namespaces/pid` and `filesystem/linux` on this host: util-linux's
 * `unshare` (with `--kill-child`, `--mount-proc` and `--propagation`, util-linux ≥ 2.32) and
 * `mount`, and `/bin/sh`. Undefined when one is missing, so that the agent refuses the isolators
 * at start instead of failing every task.
 */
import { execFile } from 'node:child_process';
import { findTool } from '../../containerizer/launch-check.ts';

export interface NamespaceTools {
  readonly unshare: string;
  readonly sh: string;
  readonly mount: string;
}

const DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];
const NEEDED_FLAGS = ['--kill-child', '--mount-proc', '--propagation', '--fork', '--pid'];

function helpText(tool: string): Promise<string> {
  return new Promise((done) => {
    execFile(tool, ['--help'], { encoding: 'utf8', timeout: 10_000 }, (_err, stdout, stderr) => done(`${stdout}${stderr}`));
  });
}

export async function findNamespaceTools(): Promise<NamespaceTools | undefined> {
  const unshare = await findTool(DIRS.map((d) => `${d}/unshare`));
  const mount = await findTool(DIRS.map((d) => `${d}/mount`));
  const sh = await findTool(['/bin/sh']);
  if (unshare === undefined || mount === undefined || sh === undefined) return undefined;
  const help = await helpText(unshare);
  return NEEDED_FLAGS.every((f) => help.includes(f)) ? { unshare, sh, mount } : undefined;
}
