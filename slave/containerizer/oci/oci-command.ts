/**
 * The argv of a container with an image: the task's CommandInfo combined with the image's
 * Entrypoint and Cmd, by Apache Mesos' rule for CommandInfo with a Docker image (its docker/runtime
 * isolator), which is Docker's rule (Entrypoint + Cmd) when the task names no command:
 *
 *   shell=true,  value set      → /bin/sh -c value            (Entrypoint and Cmd ignored)
 *   shell=true,  no value       → failure
 *   shell=false, value set      → value, arguments[1..]       (Entrypoint and Cmd ignored)
 *   shell=false, no value:
 *     Entrypoint set            → Entrypoint..., then arguments when there are any, else Cmd...
 *     only Cmd set              → Cmd[0], then arguments when there are any, else Cmd[1..]
 *     neither                   → failure
 *
 * `arguments` of a command with a value carries argv[0] (Mesos CommandInfo); as in the POSIX
 * containerizer it is not passed on: the runtime takes argv[0] from the executable it names.
 * Without a value (Marathon `args` with an image) every argument is appended.
 *
 * Pure.
 */
import type { LaunchSpec } from '../../containerizer.ts';
import type { ImageConfig } from '../../images/image-store.ts';

export type ArgsResult = { readonly ok: true; readonly args: readonly string[] } | { readonly ok: false; readonly message: string };

export function containerArgs(command: LaunchSpec['command'], image: Pick<ImageConfig, 'entrypoint' | 'cmd'>): ArgsResult {
  if (command.shell) {
    if (command.value === '') return { ok: false, message: 'Shell specified but no command value provided' };
    return { ok: true, args: ['/bin/sh', '-c', command.value] };
  }
  if (command.value !== '') return { ok: true, args: [command.value, ...command.arguments.slice(1)] };
  const entrypoint = image.entrypoint ?? [];
  const cmd = image.cmd ?? [];
  const userArgs = command.arguments;
  if (entrypoint.length > 0) return { ok: true, args: [...entrypoint, ...(userArgs.length > 0 ? userArgs : cmd)] };
  if (cmd.length > 0) return { ok: true, args: [cmd[0], ...(userArgs.length > 0 ? userArgs : cmd.slice(1))] };
  return { ok: false, message: 'No command: the task gives none and the image has neither Entrypoint nor Cmd' };
}
