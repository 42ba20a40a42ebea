/**
 * The seam between the POSIX containerizer (slave/containerizer/posix-containerizer.ts) and an OCI
 * runtime (runc here; crun where the host allows) for containers with an image.
 *
 * The task still runs under the POSIX containerizer's supervisor (supervisor.sh): the supervisor's
 * task process execs the words `prepare` returns, `runc run --keep` in the foreground, so the
 * supervisor records the container's exit as for any task, the container outlives an agent
 * restart, and its state (and cgroups) stay until `cleanup` runs `runc delete`. runc places the
 * container's init into `cgroupsPath`, the container's cgroup that the cgroups isolator created
 * (or, under posix isolation, one that runc creates and `runc delete` removes).
 *
 * `prepare` writes the bundle into `<runDir>/bundle` (config.json built from the image config and
 * the task, see oci-config.ts) and mounts its rootfs (overlay: the image's rootfs as the lower
 * dir, upper and work dirs in the run dir). It returns a failure value, with nothing left behind,
 * for what can be known before the start (a command not found in the image, an unknown user, a
 * bad volume).
 *
 * Invariants: `cleanup` and `recover` are idempotent; after `cleanup` no mount, runc state or
 * bundle of the container is left; `recover` deletes every runc container (and unmounts every
 * rootfs) under the agent's runc root that is not in `running`.
 */
import type { ContainerId, LaunchSpec } from '../../containerizer.ts';
import type { ResolvedImage } from '../../images/image-store.ts';

export interface OciLaunchInput {
  readonly spec: LaunchSpec;
  readonly image: ResolvedImage;
  /** The container's cgroup path for runc's `linux.cgroupsPath` (e.g. `/maestro/<container id>`). */
  readonly cgroupsPath: string;
  /** Host networking, or the namespace that slave/network attached for BRIDGE. */
  readonly network: { readonly kind: 'host' } | { readonly kind: 'namespace'; readonly netnsPath: string };
}

export type OciPrepared =
  | {
      readonly ok: true;
      /** What the supervisor's task process execs (absolute runtime path first), e.g. `runc --root R run --keep --bundle B ID`. */
      readonly exec: readonly string[];
      /** Written by the runtime with the container init's host pid once the container exists (runc `--pid-file`). */
      readonly pidFile: string;
    }
  | { readonly ok: false; readonly message: string };

export interface OciRuntime {
  prepare(input: OciLaunchInput): Promise<OciPrepared>;
  /** `runc delete --force`, unmount the rootfs, remove the bundle. Idempotent. */
  cleanup(containerId: ContainerId, runDir: string): Promise<void>;
  /** After an agent restart: deletes every container of the runtime root not in `running`. Returns the ids removed. */
  recover(running: ReadonlySet<ContainerId>): Promise<readonly ContainerId[]>;
  /** The words that run a command inside a running container (`runc --root R exec ID`), the command's argv to follow. */
  execWords?(containerId: ContainerId): readonly string[];
}
