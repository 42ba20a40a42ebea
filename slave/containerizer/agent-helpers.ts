/**
 * The agent's own helper processes that carry a task's environment (a COMMAND health check's
 * probe, slave/health/command-probe.ts): children the agent spawned through libuv, in a session
 * of their own, with the task's `MESOS_SANDBOX`. The containerizer would otherwise take one for
 * an orphan of that task re-parented to the agent (its marker rule) and reap its zombie, and
 * libuv, which reaps only through its own `waitpid`, would then never report its exit.
 *
 * Invariant: a pid is here from its spawn until libuv reported its exit.
 */
const helpers = new Set<number>();

/** Registers a helper just spawned; returns the call that forgets it (on its exit or error). */
export function registerAgentHelper(pid: number | undefined): () => void {
  if (pid === undefined) return () => undefined;
  helpers.add(pid);
  return () => {
    helpers.delete(pid);
  };
}

export function isAgentHelper(pid: number): boolean {
  return helpers.has(pid);
}
