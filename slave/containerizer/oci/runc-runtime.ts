/**
 * `createOciRuntime`: the OciRuntime seam (oci-runtime.ts) over runc.
 *
 * prepare   1. checks, touching nothing: no runc state of that id yet, the argv (oci-command.ts),
 *              the volumes (oci-volumes.ts; absolute host paths exist), the user in the image's
 *              /etc/passwd and /etc/group (oci-user.ts), the executable inside the image with the
 *              sandbox and volumes over it (container-paths.ts). Any failure → a value, nothing
 *              left behind.
 *           2. writes the record `<root>/<runc id>.maestro.json` (container id, run dir) first, so
 *              `recover` can find whatever follows; then the bundle `<runDir>/bundle`: the rootfs
 *              (overlay over the image, rootfs-mount.ts), hosts/hostname/resolv.conf, config.json
 *              (oci-config.ts). A failure here undoes all of it.
 *           3. returns `runc --root R run --keep --no-new-keyring --pid-file B/init.pid --bundle B ID`:
 *              the supervisor runs it in the foreground, runc's exit is the container's; the pid
 *              file appears once the container's init exists.
 * cleanup   `runc delete --force` (a missing container is fine), unmount the rootfs, remove the
 *           bundle, the overlay dirs and the record. Idempotent; calls for one id are serialized.
 * recover   `runc list`: every container not in `running` is deleted; every record not in
 *           `running` has its rootfs unmounted and its bundle, overlay and record removed.
 *
 * The records are files at the top of the runc root, not a directory: `runc list` reads every
 * directory there as a container and complains about any that is not one. A sandbox is chowned to
 * the container's user when that is not root, so the task can write where it runs (Mesos does
 * the same for the task user).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { chown, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../common/ports.ts';
import { silentLogger } from '../../../common/ports.ts';
import { asContainerId, type ContainerId } from '../../containerizer.ts';
import { DEFAULT_PATH } from '../../task-environment.ts';
import { findContainerExecutable, readContainerFile, type ContainerView } from './container-paths.ts';
import { containerArgs } from './oci-command.ts';
import { buildOciConfig, containerCwd, containerEnvironment, hostsFile } from './oci-config.ts';
import type { OciLaunchInput, OciPrepared, OciRuntime } from './oci-runtime.ts';
import { resolveContainerUser } from './oci-user.ts';
import { planVolumes, SANDBOX_MOUNT } from './oci-volumes.ts';
import { mountRootfs, unmountAll } from './rootfs-mount.ts';
import { runcContainerId } from './runc-id.ts';

export interface OciRuntimeOptions {
  /** Path of runc; found on PATH (then /usr/sbin, /usr/bin) when absent. */
  readonly runtime?: string;
  /** runc's `--root`, e.g. `<work_dir>/runc`: the state of this agent's containers only. */
  readonly root: string;
  readonly logger?: Logger;
  /**
   * The PATH the agent gives a task whose CommandInfo sets none (slave/task-environment.ts; the
   * agent's own PATH when absent): in a task's environment it does not replace the image's PATH.
   */
  readonly agentPath?: string;
}

interface ContainerRecordFile {
  readonly containerId: string;
  readonly runcId: string;
  readonly runDir: string;
}

const RECORD_SUFFIX = '.maestro.json';

function findRuntime(explicit: string | undefined): string | undefined {
  if (explicit !== undefined) return explicit;
  const dirs = [...(process.env.PATH ?? '').split(':').filter((d) => d !== ''), '/usr/local/sbin', '/usr/sbin', '/usr/bin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, 'runc');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const bundleOf = (runDir: string): string => join(runDir, 'bundle');
const overlayOf = (runDir: string): string => join(runDir, 'overlay');

async function writeAtomic(path: string, text: string): Promise<void> {
  await writeFile(`${path}.tmp`, text);
  await rename(`${path}.tmp`, path);
}

/** The host's resolv.conf; for a container in its own network namespace, systemd-resolved's upstream file when the host's points at a loopback stub. */
async function resolvConf(network: OciLaunchInput['network']): Promise<string> {
  const read = (p: string) => readFile(p, 'utf8').catch(() => undefined);
  const host = (await read('/etc/resolv.conf')) ?? '';
  if (network.kind === 'host') return host;
  const servers = [...host.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]);
  if (servers.length > 0 && servers.every((s) => s.startsWith('127.') || s === '::1')) return (await read('/run/systemd/resolve/resolv.conf')) ?? host;
  return host;
}

export function createOciRuntime(opts: OciRuntimeOptions): OciRuntime {
  const logger = opts.logger ?? silentLogger;
  const root = opts.root;
  const runtime = findRuntime(opts.runtime);
  const serial = new Map<string, Promise<void>>();
  const agentPaths = [opts.agentPath ?? process.env.PATH ?? DEFAULT_PATH, DEFAULT_PATH];

  function runc(args: readonly string[]): Promise<{ ok: true; stdout: string } | { ok: false; message: string }> {
    return new Promise((done) => {
      if (runtime === undefined) return done({ ok: false, message: 'runc not found on PATH' });
      execFile(runtime, ['--root', root, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err === null) done({ ok: true, stdout });
        else done({ ok: false, message: (stderr.trim() || err.message).split('\n').slice(-1)[0] });
      });
    });
  }

  async function runcDelete(runcId: string): Promise<void> {
    const r = await runc(['delete', '--force', runcId]);
    if (!r.ok && !/does not exist|not exist/i.test(r.message)) logger.warn({ runcId, error: r.message }, 'runc delete failed');
  }

  const recordPath = (runcId: string): string => join(root, `${runcId}${RECORD_SUFFIX}`);

  /** Rootfs unmounted, bundle, overlay dirs and record removed. The bundle stays when its rootfs cannot be unmounted (removing it would reach through the mount). */
  async function removeLeftovers(runcId: string, runDir: string): Promise<void> {
    const bundle = bundleOf(runDir);
    if (existsSync(bundle)) {
      if (await unmountAll(join(bundle, 'rootfs'), logger)) await rm(bundle, { recursive: true, force: true });
      else logger.error({ runcId, bundle }, 'container rootfs still mounted: bundle kept');
    }
    await rm(overlayOf(runDir), { recursive: true, force: true });
    await rm(recordPath(runcId), { force: true });
  }

  function serialized(runcId: string, work: () => Promise<void>): Promise<void> {
    const prev = serial.get(runcId) ?? Promise.resolve();
    const next = prev.then(work, work);
    serial.set(runcId, next);
    void next.finally(() => {
      if (serial.get(runcId) === next) serial.delete(runcId);
    });
    return next;
  }

  async function prepare(input: OciLaunchInput): Promise<OciPrepared> {
    const { spec, image } = input;
    const fail = (message: string): OciPrepared => ({ ok: false, message });
    if (runtime === undefined) return fail('Failed to launch the container: runc not found on PATH');
    const runcId = runcContainerId(spec.containerId);
    if (existsSync(join(root, runcId))) return fail(`Failed to launch the container: runc already has a container '${runcId}'`);

    const args = containerArgs(spec.command, image.config);
    if (!args.ok) return fail(args.message);
    const plan = planVolumes(spec.container?.volumes ?? [], spec.sandbox);
    if (!plan.ok) return fail(plan.message);
    for (const b of plan.binds) {
      if (b.inSandbox) continue;
      if (!(await stat(b.source).then(() => true, () => false))) return fail(`Invalid ${b.name}: host path '${b.source}' does not exist`);
    }
    const view: ContainerView = { rootfs: image.rootfs, binds: [{ destination: SANDBOX_MOUNT, source: spec.sandbox }, ...plan.binds] };
    const [passwd, group] = await Promise.all([readContainerFile(view, '/etc/passwd'), readContainerFile(view, '/etc/group')]);
    const user = resolveContainerUser(spec.user ?? image.config.user, passwd, group);
    if (!user.ok) return fail(user.message);
    const env = containerEnvironment(image.config.env, spec.environment, user.user.home, agentPaths);
    const cwd = containerCwd(spec.workingDirectory, image.config.workingDir);
    const path = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH;
    const exe = await findContainerExecutable(view, args.args[0], path, cwd);
    if (!exe.ok) return fail(exe.message);

    const bundle = bundleOf(spec.runDir);
    const given = spec.container?.hostname;
    const hostname = given !== undefined && given !== '' ? given : input.network.kind === 'host' ? osHostname() : runcId.slice(0, 12);
    try {
      if (existsSync(bundle) || existsSync(overlayOf(spec.runDir))) await removeLeftovers(runcId, spec.runDir);
      await mkdir(root, { recursive: true, mode: 0o700 });
      const record: ContainerRecordFile = { containerId: spec.containerId, runcId, runDir: spec.runDir };
      await writeAtomic(recordPath(runcId), JSON.stringify(record));
      await mkdir(bundle, { recursive: true });
      for (const b of plan.binds) if (b.inSandbox) await mkdir(b.source, { recursive: true });
      if (user.user.uid !== 0) {
        for (const p of [spec.sandbox, join(spec.sandbox, 'stdout'), join(spec.sandbox, 'stderr')]) {
          await chown(p, user.user.uid, user.user.gid).catch((e: NodeJS.ErrnoException) => {
            if (e.code !== 'ENOENT') throw e;
          });
        }
      }
      const mounted = await mountRootfs(image.rootfs, { rootfs: join(bundle, 'rootfs'), overlayDir: overlayOf(spec.runDir) }, logger);
      if (!mounted.ok) {
        await removeLeftovers(runcId, spec.runDir);
        return fail(mounted.message);
      }
      const hostEntries = input.network.kind === 'host' ? await readFile('/etc/hosts', 'utf8').catch(() => undefined) : undefined;
      const etc = { hosts: join(bundle, 'hosts'), hostname: join(bundle, 'hostname'), resolvConf: join(bundle, 'resolv.conf') };
      await Promise.all([
        writeFile(etc.hosts, hostsFile(input.network.kind === 'host' && (given === undefined || given === '') ? undefined : hostname, hostEntries)),
        writeFile(etc.hostname, `${hostname}\n`),
        resolvConf(input.network).then((text) => writeFile(etc.resolvConf, text)),
      ]);
      const config = buildOciConfig({
        args: args.args, env, cwd, user: user.user, hostname, cgroupsPath: input.cgroupsPath,
        network: input.network, sandbox: spec.sandbox, etc, binds: plan.binds,
      });
      await writeAtomic(join(bundle, 'config.json'), JSON.stringify(config, null, 2));
      logger.debug({ containerId: spec.containerId, runcId, rootfs: mounted.kind }, 'OCI bundle prepared');
    } catch (e) {
      await removeLeftovers(runcId, spec.runDir).catch(() => undefined);
      return fail(`Failed to prepare the container's bundle: ${(e as Error).message}`);
    }
    const pidFile = join(bundle, 'init.pid');
    return { ok: true, exec: [runtime, '--root', root, 'run', '--keep', '--no-new-keyring', '--pid-file', pidFile, '--bundle', bundle, runcId], pidFile };
  }

  function execWords(containerId: ContainerId): readonly string[] {
    return [runtime ?? 'runc', '--root', root, 'exec', runcContainerId(containerId)];
  }

  function cleanup(containerId: ContainerId, runDir: string): Promise<void> {
    const runcId = runcContainerId(containerId);
    return serialized(runcId, async () => {
      await runcDelete(runcId);
      await removeLeftovers(runcId, runDir);
    });
  }

  async function readRecords(): Promise<Map<string, ContainerRecordFile>> {
    const out = new Map<string, ContainerRecordFile>();
    const names = await readdir(root).catch(() => [] as string[]);
    for (const name of names) {
      if (!name.endsWith(RECORD_SUFFIX)) continue;
      try {
        const r = JSON.parse(await readFile(join(root, name), 'utf8')) as ContainerRecordFile;
        if (typeof r.runcId === 'string' && typeof r.runDir === 'string' && typeof r.containerId === 'string') out.set(r.runcId, r);
      } catch {
        logger.warn({ file: join(root, name) }, 'unreadable OCI container record ignored');
      }
    }
    return out;
  }

  async function recover(running: ReadonlySet<ContainerId>): Promise<readonly ContainerId[]> {
    const keep = new Set([...running].map((id) => runcContainerId(id)));
    const records = await readRecords();
    const removed: ContainerId[] = [];
    const listed = existsSync(root) ? await runc(['list', '--format', 'json']) : { ok: true as const, stdout: 'null' };
    if (!listed.ok) logger.error({ error: listed.message }, 'runc list failed: only the records are recovered');
    const states = listed.ok ? ((JSON.parse(listed.stdout.trim() || 'null') as { id: string; bundle?: string }[] | null) ?? []) : [];
    for (const s of states) {
      if (keep.has(s.id)) continue;
      const record = records.get(s.id);
      await serialized(s.id, async () => {
        await runcDelete(s.id);
        if (record !== undefined) await removeLeftovers(s.id, record.runDir);
        else if (s.bundle !== undefined) await unmountAll(join(s.bundle, 'rootfs'), logger);
      });
      records.delete(s.id);
      removed.push(asContainerId(record?.containerId ?? s.id));
    }
    for (const record of records.values()) {
      if (keep.has(record.runcId)) continue;
      await serialized(record.runcId, () => removeLeftovers(record.runcId, record.runDir));
      removed.push(asContainerId(record.containerId));
    }
    if (removed.length > 0) logger.info({ removed }, 'OCI containers of no running task removed');
    return removed;
  }

  return { prepare, cleanup, recover, execWords };
}
