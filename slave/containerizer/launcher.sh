# maestro launcher: one long-lived tiny /bin/sh per agent, started by the POSIX containerizer as
#   /bin/sh launcher.sh SUPERVISOR
# with a pipe on stdin (requests from the agent) and a pipe on stdout (the supervisors' handshakes).
# It exists so that the agent forks a small shell instead of its own large Node heap per task.
#
# A request is one line "SEQ RUN_DIR": SEQ a decimal number, RUN_DIR the run directory with every
# backslash written \0134 and every newline \0012 (printf %b escapes), so that any path fits on a
# line. For each request it starts `supervisor.sh RUN_DIR SEQ` in a new session (setsid) from a
# subshell that exits at once, its stderr RUN_DIR/supervisor.log created under noclobber (O_EXCL:
# that file is the run directory's claim; when it exists already, nothing is started): the supervisor re-parents to the agent (a child subreaper), never
# waits on the launcher, and the launcher keeps no job table. The supervisor reads everything
# about the task from RUN_DIR (task.sh, written by the agent) and answers "SEQ SUPERVISOR_PID
# TASK_PID" or "SEQ fail" on the inherited stdout. A RUN_DIR that is not a directory is answered
# "SEQ fail" here.
#
# Invariant: the launcher supervises nothing. If it dies, the agent starts another one; tasks,
# exit codes and supervisors do not depend on it. It ends when its stdin closes (the agent went).
trap '' HUP INT QUIT PIPE
set -C
_maestro_ln_supervisor=$1
while IFS= read -r _maestro_ln_line; do
  _maestro_ln_seq=${_maestro_ln_line%% *}
  _maestro_ln_dir=${_maestro_ln_line#* }
  case $_maestro_ln_dir in
    *\\*) _maestro_ln_dir=$(printf '%bx' "$_maestro_ln_dir"); _maestro_ln_dir=${_maestro_ln_dir%x} ;;
  esac
  if [ -d "$_maestro_ln_dir" ]; then
    ( setsid /bin/sh "$_maestro_ln_supervisor" "$_maestro_ln_dir" "$_maestro_ln_seq" </dev/null 2>"$_maestro_ln_dir/supervisor.log" & )
  else
    printf '%s fail\n' "$_maestro_ln_seq"
  fi
done
