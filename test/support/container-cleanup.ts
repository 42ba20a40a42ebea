/**
 * Teardown of what an agent's containers hold on the host, for tests that kill their agent: the
 * containers' processes and runc state (`runc --root <work_dir>/runc`), the overlay mounts under the
 * work dir, and the bridge's namespaces, veths, NAT rules and the bridge itself. Tasks outlive the
 * agent by design (DESIGN.md §5), so a test must remove them itself, also on failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { bridgeNames } from '../../slave/containerizer/create-image-support.ts';
import { createBridgeNetwork } from '../../slave/network/bridge-network.ts';
import { BRIDGE_OWNER_DIR } from '../../slave/network/bridge-owner.ts';

/** Container ids runc knows under the agent's runc root. */
export function runcContainers(workDir: string): string[] {
  const root = join(workDir, 'runc');
  if (!existsSync(root)) return [];
  const r = spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '') : [];
}

/** Mount points at or under `dir` (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p): p is string => p !== undefined && (p === dir || p.startsWith(`${dir}/`)));
}

export async function cleanupContainers(workDir: string, bridge?: { name: string; subnet: string }): Promise<void> {
  const root = join(workDir, 'runc');
  for (const id of runcContainers(workDir)) spawnSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
  for (const m of mountsUnder(workDir).sort((a, b) => b.length - a.length)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
  if (bridge !== undefined) {
    const net = createBridgeNetwork({ bridge: bridge.name, subnet: bridge.subnet, stateDir: join(workDir, 'network'), ...bridgeNames(bridge.name) });
    await net.recover(new Set());
    await net.removeHostSetup();
    // The claim of an agent killed with SIGKILL (its exit hook never ran).
    rmSync(join(BRIDGE_OWNER_DIR, `bridge-${bridge.name}.owner`), { force: true });
  }
}

/** NAT rules whose comment names one of the agent's containers (`maestro:<id>`) in the bridge's chain. */
export function natRulesOf(bridgeName: string): string[] {
  const { chain } = bridgeNames(bridgeName);
  const saved = execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' });
  return saved.split('\n').filter((l) => l.startsWith(`-A ${chain} `) && l.includes('maestro:'));
}

/** Network namespaces of the bridge's containers. */
export function netnsOf(bridgeName: string): string[] {
  const { netnsPrefix } = bridgeNames(bridgeName);
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => n.startsWith(netnsPrefix));
}

/**
 * runc makes a container's cgroup in every hierarchy (v1: devices, blkio, pids, ... besides the
 * isolators' own), and `runc delete` removes the container's cgroup but not the parent, the
 * agent's `--cgroups_root`. This removes `<hierarchy>/<root>` everywhere it exists, with any empty
 * cgroups under it (deepest first); a cgroup that still has processes is left and named.
 */
export function removeCgroupRoot(root: string): string[] {
  const left: string[] = [];
  const base = '/sys/fs/cgroup';
  for (const h of readdirSync(base)) {
    const dir = join(base, h, root);
    if (!existsSync(dir)) continue;
    const dirs = spawnSync('find', [dir, '-depth', '-type', 'd'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l !== '');
    for (const d of dirs) {
      try {
        rmdirSync(d);
      } catch {
        left.push(d);
      }
    }
  }
  return left;
}
