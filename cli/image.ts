/**
 * `maestro image`: the local image store of an agent (slave/images) from the command line.
 *
 *   maestro image import <path> [--name=REF]     OCI layout (dir or tar) or `docker save` archive
 *   maestro image pull <ref>                     from --docker_registry / the reference's registry
 *   maestro image list [--json]
 *   maestro image rm <ref>                       removes the tag; `gc` frees the space
 *   maestro image gc                             removes blobs and rootfs no tag needs
 *
 * The store is `--docker_store_dir`, or `<--work_dir>/store/docker` (the agent's default), so the
 * CLI and a running agent share it (the store locks its writers across processes). `gc` here
 * knows nothing of the agent's running containers: it keeps every tagged image and any rootfs an
 * overlay in this mount namespace uses, and removes the rest.
 *
 * Exit codes: 0 done, 1 the operation failed (the message says why), 2 bad usage.
 */
import { resolve } from 'node:path';
import { FlagError, formatHelp, parseFlags, type FlagSpec } from '../common/flags.ts';
import { createImageStore, defaultStoreDir } from '../slave/images/local-image-store.ts';
import type { StoredImage } from '../slave/images/image-store.ts';

export const IMAGE_FLAGS: readonly FlagSpec[] = [
  { name: 'docker_store_dir', type: 'string', help: 'directory of the local image store (default: <work_dir>/store/docker)' },
  { name: 'work_dir', type: 'string', help: "the agent's work dir, when --docker_store_dir is not given" },
  { name: 'docker_registry', type: 'string', default: 'https://registry-1.docker.io', help: 'registry of images whose name names none (pull): https://host[:port], or http://host:port' },
  { name: 'docker_config', type: 'string', help: 'Docker config.json with registry credentials (pull), a path' },
  { name: 'insecure_registries', type: 'string', help: 'comma-separated registry hosts (host:port) spoken to over plain http; loopback ones always are (maestro)' },
  { name: 'name', type: 'string', help: 'the reference to tag an imported image with (an archive with one image)' },
  { name: 'json', type: 'boolean', default: false, help: 'list: print JSON instead of a table' },
];

const USAGE = 'maestro image <import PATH [--name=REF] | pull REF | list [--json] | rm REF | gc> [--docker_store_dir=DIR | --work_dir=DIR]';
const SUMMARY = 'Manages the local image store that agents run container images from: imports OCI layouts and docker save archives, pulls from a Docker registry, lists, removes tags, collects garbage.';

export interface CommandIo {
  readonly stdout: { write(s: string): unknown };
  readonly stderr: { write(s: string): unknown };
  readonly env: NodeJS.ProcessEnv;
}

export function formatSize(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = -1;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u += 1;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

export function formatTable(images: readonly StoredImage[]): string {
  const rows = [['REFERENCE', 'DIGEST', 'SIZE', 'STORED'], ...images.map((i) => [i.reference, i.manifestDigest.slice(0, 19), formatSize(i.size), i.storedAt.replace(/\.\d+Z$/, 'Z')])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  ')).join('\n') + '\n';
}

export async function runImageCommand(argv: string[], io: CommandIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const usageError = (message: string): number => {
    io.stderr.write(`maestro image: ${message}\n\n${formatHelp(USAGE, SUMMARY, IMAGE_FLAGS)}`);
    return 2;
  };
  let parsed;
  try {
    parsed = parseFlags(IMAGE_FLAGS, argv, io.env);
  } catch (e) {
    if (e instanceof FlagError) return usageError(e.message);
    throw e;
  }
  if (parsed.help) {
    io.stdout.write(formatHelp(USAGE, SUMMARY, IMAGE_FLAGS));
    return 0;
  }
  const [command, ...args] = parsed.positional;
  const v = parsed.values;
  const arity: Record<string, number> = { import: 1, pull: 1, list: 0, ls: 0, rm: 1, gc: 0 };
  if (command === undefined) return usageError('a command is required: import, pull, list, rm or gc');
  if (!Object.hasOwn(arity, command)) return usageError(`unknown command '${command}'`);
  if (args.length !== arity[command]) return usageError(`${command} takes ${arity[command] === 1 ? 'one argument' : 'no argument'}, got ${args.length}`);
  const storeDir = typeof v.docker_store_dir === 'string' && v.docker_store_dir !== ''
    ? resolve(v.docker_store_dir)
    : typeof v.work_dir === 'string' && v.work_dir !== '' ? defaultStoreDir(resolve(v.work_dir)) : undefined;
  if (!storeDir) return usageError('the store is --docker_store_dir=DIR or <--work_dir=DIR>/store/docker; give one');

  const store = createImageStore({
    storeDir,
    defaultRegistry: String(v.docker_registry),
    ...(typeof v.docker_config === 'string' ? { config: resolve(v.docker_config) } : {}),
    ...(typeof v.insecure_registries === 'string' ? { insecureRegistries: v.insecure_registries.split(',').map((s) => s.trim()).filter((s) => s !== '') } : {}),
  });
  const failed = (message: string): number => {
    io.stderr.write(`maestro image ${command}: ${message}\n`);
    return 1;
  };

  switch (command) {
    case 'import': {
      const r = await store.import(resolve(args[0]), typeof v.name === 'string' ? { name: v.name } : undefined);
      if (!r.ok) return failed(r.message);
      for (const i of r.images) io.stdout.write(`imported ${i.reference} ${i.manifestDigest} (${formatSize(i.size)})\n`);
      return 0;
    }
    case 'pull': {
      const r = await store.pull(args[0]);
      if (!r.ok) return failed(r.message);
      io.stdout.write(`pulled ${r.image.reference} ${r.image.manifestDigest}\nrootfs ${r.image.rootfs}\n`);
      return 0;
    }
    case 'list':
    case 'ls': {
      const images = await store.list();
      io.stdout.write(v.json ? `${JSON.stringify(images, null, 2)}\n` : formatTable(images));
      return 0;
    }
    case 'rm': {
      if (!(await store.remove(args[0]))) return failed(`no image '${args[0]}' in the store ${storeDir}`);
      io.stdout.write(`removed ${args[0]} (run \`maestro image gc\` to free its space)\n`);
      return 0;
    }
    case 'gc': {
      const r = await store.gc();
      io.stdout.write(`removed ${r.removedBlobs} blobs (${formatSize(r.removedBytes)}) and ${r.removedRootfs} unpacked rootfs\n`);
      return 0;
    }
  }
  return 2;
}

/** The `maestro` subcommand entry (bin/cli.ts): `maestro image ...`. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  process.exitCode = await runImageCommand([...argv], { stdout: process.stdout, stderr: process.stderr, env });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await runImageCommand(process.argv.slice(2));
}
