/**
 * Containers with images on this agent, from its flags: the local image store
 * (`--docker_store_dir`, `--docker_registry`, `--docker_config`), the OCI runtime
 * (`--oci_runtime`, its state under `<work_dir>/runc`) and the bridge for BRIDGE networking
 * (`--bridge_name`, `--bridge_subnet`, its state under `<work_dir>/network`).
 *
 * `--image_providers=''` turns images off; `docker` (maestro's default) turns them on when the
 * host can run them: root and an OCI runtime. When it cannot, the agent still starts (native tasks
 * run), says why loudly, and every task with an image fails with that reason. No bridge without
 * iptables: BRIDGE containers then fail with the reason, host-networked ones run.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { Logger } from '../../common/ports.ts';
import { createImageStore, defaultStoreDir } from '../images/local-image-store.ts';
import { claimBridge, type Claim } from '../network/bridge-owner.ts';
import { createBridgeNetwork } from '../network/bridge-network.ts';
import type { ContainerNetwork } from '../network/container-network.ts';
import type { ImageSupport } from './container-image.ts';
import { createOciRuntime } from './oci/runc-runtime.ts';

export interface ImageSupportFlags {
  readonly workDir: string;
  readonly imageProviders: string;
  readonly storeDir?: string;
  readonly registry: string;
  readonly dockerConfig?: string;
  readonly insecureRegistries?: readonly string[];
  readonly ociRuntime: string;
  readonly bridgeName: string;
  readonly bridgeSubnet: string;
  readonly cgroupsRoot: string;
  readonly allowedHostPaths?: readonly string[];
  readonly logger: Logger;
  readonly isRoot?: boolean;
}

export type ImageSupportResult =
  | { readonly ok: true; readonly support: ImageSupport | undefined; readonly unavailable?: string; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly flag: string; readonly message: string };

/**
 * The iptables chain and the network namespace prefix of a bridge, named after it: an agent's
 * recovery removes the namespaces and rules under its own names that it has no record of, so two
 * agents on one host (`maestro cluster up`) must have different bridges, and then never touch each
 * other's. A chain name has at most 28 characters.
 */
export function bridgeNames(bridge: string): { chain: string; netnsPrefix: string } {
  return { chain: `MAESTRO-${bridge}`.slice(0, 28), netnsPrefix: `${bridge}.` };
}

function onPath(tool: string): string | undefined {
  if (tool.includes('/')) return tool;
  try {
    return execFileSync('/bin/sh', ['-c', `command -v "$1"`, 'sh', tool], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function createImageSupport(flags: ImageSupportFlags): ImageSupportResult {
  const providers = flags.imageProviders.split(',').map((p) => p.trim().toLowerCase()).filter((p) => p !== '');
  for (const p of providers) {
    if (p !== 'docker') return { ok: false, flag: 'image_providers', message: `--image_providers: unknown image provider '${p}' (available: docker)` };
  }
  if (providers.length === 0) return { ok: true, support: undefined, unavailable: 'no image provider is enabled (--image_providers)', warnings: [] };
  const isRoot = flags.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) {
    const why = 'containers with images need root (the OCI runtime, overlay mounts, cgroups)';
    return { ok: true, support: undefined, unavailable: why, warnings: [`IMAGES DISABLED: ${why}; tasks with an image will fail`] };
  }
  const runtimePath = onPath(flags.ociRuntime);
  if (runtimePath === undefined) {
    const why = `the OCI runtime '${flags.ociRuntime}' was not found (install runc, or give --oci_runtime)`;
    return { ok: true, support: undefined, unavailable: why, warnings: [`IMAGES DISABLED: ${why}; tasks with an image will fail`] };
  }
  const store = createImageStore({
    storeDir: flags.storeDir ?? defaultStoreDir(flags.workDir),
    defaultRegistry: flags.registry,
    ...(flags.dockerConfig !== undefined ? { config: flags.dockerConfig } : {}),
    ...(flags.insecureRegistries !== undefined ? { insecureRegistries: flags.insecureRegistries } : {}),
    logger: flags.logger,
  });
  const runtime = createOciRuntime({ root: join(flags.workDir, 'runc'), runtime: runtimePath, logger: flags.logger });
  const warnings: string[] = [];
  let network: ImageSupport['network'];
  if (onPath('iptables') === undefined || onPath('ip') === undefined) {
    warnings.push('BRIDGE networking disabled: iptables or ip (iproute2) is missing; BRIDGE containers will fail');
  } else {
    try {
      const bridge = createBridgeNetwork({ bridge: flags.bridgeName, subnet: flags.bridgeSubnet, stateDir: join(flags.workDir, 'network'), logger: flags.logger, ...bridgeNames(flags.bridgeName) });
      network = ownedBridge(bridge, () => claimBridge(flags.bridgeName, flags.workDir), flags.logger);
    } catch (e) {
      return { ok: false, flag: 'bridge_subnet', message: `--bridge_name/--bridge_subnet: ${(e as Error).message}` };
    }
  }
  return {
    ok: true,
    support: { store, runtime, cgroupsRoot: flags.cgroupsRoot, ...(network !== undefined ? { network } : {}), ...(flags.allowedHostPaths !== undefined ? { allowedHostPaths: flags.allowedHostPaths } : {}) },
    warnings,
  };
}

/**
 * The bridge used only while this agent holds it (bridge-owner.ts): an attach claims it first
 * (another agent holding it fails the attach, naming it); a recovery that cannot claim it leaves
 * the bridge alone (it would remove the other agent's containers' networks), and one with nothing
 * of this agent's to recover does not claim it. A claim lasts until the agent exits.
 */
export function ownedBridge(net: ContainerNetwork, claim: () => Claim, logger: Logger): ContainerNetwork {
  let held = false;
  const take = (): Claim => {
    if (held) return { ok: true };
    const c = claim();
    held = c.ok;
    return c;
  };
  return {
    async attach(id, mappings) {
      const c = take();
      if (!c.ok) return { ok: false, message: c.message };
      return net.attach(id, mappings);
    },
    detach: (id) => net.detach(id),
    async recover(running) {
      // No record of this agent's on the bridge (its state is written before any kernel object): nothing to recover, and no claim (an agent that never used the bridge does not hold it; `running` names native containers too).
      if (!held && (await net.attached()).size === 0) return [];
      const c = take();
      if (!c.ok) {
        logger.warn({ reason: c.message }, 'bridge not recovered: another agent holds it');
        return [];
      }
      return net.recover(running);
    },
    attached: () => net.attached(),
  };
}
