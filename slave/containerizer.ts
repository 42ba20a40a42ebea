/**
 * The seam between the agent core (slave/agent.ts: tasks, status updates, kill policy, recovery)
 * and whatever runs a task's processes. Today that is the POSIX containerizer
 * (slave/containerizer/posix-containerizer.ts): each task runs under a tiny `sh` supervisor that
 * is not the agent, so a task outlives an agent crash and its exit status is written to a file
 * (DESIGN.md §5), optionally under the cgroups isolators and namespaces (slave/isolators,
 * `--isolation`), and tasks with an image run by an OCI runtime (runc) under the same supervisor.
 *
 * Invariants: `launch` returns only once the task's process exists (or with a failure value, never
 * a throw for an expected failure such as a missing command or an unknown user); `wait` resolves
 * exactly once per container with how it ended; `kill` signals every process of the container
 * (the whole tree); `cleanup` is idempotent; `recover` after an agent restart reports each known
 * container as still running or with its real termination. A container an isolator limited (an
 * OOM kill) ends `limited`, whatever its process's own exit said.
 */
import type { Brand } from '../common/ids.ts';
import type { Resources } from '../common/resources/resources.ts';
import type { mesos } from '../proto/types.generated.ts';

export type ContainerId = Brand<string, 'ContainerId'>;
export const asContainerId = (s: string): ContainerId => s as ContainerId;

export interface LaunchSpec {
  readonly containerId: ContainerId;
  /** Absolute sandbox directory (exists). The task's stdout and stderr go to `<sandbox>/stdout` and `<sandbox>/stderr`, appended. */
  readonly sandbox: string;
  /** Absolute directory for this container's runtime checkpoints (pid, exit status); from slave/paths.ts; exists. */
  readonly runDir: string;
  /** Mesos CommandInfo semantics: shell = run `value` with `/bin/sh -c`; otherwise exec `value` with `arguments` (argv[0] included). */
  readonly command: { readonly shell: boolean; readonly value: string; readonly arguments: readonly string[] };
  /** The complete environment of the task (the core has merged CommandInfo.environment and the MESOS_* variables). */
  readonly environment: Readonly<Record<string, string>>;
  /** Run as this user (CommandInfo.user, or FrameworkInfo.user); undefined = the agent's user. */
  readonly user?: string;
  /** Working directory; the sandbox when absent. */
  readonly workingDirectory?: string;
  readonly resources: Resources;
  /** For the isolation milestone (images, volumes); the POSIX containerizer refuses images. */
  readonly container?: mesos.v1.ContainerInfo;
}

export type Termination =
  | { readonly kind: 'exited'; readonly exitCode: number; readonly message: string }
  | { readonly kind: 'signaled'; readonly signal: number; readonly message: string }
  /** The process never ran (missing command, unknown user, bad working directory...). */
  | { readonly kind: 'launch-failed'; readonly message: string }
  /** Ended while nobody could observe it and left no exit record. */
  | { readonly kind: 'unknown'; readonly message: string }
  /**
   * An isolator's limit ended it (an OOM kill under cgroups/mem): the whole container was killed.
   * Wins over how the task's process itself ended (the kernel's SIGKILL, a shell's 137).
   */
  | {
      readonly kind: 'limited';
      /** e.g. REASON_CONTAINER_LIMITATION_MEMORY. */
      readonly reason: mesos.v1.TaskStatus.Reason;
      /** The limit and the peak, then details (slave/isolators). */
      readonly message: string;
      /** The resources whose limit was hit (TaskStatus.limitation.resources), e.g. mem:32. */
      readonly resources: readonly mesos.v1.Resource[];
    };

export type LaunchResult =
  | {
      readonly ok: true;
      readonly pid: number;
      /** The container's own networks (BRIDGE: its address), for TaskStatus.container_status.network_infos; absent on the host network. */
      readonly networkInfos?: readonly mesos.v1.NetworkInfo[];
    }
  | { readonly ok: false; readonly message: string };

export interface RecoverableContainer {
  readonly containerId: ContainerId;
  readonly runDir: string;
  readonly sandbox: string;
}

export interface Containerizer {
  launch(spec: LaunchSpec): Promise<LaunchResult>;
  /** Resolves once, when the container's task process has ended (also for recovered containers). */
  wait(containerId: ContainerId): Promise<Termination>;
  /** Signals every process of the container. A container that already ended is a no-op. */
  kill(containerId: ContainerId, signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** After an agent restart: which of these containers still run (and are watched again), and how the others ended. */
  recover(containers: readonly RecoverableContainer[]): Promise<Map<ContainerId, 'running' | Termination>>;
  /**
   * The container's resources changed (a task joined or left a custom executor's container, as
   * Mesos' `Containerizer::update`): the isolators apply the new limits. A container that is not
   * running is a no-op.
   */
  update(containerId: ContainerId, resources: Resources): Promise<void>;
  /**
   * The words that run a command inside the container (its root filesystem, namespaces and
   * cgroups; a COMMAND check of a task with an image runs there, as Mesos runs it in the task's
   * container), the command's argv to follow; undefined for a container on the host's filesystem.
   */
  execIn?(containerId: ContainerId): readonly string[] | undefined;
  /** The networks of a running container (what its launch returned), also after a recovery. */
  networkInfos?(containerId: ContainerId): readonly mesos.v1.NetworkInfo[] | undefined;
  /** Resource usage of a running container (Mesos ResourceStatistics; POSIX: from /proc). */
  usage(containerId: ContainerId): Promise<mesos.v1.ResourceStatistics | undefined>;
  /** Releases what the container holds (watchers, runtime files). Idempotent; after `wait` resolved. */
  cleanup(containerId: ContainerId): Promise<void>;
}
