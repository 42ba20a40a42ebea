/**
 * Real container images for tests, built from the host's static busybox (Debian's
 * `busybox-static`, `/bin/busybox`) with no download: an OCI image layout
 * (`buildBusyboxOciLayout`) or a `docker save` archive (`buildBusyboxDockerArchive`).
 *
 * An image has one base layer (busybox, its applet links, /etc/passwd and /etc/group with root and
 * nobody, /tmp) and, when `extraFiles` are given, a second layer with those files. The base layer
 * is built once per process and is byte-identical across images, so two images built here share
 * it (same digest), as images built FROM the same base do.
 *
 * Layers are tars made by the `tar` CLI (numeric root ownership, fixed mtime) and gzip'd with
 * Node's zlib.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, symlinkSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const BUSYBOX = '/bin/busybox';

/** Applets linked into /bin (busybox-static provides each of them). */
const APPLETS = ['sh', 'ash', 'ls', 'ps', 'cat', 'echo', 'sleep', 'nc', 'httpd', 'true', 'false', 'id', 'mount', 'hostname', 'ip', 'env', 'pwd', 'mkdir', 'rm', 'touch', 'test', 'wget', 'kill', 'grep', 'head', 'tail', 'wc', 'whoami', 'stat', 'df', 'printf', 'seq', 'sha256sum', 'uname', 'date', 'cp', 'mv', 'ln', 'chmod', 'dd', 'top', 'timeout', 'ifconfig'];

export interface TestImageSpec {
  /** Repository name, e.g. `busybox` or `127.0.0.1:5000/tools/busybox`. */
  readonly name: string;
  readonly tag?: string;
  readonly entrypoint?: readonly string[];
  readonly cmd?: readonly string[];
  readonly env?: readonly string[];
  readonly workingDir?: string;
  readonly user?: string;
  readonly exposedPorts?: readonly string[];
  /** Files of a second layer: absolute path in the image → content (mode 0755 when it starts with `#!`). */
  readonly extraFiles?: Readonly<Record<string, string>>;
}

export interface BuiltImage {
  readonly manifestDigest: string;
  readonly configDigest: string;
  readonly layerDigests: readonly string[];
  /** `name:tag` as written into the layout's `org.opencontainers.image.ref.name` or the archive's RepoTags. */
  readonly reference: string;
}

interface Layer {
  readonly tar: Buffer;
  readonly gz: Buffer;
  readonly diffId: string;
  readonly digest: string;
}

const sha256 = (b: Buffer | string): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

function tarOf(dir: string): Buffer {
  return execFileSync('tar', ['-C', dir, '--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-cf', '-', '.'], { maxBuffer: 256 << 20 });
}

function layerOf(dir: string): Layer {
  const tar = tarOf(dir);
  const gz = gzipSync(tar, { level: 1 });
  return { tar, gz, diffId: sha256(tar), digest: sha256(gz) };
}

let baseLayer: Layer | undefined;

function busyboxLayer(): Layer {
  if (baseLayer) return baseLayer;
  const dir = mkdtempSync(join(tmpdir(), 'maestro-busybox-layer-'));
  try {
    for (const d of ['bin', 'etc', 'tmp', 'root', 'proc', 'sys', 'dev']) mkdirSync(join(dir, d));
    chmodSync(join(dir, 'tmp'), 0o1777);
    copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
    chmodSync(join(dir, 'bin/busybox'), 0o755);
    for (const a of APPLETS) symlinkSync('busybox', join(dir, 'bin', a));
    writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
    writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
    baseLayer = layerOf(dir);
    return baseLayer;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function extraLayer(files: Readonly<Record<string, string>>): Layer {
  const dir = mkdtempSync(join(tmpdir(), 'maestro-extra-layer-'));
  try {
    for (const [path, content] of Object.entries(files)) {
      const target = join(dir, path.replace(/^\/+/, ''));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content, { mode: content.startsWith('#!') ? 0o755 : 0o644 });
    }
    return layerOf(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

function imageParts(spec: TestImageSpec): { layers: Layer[]; config: Buffer } {
  const layers = [busyboxLayer()];
  if (spec.extraFiles && Object.keys(spec.extraFiles).length > 0) layers.push(extraLayer(spec.extraFiles));
  const cfg: Record<string, unknown> = { Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] };
  if (spec.entrypoint) cfg.Entrypoint = spec.entrypoint;
  if (spec.cmd) cfg.Cmd = spec.cmd;
  if (spec.workingDir) cfg.WorkingDir = spec.workingDir;
  if (spec.user) cfg.User = spec.user;
  if (spec.exposedPorts) cfg.ExposedPorts = Object.fromEntries(spec.exposedPorts.map((p) => [p, {}]));
  const config = Buffer.from(JSON.stringify({
    created: '1970-01-01T00:00:00Z',
    architecture: GOARCH[process.arch] ?? process.arch,
    os: 'linux',
    config: cfg,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((_, i) => ({ created: '1970-01-01T00:00:00Z', created_by: i === 0 ? 'maestro test-images: busybox' : 'maestro test-images: extra files' })),
  }));
  return { layers, config };
}

function reference(spec: TestImageSpec): string {
  return `${spec.name}:${spec.tag ?? 'latest'}`;
}

/**
 * Writes an OCI image layout at `dir` (created if needed; an existing layout gets the image added
 * to its index, so one layout may hold several images).
 */
export function buildBusyboxOciLayout(dir: string, spec: TestImageSpec): BuiltImage {
  const { layers, config } = imageParts(spec);
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer): string => {
    const d = sha256(b);
    writeFileSync(join(blobs, d.slice(7)), b);
    return d;
  };
  const configDigest = put(config);
  for (const l of layers) put(l.gz);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.gz.length })),
  }));
  const manifestDigest = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const indexPath = join(dir, 'index.json');
  let index: { schemaVersion: number; manifests: Array<Record<string, unknown>> } = { schemaVersion: 2, manifests: [] };
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch {
    // no index yet: a new layout
  }
  const ref = reference(spec);
  index.manifests = index.manifests.filter((m) => (m.annotations as Record<string, string> | undefined)?.['org.opencontainers.image.ref.name'] !== ref);
  index.manifests.push({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: manifestDigest,
    size: manifest.length,
    annotations: { 'org.opencontainers.image.ref.name': ref },
  });
  writeFileSync(indexPath, JSON.stringify(index));
  return { manifestDigest, configDigest, layerDigests: layers.map((l) => l.digest), reference: ref };
}

/**
 * Writes a `docker save` archive (manifest.json, repositories, `<config hex>.json`,
 * `<layer id>/layer.tar`) to `file`. Docker stores layers uncompressed in these archives, so the
 * manifest digest an importer computes is its own; `configDigest` is the image id.
 */
export function buildBusyboxDockerArchive(file: string, spec: TestImageSpec): Omit<BuiltImage, 'manifestDigest'> {
  const { layers, config } = imageParts(spec);
  const dir = mkdtempSync(join(tmpdir(), 'maestro-docker-archive-'));
  try {
    const configDigest = sha256(config);
    writeFileSync(join(dir, `${configDigest.slice(7)}.json`), config);
    const layerPaths: string[] = [];
    for (const l of layers) {
      const id = l.diffId.slice(7);
      mkdirSync(join(dir, id));
      writeFileSync(join(dir, id, 'layer.tar'), l.tar);
      writeFileSync(join(dir, id, 'VERSION'), '1.0');
      writeFileSync(join(dir, id, 'json'), JSON.stringify({ id }));
      layerPaths.push(`${id}/layer.tar`);
    }
    const ref = reference(spec);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify([{ Config: `${configDigest.slice(7)}.json`, RepoTags: [ref], Layers: layerPaths }]));
    const lastId = layers[layers.length - 1].diffId.slice(7);
    writeFileSync(join(dir, 'repositories'), JSON.stringify({ [spec.name]: { [spec.tag ?? 'latest']: lastId } }));
    mkdirSync(dirname(file), { recursive: true });
    execFileSync('tar', ['-C', dir, '--numeric-owner', '--owner=0', '--group=0', '-cf', file, ...readdirSync(dir).sort()]);
    return { configDigest, layerDigests: layers.map((l) => l.diffId), reference: ref };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
