/**
 * How a task's process joins its container's cgroups before it execs the task: the shell text
 * the supervisor path runs in the subshell that becomes the task (slave/containerizer's
 * `task.sh`, function `_maestro_sv_exec`, just before its `exec env -i ...`).
 *
 * Writing `0` to a `cgroup.procs` file moves the writing process itself (v1 and v2), and dash's
 * `echo` is a builtin, so the subshell moves itself, then execs the task: every process the task
 * starts is born inside the cgroup, and the supervisor stays outside it (a cgroup kill or an OOM
 * never takes the process that must write `exit_status`). If a write fails the task is not run
 * unisolated: the subshell prints why on stderr (the sandbox's stderr) and exits with
 * `JOIN_FAILED_EXIT` (125, as `env` reports its own failures). Pure.
 */

export const JOIN_FAILED_EXIT = 125;

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Shell commands (one line) that move the current shell process into every given `cgroup.procs` file. */
export function cgroupJoinScript(procsFiles: readonly string[]): string {
  return procsFiles
    .map((f) => `{ echo 0 >${quote(f)}; } 2>/dev/null || { echo "maestro: cannot join cgroup "${quote(f)} >&2; exit ${JOIN_FAILED_EXIT}; }`)
    .join('; ');
}
