/**
 * Pure text of the launch path (launcher.sh, supervisor.sh):
 *   - `shellQuote`: a word that /bin/sh reads back as exactly the given string (single quotes;
 *     every byte but NUL survives, newlines and quotes included);
 *   - `taskScript`: RUN_DIR/task.sh, which the supervisor sources to learn the task's working
 *     directory, sandbox and command line. The environment is passed through `env -i`, so the
 *     task sees exactly the given variables whatever the launcher's own environment; with cgroups
 *     isolation the function first moves the task's subshell into its cgroups (`join`);
 *   - `encodeRequest` / `parseReply`: one line to the launcher, one line back from a supervisor.
 * Invariant: a request is one line whatever the run directory's name (backslash and newline are
 * written as printf %b octal escapes, which launcher.sh decodes).
 */

export const TASK_SCRIPT = 'task.sh';
/**
 * The run directory's claim: the supervisor's log (its stderr), which the launcher creates with
 * noclobber (O_EXCL) before it starts the supervisor, so a run directory is started once. One file
 * for both: every file a task makes costs an inode allocation.
 */
export const CLAIM_FILE = 'supervisor.log';
/** The claim of supervisors started by agents before 2026-11-23 (removed at cleanup when there). */
export const LEGACY_CLAIM_FILE = 'claim';

export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

export interface TaskScriptInput {
  readonly workingDirectory: string;
  readonly sandbox: string;
  readonly environment: Readonly<Record<string, string>>;
  /** `env` (absolute), then its prefix arguments are added here; `argv` is what env runs. */
  readonly envTool: string;
  /** Switches user before the command (setpriv ...), or empty. */
  readonly asUser: readonly string[];
  readonly argv: readonly string[];
  /**
   * Shell commands run first inside `_maestro_sv_exec`, by the subshell that becomes the task,
   * before its `exec`: the cgroups join (slave/isolators/cgroups/join.ts). Absent under posix
   * isolation, and then the script is exactly as without isolators.
   */
  readonly join?: string;
  /**
   * Words exec'd before `env -i ...`, which they run in turn: `unshare ... /bin/sh -c SCRIPT` of
   * namespaces/pid and filesystem/linux (slave/isolators/namespaces). Absent or empty: none.
   */
  readonly prefix?: readonly string[];
}

export function taskScript(input: TaskScriptInput): string {
  const env = Object.entries(input.environment).map(([k, v]) => `${k}=${v}`);
  const words = [...(input.prefix ?? []), input.envTool, '-i', '--default-signal', ...env, ...input.asUser, ...input.argv].map(shellQuote);
  return [
    `_maestro_sv_cwd=${shellQuote(input.workingDirectory)}`,
    `_maestro_sv_sandbox=${shellQuote(input.sandbox)}`,
    `_maestro_sv_exec() { ${input.join !== undefined && input.join !== '' ? `${input.join}; ` : ''}exec ${words.join(' ')}; }`,
    '',
  ].join('\n');
}

/** "SEQ RUN_DIR\n", RUN_DIR with `\` as `\0134` and newline as `\0012`. */
export function encodeRequest(seq: number, runDir: string): string {
  return `${seq} ${runDir.replaceAll('\\', '\\0134').replaceAll('\n', '\\0012')}\n`;
}

export type Reply =
  | { readonly seq: number; readonly ok: true; readonly supervisorPid: number; readonly taskPid: number }
  | { readonly seq: number; readonly ok: false };

/** "SEQ SUP_PID TASK_PID" or "SEQ fail"; undefined for anything else. */
export function parseReply(line: string): Reply | undefined {
  const ok = /^(\d+) (\d+) (\d+)$/.exec(line);
  if (ok !== null) return { seq: Number(ok[1]), ok: true, supervisorPid: Number(ok[2]), taskPid: Number(ok[3]) };
  const fail = /^(\d+) fail$/.exec(line);
  return fail === null ? undefined : { seq: Number(fail[1]), ok: false };
}
