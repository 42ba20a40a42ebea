# maestro task supervisor: one per container, run by the POSIX containerizer as
#   /bin/sh supervisor.sh RUN_DIR SANDBOX MV KEEP_PWD -- ARGV...
# in its own session (the containerizer spawns it detached), with the task's environment, in the
# task's working directory. It is deliberately not Node: it must outlive the agent and cost little.
#
# Protocol (slave/containerizer/README.md has the whole story):
#   1. starts ARGV in the background, stdin from /dev/null, stdout and stderr appended to
#      SANDBOX/stdout and SANDBOX/stderr (files, never pipes to the agent, which may die);
#   2. writes "SUPERVISOR_PID TASK_PID" to RUN_DIR/pids (tmp + rename), then prints the task pid
#      on its own stdout (the launch handshake) and lets go of that pipe;
#   3. waits for the task and writes "exited N" or "signaled N" to RUN_DIR/exit_status
#      (tmp + rename), then exits 0.
# `wait` reports 128+n both for a task killed by signal n and for one that called exit(128+n).
# dash keeps the finished job in its job table after `wait`: `jobs -l` then shows "Done" or
# "Done(N)" for an exit and the signal's description ("Killed", "Terminated", ...) for a signal,
# which settles it. A shell whose `jobs` has forgotten the job falls back to "signaled".
# The supervisor ignores the catchable signals of a kill (the containerizer signals the task's
# processes, never the supervisor); the task gets every signal back to its default through
# `env --default-signal` (ARGV starts with it), as an asynchronous list would otherwise inherit
# SIGINT and SIGQUIT ignored.
# Variables are prefixed _maestro_sv_ so that they cannot collide with the task's environment.
trap '' HUP INT QUIT TERM PIPE
_maestro_sv_run=$1
_maestro_sv_sandbox=$2
_maestro_sv_mv=$3
_maestro_sv_keep_pwd=$4
shift 5
[ "$_maestro_sv_keep_pwd" = 1 ] || unset PWD
"$@" </dev/null >>"$_maestro_sv_sandbox/stdout" 2>>"$_maestro_sv_sandbox/stderr" &
_maestro_sv_task=$!
printf '%s %s\n' "$$" "$_maestro_sv_task" >"$_maestro_sv_run/pids.tmp"
"$_maestro_sv_mv" -f "$_maestro_sv_run/pids.tmp" "$_maestro_sv_run/pids"
printf '%s\n' "$_maestro_sv_task"
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
printf '%s %s\n' "$_maestro_sv_kind" "$_maestro_sv_status" >"$_maestro_sv_run/exit_status.tmp"
"$_maestro_sv_mv" -f "$_maestro_sv_run/exit_status.tmp" "$_maestro_sv_run/exit_status"
