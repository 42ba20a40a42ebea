/**
 * `namespaces/pid` and `filesystem/linux` for tasks without an image (the POSIX containerizer's
 * native tasks). Pure: turns what a task asks for into the words that wrap its command line in
 * task.sh (`TaskScriptInput.prefix`, placed before `env -i ...`), so that the supervisor's task
 * process does, before it execs the task:
 *
 *   filesystem/linux (with or without pid):
 *     unshare --mount --propagation private [--pid --fork --mount-proc --kill-child] -- /bin/sh -c SCRIPT maestro-ns <env -i ... task argv>
 *   namespaces/pid alone (nothing to mount, so no shell):
 *     unshare --mount --propagation private --pid --fork --mount-proc --kill-child -- <env -i ... task argv>
 *
 * where SCRIPT makes `<sandbox>/tmp` (mode 1777), the volumes as bind mounts (volume-plan.ts;
 * RW: `--rbind`; RO: a plain `--bind`, so that no writable submount comes along, then
 * `remount,bind,ro`), binds `<sandbox>/tmp` on /tmp (recursively; after the volumes, so that a host
 * path under the host's /tmp is still found), then `exec "$@"`. With `allowedHostPaths` each host
 * path is also checked with its symlinks resolved (`readlink -f`): it must stay under an allowed
 * path or the sandbox. A host path, or an absolute container path, that does not exist, a host
 * path that resolves elsewhere, or a mount that fails, ends the task before it runs: `maestro: ...`
 * on stderr and exit `NAMESPACE_SETUP_FAILED_EXIT` (125, as the cgroups join and `env` report
 * their own failures). The new mount namespace dies with its last process: nothing to unmount
 * after the task.
 *
 * Under namespaces/pid the task is pid 1 of its namespace with its own /proc; unshare stays in the
 * host's namespace as its parent (the supervisor's task pid), passes its exit status on and
 * re-raises a signal that killed it (except SIGKILL before util-linux 2.40: 2.38 exits 1 with
 * `unshare: sigprocmask unblock failed`, util-linux#2614; the containerizer's kill also kills
 * unshare, and an OOM kill is reported from the cgroup). Killing unshare with SIGKILL kills the
 * whole namespace (`--kill-child`: the child's parent-death signal; the kernel kills a pid
 * namespace with its pid 1).
 * unshare blocks SIGTERM and SIGINT while it waits and does not forward them; pid 1 only receives
 * a signal it has a handler for (SIGKILL excepted), so a SIGTERM reaches a task that traps it and
 * a kill must end in SIGKILL (the containerizer's does).
 *
 * Invariants: a volume is checked before anything runs (a failure value naming the volume, never a
 * half-mounted task); paths are shell-quoted (slave/containerizer/task-script.ts `shellQuote`);
 * with neither option the prefix is empty and task.sh is unchanged. The sandbox must not be under
 * /tmp under filesystem/linux (the private /tmp would hide it from the task).
 */
import { posix } from 'node:path';
import type { mesos } from '../../../proto/types.generated.ts';
import { shellQuote } from '../../containerizer/task-script.ts';
import { isAtOrUnder, planVolumes, PRIVATE_TMP, type VolumeMount } from './volume-plan.ts';

export interface NativeNamespacesOptions {
  /** `namespaces/pid`: the task is pid 1 of its own pid namespace and sees only its own processes. */
  readonly pidNamespace: boolean;
  /** `filesystem/linux`: private /tmp and volumes as bind mounts. */
  readonly filesystemLinux: boolean;
}

export interface NativeNamespacesInput {
  readonly sandbox: string;
  /** ContainerInfo.volumes of the task (host paths, sandbox paths). */
  readonly volumes: readonly mesos.v1.Volume[];
  /** Host paths a volume may name (prefixes); undefined = any. */
  readonly allowedHostPaths?: readonly string[];
  /** Absolute paths of the tools: unshare(1) and /bin/sh; mount(8) (absent: `mount` from PATH). */
  readonly tools: { readonly unshare: string; readonly sh: string; readonly mount?: string };
}

export type NativeWrap = { readonly ok: true; readonly prefix: readonly string[] } | { readonly ok: false; readonly message: string };

/** The exit status of a task whose namespace setup failed (nothing of the task ran). */
export const NAMESPACE_SETUP_FAILED_EXIT = 125;

/** `$0` of the setup shell, as `ps` shows it. */
export const SETUP_SHELL_NAME = 'maestro-ns';

/** Which of the two isolators `--isolation` names. */
export function parseNamespacesIsolation(names: readonly string[]): NativeNamespacesOptions {
  return { pidNamespace: names.includes('namespaces/pid'), filesystemLinux: names.includes('filesystem/linux') };
}

export function nativeNamespacesWrap(options: NativeNamespacesOptions, input: NativeNamespacesInput): NativeWrap {
  if (!options.pidNamespace && !options.filesystemLinux) return { ok: true, prefix: [] };
  const unshare = [
    input.tools.unshare,
    '--mount',
    '--propagation',
    'private',
    ...(options.pidNamespace ? ['--pid', '--fork', '--mount-proc', '--kill-child'] : []),
    '--',
  ];
  if (!options.filesystemLinux) return { ok: true, prefix: unshare };

  if (!posix.isAbsolute(input.sandbox) || input.sandbox.includes('\0')) return { ok: false, message: `filesystem/linux: the sandbox '${input.sandbox}' is not an absolute path` };
  const sandbox = posix.normalize(input.sandbox).replace(/(.)\/$/, '$1');
  if (isAtOrUnder(PRIVATE_TMP, sandbox)) {
    return { ok: false, message: `filesystem/linux: the sandbox '${sandbox}' is under ${PRIVATE_TMP}, which the task's private ${PRIVATE_TMP} would hide (use a --work_dir outside ${PRIVATE_TMP})` };
  }
  const plan = planVolumes(sandbox, input.volumes, input.allowedHostPaths);
  if (!plan.ok) return plan;
  const allowed = input.allowedHostPaths?.map((a) => posix.normalize(a));
  // With a list of allowed host paths, symlinks must not lead out of them (or out of the sandbox).
  const realRoots = allowed === undefined || allowed.includes('/') ? undefined : [sandbox, ...allowed];
  const script = setupScript(sandbox, plan.mounts, input.tools.mount ?? 'mount', realRoots);
  return { ok: true, prefix: [...unshare, input.tools.sh, '-c', script, SETUP_SHELL_NAME] };
}

/** `{ print "maestro: MESSAGE" on stderr; exit 125; }` (printf: dash's echo would read backslashes). */
function die(message: string): string {
  return `{ printf '%s\\n' ${shellQuote(`maestro: ${message}`)} >&2; exit ${NAMESPACE_SETUP_FAILED_EXIT}; }`;
}

/**
 * `_maestro_under PATH ROOT...`: PATH, symlinks resolved, is at or under one of the ROOTs (their
 * symlinks resolved too; a ROOT that cannot be resolved matches nothing).
 */
const UNDER_FUNCTION =
  '_maestro_under() { _maestro_r=$(readlink -f -- "$1") || return 1; shift; for _maestro_a; do ' +
  '_maestro_a=$(readlink -f -- "$_maestro_a") && [ -n "$_maestro_a" ] || continue; ' +
  'case "$_maestro_r" in "$_maestro_a"|"$_maestro_a"/*) return 0;; esac; done; return 1; }';

function setupScript(sandbox: string, mounts: readonly VolumeMount[], mountTool: string, realRoots: readonly string[] | undefined): string {
  const q = shellQuote;
  const mount = `${q(mountTool)} -n`; // -n: nothing recorded in the host's utab for a namespace's mounts
  const tmp = q(`${sandbox}/tmp`);
  // Made first, bound last: a volume on the sandbox's `tmp` must not have its host source chmod'ed.
  const lines = [`mkdir -p ${tmp} && chmod 1777 ${tmp} || ${die(`cannot make the private ${PRIVATE_TMP} from '${sandbox}/tmp'`)}`];
  if (realRoots !== undefined && mounts.length > 0) lines.push(UNDER_FUNCTION);
  for (const m of mounts) {
    const [s, t] = [q(m.source), q(m.target)];
    lines.push(`[ -e ${s} ] || ${die(`volume ${m.index}: host path '${m.source}' does not exist`)}`);
    if (realRoots !== undefined) {
      lines.push(`_maestro_under ${s} ${realRoots.map(q).join(' ')} || ${die(`volume ${m.index}: host path '${m.source}' resolves (symlinks followed) outside the allowed host paths and the sandbox`)}`);
    }
    if (m.targetKind === 'existing') {
      lines.push(`[ -e ${t} ] || ${die(`volume ${m.index}: container path '${m.target}' does not exist`)}`);
    } else {
      // A directory for a directory, an empty file for anything else (a file, a device), as Mesos.
      lines.push(`if [ -d ${s} ]; then mkdir -p ${t}; else mkdir -p ${q(posix.dirname(m.target))} && { [ -e ${t} ] || : >${t}; }; fi || ${die(`volume ${m.index}: cannot create container path '${m.target}'`)}`);
    }
    const bind = m.readOnly ? `{ ${mount} --bind ${s} ${t} && ${mount} -o remount,bind,ro ${t}; }` : `${mount} --rbind ${s} ${t}`;
    lines.push(`${bind} || ${die(`volume ${m.index}: cannot mount '${m.source}' on '${m.target}'${m.readOnly ? ' read-only' : ''}`)}`);
  }
  lines.push(`${mount} --rbind ${tmp} ${PRIVATE_TMP} || ${die(`cannot make the private ${PRIVATE_TMP} from '${sandbox}/tmp'`)}`);
  lines.push('exec "$@"');
  return lines.join('\n');
}
