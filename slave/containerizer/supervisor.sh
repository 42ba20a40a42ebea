# maestro task supervisor: one per container, started by the launcher (launcher.sh) as
#   /bin/sh supervisor.sh RUN_DIR SEQ
# in its own session (setsid), re-parented to the agent (a child subreaper). It is deliberately
# not Node: it must outlive the agent and cost little.
#
# Protocol (slave/containerizer/README.md has the whole story):
#   0. runs only if the launcher could create RUN_DIR/supervisor.log (its stderr) under noclobber
#      (O_EXCL): that file is the run directory's claim, so a request resent after a launcher
#      died never starts a second task; sources RUN_DIR/task.sh (written atomically
#      by the agent), which sets _maestro_sv_cwd, _maestro_sv_sandbox and the function
#      _maestro_sv_exec (exec env -i ENV --default-signal [setpriv ...] ARGV);
#   1. starts the task in the background in _maestro_sv_cwd, stdin from /dev/null, stdout and
#      stderr appended to SANDBOX/stdout and SANDBOX/stderr (files, never pipes to the agent);
#   2. writes "SUPERVISOR_PID TASK_PID" to RUN_DIR/pids (one write by the printf builtin into a
#      new file: a reader sees it empty or whole, as Linux extends a file's size only after the
#      data is in; no tmp + `mv`, a process per task less), then prints
#      "SEQ SUPERVISOR_PID TASK_PID" on its stdout (the launch handshake, a pipe to the agent) and
#      lets go of that pipe;
#   3. waits for the task and writes "exited N" or "signaled N" to RUN_DIR/exit_status
#      (a builtin's single write, read only once the supervisor is gone), then exits 0.
# `wait` reports 128+n both for a task killed by signal n and for one that called exit(128+n).
# dash keeps the finished job in its job table after `wait`: `jobs -l` then shows "Done" or
# "Done(N)" for an exit and the signal's description ("Killed", "Terminated", ...) for a signal,
# which settles it. A shell whose `jobs` has forgotten the job falls back to "signaled".
# The supervisor ignores the catchable signals of a kill (the containerizer signals the task's
# processes, never the supervisor); the task gets every signal back to its default through
# `env --default-signal`, as an asynchronous list would otherwise inherit SIGINT and SIGQUIT
# ignored.
# Variables are prefixed _maestro_sv_ so that they cannot collide with the task's environment.
trap '' HUP INT QUIT TERM PIPE
_maestro_sv_run=$1
_maestro_sv_seq=$2
if [ ! -r "$_maestro_sv_run/task.sh" ]; then
  printf 'no task.sh in the run directory\n' >&2
  printf '%s fail\n' "$_maestro_sv_seq"
  exit 1
fi
. "$_maestro_sv_run/task.sh"
( cd "$_maestro_sv_cwd" && _maestro_sv_exec ) </dev/null >>"$_maestro_sv_sandbox/stdout" 2>>"$_maestro_sv_sandbox/stderr" &
_maestro_sv_task=$!
printf '%s %s\n' "$$" "$_maestro_sv_task" >"$_maestro_sv_run/pids"
printf '%s %s %s\n' "$_maestro_sv_seq" "$$" "$_maestro_sv_task"
exec >/dev/null
wait "$_maestro_sv_task"
_maestro_sv_status=$?
_maestro_sv_kind=exited
if [ "$_maestro_sv_status" -gt 128 ]; then
  jobs -l >"$_maestro_sv_run/jobs"
  _maestro_sv_job=
  read -r _maestro_sv_job <"$_maestro_sv_run/jobs"
  case "$_maestro_sv_job" in
    *Done*) ;;
    *) _maestro_sv_kind=signaled; _maestro_sv_status=$((_maestro_sv_status - 128)) ;;
  esac
fi
# Written directly by the printf builtin, no `mv`: after the task ended, a kill sweep of the
# container (whose members include the supervisor's children) could kill an external helper
# mid-way. The agent reads exit_status only once the supervisor is gone, so the one small write
# is complete by then.
printf '%s %s\n' "$_maestro_sv_kind" "$_maestro_sv_status" >"$_maestro_sv_run/exit_status"
