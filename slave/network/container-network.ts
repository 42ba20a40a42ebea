/**
 * The seam between the agent (containers of type DOCKER or MESOS with NetworkInfo, launched by
 * slave/containerizer/oci) and container networking (this folder).
 *
 * - host networking: the container shares the host's network namespace; nothing to do here.
 * - BRIDGE (Docker's and Marathon's BRIDGE mode): a network namespace per container, a veth pair
 *   whose host end is on the agent's bridge, an address from the bridge's subnet, a default route
 *   through the bridge, and NAT from each offered host port to the container port (tcp or udp),
 *   for traffic from other hosts and from this host (loopback included).
 *
 * Invariants: `attach` either returns a working namespace or leaves nothing behind; `detach` and
 * `recover` are idempotent and remove every namespace, veth, address lease and NAT rule of a
 * container that is not running; state that must survive an agent restart (leases, the rules of
 * each container) lives under the agent's work dir, written atomically.
 */
import type { ContainerId } from '../containerizer.ts';

export interface PortMapping {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

export interface AttachedNetwork {
  /** Path of the container's network namespace (e.g. `/run/netns/maestro-<id>`): the OCI config's network namespace. */
  readonly netnsPath: string;
  /** The container's address on the bridge. */
  readonly ip: string;
  readonly gateway: string;
}

export type AttachResult = ({ readonly ok: true } & AttachedNetwork) | { readonly ok: false; readonly message: string };

export interface ContainerNetwork {
  attach(containerId: ContainerId, portMappings: readonly PortMapping[]): Promise<AttachResult>;
  /** Removes the container's namespace, veth, NAT rules and address lease. Idempotent. */
  detach(containerId: ContainerId): Promise<void>;
  /** After an agent restart: keeps the containers in `running`, removes everything of any other. Returns the ids removed. */
  recover(running: ReadonlySet<ContainerId>): Promise<readonly ContainerId[]>;
  /** Which containers are attached now (from the state on disk). */
  attached(): Promise<ReadonlyMap<ContainerId, AttachedNetwork>>;
}
