/**
 * COMMAND probe: runs a CommandInfo the way the task runs (Mesos semantics: `shell` (the default)
 * runs `value` with `/bin/sh -c`; otherwise `value` is executed with `arguments` as argv, argv[0]
 * included), in the task's sandbox, with the task's environment overlaid by the command's own
 * variables, as the task's user (as the POSIX containerizer runs the task: setpriv with the
 * user's groups). Output is discarded. The process leads its own process group;
 * when the probe is aborted (timeout, stop) the whole tree is killed with SIGKILL and the
 * descendants the agent inherits as child subreaper are reaped.
 *
 * Settles once with how the process ended, or `error` when it could not start (no such
 * executable, unknown user, sandbox missing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { registerAgentHelper } from '../containerizer/agent-helpers.ts';
import { lookupUser } from '../containerizer/launch-check.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { killTree, reapOrphans } from './kill-tree.ts';
import type { Probe } from './probe-loop.ts';
import type { Observation } from './probe-result.ts';

export interface CommandProbeContext {
  readonly sandbox: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly user?: string;
  /** The words that run a command inside the task's container (`runc exec ...`); absent: on the host. */
  readonly inContainer?: readonly string[];
}

/** How a probe becomes another user: as the task does (setpriv with the user's groups), or Node's uid/gid (no supplementary groups) without setpriv. */
type SwitchUser = { readonly setpriv: string; readonly uid: number; readonly gid: number } | { readonly setpriv?: undefined; readonly uid: number; readonly gid: number };

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** The task's environment with the command's VALUE variables on top (secrets are not resolved here). */
export function probeEnvironment(base: Readonly<Record<string, string>>, command: mesos.v1.CommandInfo): Record<string, string> {
  const env: Record<string, string> = { ...base };
  for (const variable of command.environment?.variables ?? []) {
    if ((variable.type ?? 'VALUE') === 'VALUE' && variable.value !== undefined) env[variable.name] = variable.value;
  }
  return env;
}

/** Between looks for killed descendants to reap (an adapter's own wait, not the check's schedule). */
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 20).unref());

/**
 * In a container: `<exec words> [--env K=V ...] -- argv` (runc's exec), the container's own user,
 * environment and working directory, plus the check command's variables; the command resolves in
 * the container's root filesystem.
 */
export function containerCommandLine(words: readonly string[], command: mesos.v1.CommandInfo): { file: string; argv0: string; args: string[] } {
  const value = command.value ?? '';
  const shell = command.shell ?? true;
  const argv = shell ? ['/bin/sh', '-c', value] : [value, ...(command.arguments ?? []).slice(1)];
  const env = (command.environment?.variables ?? []).flatMap((v) => ((v.type ?? 'VALUE') === 'VALUE' && v.value !== undefined ? ['--env', `${v.name}=${v.value}`] : []));
  const exec = [...words];
  const id = exec.pop()!;
  return { file: exec[0]!, argv0: exec[0]!, args: [...exec.slice(1), ...env, id, ...argv] };
}

export function createCommandProbe(command: mesos.v1.CommandInfo, ctx: CommandProbeContext): Probe {
  return async (signal) => {
    if (ctx.inContainer !== undefined) return runCommand(command, ctx, undefined, signal, containerCommandLine(ctx.inContainer, command));
    const user = command.user ?? ctx.user;
    let switchTo: SwitchUser | undefined;
    if (user !== undefined) {
      const found = await lookupUser(user);
      if (found === undefined) return { kind: 'error', message: `Failed to create subprocess: no such user '${user}'` };
      if (found.uid !== process.getuid?.() || found.gid !== process.getgid?.()) switchTo = { setpriv: SETPRIV, uid: found.uid, gid: found.gid };
    }
    if (signal.aborted) return { kind: 'error', message: 'aborted' };
    return runCommand(command, ctx, switchTo, signal);
  };
}

/** File, argv[0] and arguments to spawn: the command itself, or setpriv running it as the user (setpriv's exec takes the file as argv[0]). */
export function commandLine(command: mesos.v1.CommandInfo, switchTo: SwitchUser | undefined): { file: string; argv0: string; args: string[] } {
  const value = command.value ?? '';
  const shell = command.shell ?? true;
  const argv = command.arguments ?? [];
  const file = shell ? '/bin/sh' : value;
  const args = shell ? ['-c', value] : argv.slice(1);
  if (switchTo?.setpriv === undefined) return { file, argv0: shell ? 'sh' : (argv[0] ?? value), args };
  return { file: switchTo.setpriv, argv0: 'setpriv', args: [`--reuid=${switchTo.uid}`, `--regid=${switchTo.gid}`, '--init-groups', '--', file, ...args] };
}

function runCommand(
  command: mesos.v1.CommandInfo, ctx: CommandProbeContext, switchTo: SwitchUser | undefined, signal: AbortSignal,
  line = commandLine(command, switchTo),
): Promise<Observation> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(line.file, line.args, {
        argv0: line.argv0,
        cwd: ctx.sandbox,
        env: probeEnvironment(ctx.environment, command),
        stdio: 'ignore',
        detached: true,
        ...(switchTo !== undefined && switchTo.setpriv === undefined ? { uid: switchTo.uid, gid: switchTo.gid } : {}),
      });
    } catch (error) {
      resolve({ kind: 'error', message: `Failed to create subprocess: ${(error as Error).message}` });
      return;
    }
    // The containerizer must not take it for an orphan of the task (it carries the task's MESOS_SANDBOX) nor reap it: libuv does.
    const forget = registerAgentHelper(child.pid);
    const onAbort = () => {
      const pid = child.pid;
      if (pid === undefined) return;
      void killTree(pid, 'SIGKILL').then((killed) => reapOrphans(pid, killed, pause));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      forget();
      signal.removeEventListener('abort', onAbort);
      resolve({ kind: 'error', message: `Failed to create subprocess: ${error.message}` });
    });
    child.once('exit', (code, sig) => {
      forget();
      signal.removeEventListener('abort', onAbort);
      if (code !== null) resolve({ kind: 'exited', exitCode: code });
      else resolve({ kind: 'signaled', signal: sig ?? 'SIGKILL' });
    });
  });
}
