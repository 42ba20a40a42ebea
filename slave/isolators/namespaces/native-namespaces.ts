/**
 * `namespaces/pid` and `filesystem/linux` for tasks without an image (the POSIX containerizer's
 * native tasks). Pure: turns what a task asks for into the words that wrap its command line in
 * task.sh, so that the supervisor's task process does, before it execs the task:
 *
 *   unshare --mount --propagation private [--pid --fork --mount-proc --kill-child] /bin/sh -c SCRIPT maestro-ns -- <env -i ... task argv>
 *
 * where SCRIPT (filesystem/linux) makes a private /tmp (`<sandbox>/tmp` bound on /tmp) and the
 * volumes as bind mounts (read-only or read-write as asked), then execs the rest of its arguments.
 * The new mount namespace dies with its last process: nothing to unmount after the task.
 *
 * Invariants: a volume is checked before anything runs (a failure value naming the volume, never a
 * half-mounted task); paths are shell-quoted (slave/containerizer/task-script.ts `shellQuote`).
 */
import type { mesos } from '../../../proto/types.generated.ts';

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
  /** Absolute paths of the tools: unshare(1) and /bin/sh. */
  readonly tools: { readonly unshare: string; readonly sh: string };
}

export type NativeWrap = { readonly ok: true; readonly prefix: readonly string[] } | { readonly ok: false; readonly message: string };
