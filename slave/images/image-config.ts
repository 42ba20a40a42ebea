/**
 * What the store reads from an image's blobs: the manifest (config and layer descriptors) and the
 * image configuration's `config` (Entrypoint, Cmd, Env, WorkingDir, User, ExposedPorts). Pure:
 * takes the blob bytes, gives values or a message.
 */
import type { ImageConfig } from './image-store.ts';

export interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
}

export interface ManifestInfo {
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  /** Manifest, config and layer bytes. */
  readonly size: number;
}

const DIGEST = /^sha256:[a-f0-9]{64}$/;

function descriptor(v: unknown): Descriptor | undefined {
  const d = v as { mediaType?: unknown; digest?: unknown; size?: unknown } | null;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || !DIGEST.test(d.digest) || typeof d.size !== 'number') return undefined;
  return { digest: d.digest, size: d.size, ...(typeof d.mediaType === 'string' ? { mediaType: d.mediaType } : {}) };
}

export function parseManifest(bytes: Buffer): { ok: true; manifest: ManifestInfo } | { ok: false; message: string } {
  let doc: { config?: unknown; layers?: unknown; manifests?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { ok: false, message: `manifest is not JSON: ${(e as Error).message}` };
  }
  if (Array.isArray(doc.manifests)) return { ok: false, message: 'an image index (several platforms) where an image manifest was expected' };
  const config = descriptor(doc.config);
  const layers = Array.isArray(doc.layers) ? doc.layers.map(descriptor) : undefined;
  if (!config || !layers || layers.some((l) => l === undefined)) return { ok: false, message: 'manifest has no valid config and layers descriptors' };
  const ls = layers as Descriptor[];
  return { ok: true, manifest: { config, layers: ls, size: bytes.length + config.size + ls.reduce((n, l) => n + l.size, 0) } };
}

const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? [...v] : undefined);

export function parseImageConfig(bytes: Buffer): { ok: true; config: ImageConfig } | { ok: false; message: string } {
  let doc: { config?: Record<string, unknown> | null };
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    return { ok: false, message: `image config is not JSON: ${(e as Error).message}` };
  }
  if (!doc || typeof doc !== 'object') return { ok: false, message: 'image config is not an object' };
  const c = doc.config ?? {};
  const entrypoint = strings(c.Entrypoint);
  const cmd = strings(c.Cmd);
  const workingDir = typeof c.WorkingDir === 'string' && c.WorkingDir !== '' ? c.WorkingDir : undefined;
  const user = typeof c.User === 'string' && c.User !== '' ? c.User : undefined;
  const ports = c.ExposedPorts && typeof c.ExposedPorts === 'object' ? Object.keys(c.ExposedPorts) : undefined;
  return {
    ok: true,
    config: {
      env: strings(c.Env) ?? [],
      ...(entrypoint ? { entrypoint } : {}),
      ...(cmd ? { cmd } : {}),
      ...(workingDir ? { workingDir } : {}),
      ...(user ? { user } : {}),
      ...(ports && ports.length > 0 ? { exposedPorts: ports } : {}),
    },
  };
}
