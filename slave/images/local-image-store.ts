/**
 * The local image store (`ImageStore`, image-store.ts): one OCI image layout on the agent's disk
 * holding every image, plus unpacked root filesystems.
 *
 *   <storeDir>/                 Mesos --docker_store_dir, default <work_dir>/store/docker
 *     oci-layout, index.json    the tags: normalized reference → manifest digest (store-index.ts)
 *     blobs/sha256/<hex>        manifests, configs, layers; shared by every image that uses them
 *     rootfs/<hex>/             the unpacked rootfs of manifest sha256:<hex>
 *     tmp/                      staging (pulls, imports, unpack layouts); emptied by gc
 *     lock                      the writers' flock (store-lock.ts)
 *
 * Pulls and imports go through skopeo (skopeo.ts) straight into `blobs/` (blobs already there
 * are not fetched again) and a staging layout whose one manifest is then tagged in `index.json`;
 * rootfs unpacking is umoci (unpack.ts).
 *
 * Invariants: a tag is written only after every blob of its image is in `blobs/`; a failed pull
 * or import tags nothing and removes the blobs it added; a rootfs directory is complete (renamed
 * into place); concurrent provisions of one image pull and unpack once (in-flight maps here, the
 * lock across processes). Provisioning a stored image with its rootfs cached spawns nothing: a
 * stat of index.json (re-read only when another process replaced it), maps in memory, a stat of
 * the rootfs.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../common/ports.ts';
import { parseImageConfig, parseManifest, type ManifestInfo } from './image-config.ts';
import type { GcResult, ImageConfig, ImageResult, ImageStore, StoredImage } from './image-store.ts';
import { listImportSources } from './import-sources.ts';
import { DEFAULT_REGISTRY, pullSource } from './pull-source.ts';
import { parseReference } from './reference.ts';
import { explainImportFailure, explainPullFailure, skopeoCopy } from './skopeo.ts';
import { indexStamp, readIndex, writeIndex, type TagEntry } from './store-index.ts';
import { createStoreLock } from './store-lock.ts';
import { unpackRootfs } from './unpack.ts';

export interface ImageStoreOptions {
  /** Mesos `--docker_store_dir`; see `defaultStoreDir`. Created when missing. */
  readonly storeDir: string;
  /** Mesos `--docker_registry`: where references on Docker Hub are pulled from. Default `https://registry-1.docker.io`. */
  readonly defaultRegistry?: string;
  /** Mesos `--docker_config`: a Docker config.json path, its JSON text, or the parsed object. Read at each pull. */
  readonly config?: string | object;
  /** Registry hosts (`host[:port]`) spoken to over plain http; loopback hosts always are. */
  readonly insecureRegistries?: readonly string[];
  readonly logger?: Logger;
  /** Limit of one pull or import copy; default 10 minutes. */
  readonly copyTimeoutMs?: number;
}

/** Mesos' default `--docker_store_dir`: `<work_dir>/store/docker`. */
export function defaultStoreDir(workDir: string): string {
  return join(workDir, 'store', 'docker');
}

type Failure = { readonly ok: false; readonly message: string };
const fail = (message: string): Failure => ({ ok: false, message });
const hexOf = (digest: string): string => digest.replace(/^sha256:/, '');

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export function createImageStore(opts: ImageStoreOptions): ImageStore {
  const dir = opts.storeDir;
  const blobsDir = join(dir, 'blobs');
  const shaDir = join(blobsDir, 'sha256');
  const rootfsDir = join(dir, 'rootfs');
  const tmpDir = join(dir, 'tmp');
  const indexFile = join(dir, 'index.json');
  const log = opts.logger;
  const lock = createStoreLock(join(dir, 'lock'));

  let tags = new Map<string, TagEntry>();
  let stamp = '';
  const manifests = new Map<string, ManifestInfo>();
  const configs = new Map<string, ImageConfig>();
  const pulls = new Map<string, Promise<ImageResult>>();
  const unpacks = new Map<string, Promise<{ ok: true } | Failure>>();
  let ready: Promise<void> | undefined;

  const init = (): Promise<void> =>
    (ready ??= (async () => {
      await mkdir(shaDir, { recursive: true });
      await mkdir(rootfsDir, { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      if (!(await exists(join(dir, 'oci-layout')))) await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    })());

  /** Re-reads index.json when another process (or this one) replaced it. */
  async function refresh(): Promise<void> {
    const now = await indexStamp(indexFile);
    if (now === stamp) return;
    tags = await readIndex(indexFile);
    stamp = now;
  }

  /** Applies `change` to the index as it is on disk; call holding the lock. */
  async function updateIndex(change: (t: Map<string, TagEntry>) => void): Promise<void> {
    const current = await readIndex(indexFile);
    change(current);
    await writeIndex(indexFile, current);
    tags = current;
    stamp = await indexStamp(indexFile);
  }

  async function manifestInfo(digest: string): Promise<ManifestInfo | Failure> {
    const cached = manifests.get(digest);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(shaDir, hexOf(digest)));
    } catch {
      return fail(`manifest ${digest} is missing from the store's blobs`);
    }
    const m = parseManifest(bytes);
    if (!m.ok) return fail(`manifest ${digest}: ${m.message}`);
    manifests.set(digest, m.manifest);
    return m.manifest;
  }

  async function imageConfig(digest: string): Promise<ImageConfig | Failure> {
    const cached = configs.get(digest);
    if (cached) return cached;
    let bytes: Buffer;
    try {
      bytes = await readFile(join(shaDir, hexOf(digest)));
    } catch {
      return fail(`image config ${digest} is missing from the store's blobs`);
    }
    const c = parseImageConfig(bytes);
    if (!c.ok) return fail(`image config ${digest}: ${c.message}`);
    configs.set(digest, c.config);
    return c.config;
  }

  function unpackOnce(tag: TagEntry, rootfs: string): Promise<{ ok: true } | Failure> {
    const running = unpacks.get(tag.manifestDigest);
    if (running) return running;
    const p = lock
      .run(async () => {
        if (await exists(rootfs)) return { ok: true } as const;
        const started = Date.now();
        const r = await unpackRootfs(dir, { digest: tag.manifestDigest, size: tag.manifestSize }, rootfs);
        if (r.ok) log?.info({ reference: tag.reference, manifestDigest: tag.manifestDigest, ms: Date.now() - started }, 'image rootfs unpacked');
        return r;
      })
      .catch((e: Error) => fail(`unpacking ${tag.reference}: ${e.message}`))
      .finally(() => unpacks.delete(tag.manifestDigest));
    unpacks.set(tag.manifestDigest, p);
    return p;
  }

  async function resolveStored(tag: TagEntry): Promise<ImageResult> {
    const m = await manifestInfo(tag.manifestDigest);
    if ('ok' in m) return fail(`image '${tag.reference}' is damaged in the store: ${m.message}`);
    const config = await imageConfig(m.config.digest);
    if ('ok' in config) return fail(`image '${tag.reference}' is damaged in the store: ${config.message}`);
    const rootfs = join(rootfsDir, hexOf(tag.manifestDigest));
    if (!(await exists(rootfs))) {
      const u = await unpackOnce(tag, rootfs);
      if (!u.ok) return u;
    }
    return { ok: true, image: { reference: tag.reference, manifestDigest: tag.manifestDigest, config, rootfs } };
  }

  async function dockerConfig(): Promise<unknown | Failure> {
    const c = opts.config;
    if (c === undefined) return undefined;
    if (typeof c === 'object') return c;
    const text = c.trim().startsWith('{') ? c : await readFile(c, 'utf8').catch((e: Error) => `\u0000${e.message}`);
    if (text.startsWith('\u0000')) return fail(`cannot read the Docker config ${c}: ${text.slice(1)}`);
    try {
      return JSON.parse(text);
    } catch (e) {
      return fail(`the Docker config ${c.startsWith('{') ? '(inline)' : c} is not JSON: ${(e as Error).message}`);
    }
  }

  /** Blobs added since `before`, removed after a failed copy (call holding the lock). */
  async function dropNewBlobs(before: ReadonlySet<string>): Promise<void> {
    for (const f of await readdir(shaDir)) if (!before.has(f)) await rm(join(shaDir, f), { force: true });
  }

  /** Copies one image into the blobs and returns its manifest (call holding the lock). */
  async function copyIn(source: string, authFile?: string, plainHttp?: boolean): Promise<{ ok: true; digest: string; size: number } | { ok: false; stderr: string }> {
    const staging = join(tmpDir, `copy-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      const r = await skopeoCopy({ source, destLayout: staging, sharedBlobDir: blobsDir, plainHttp, authFile, timeoutMs: opts.copyTimeoutMs });
      if (!r.ok) return r;
      const idx = JSON.parse(await readFile(join(staging, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; size: number }> };
      const d = idx.manifests[0];
      const m = await manifestInfo(d.digest);
      if ('ok' in m) return { ok: false, stderr: m.message };
      for (const b of [m.config, ...m.layers]) if (!(await exists(join(shaDir, hexOf(b.digest))))) return { ok: false, stderr: `blob ${b.digest} did not reach the store` };
      return { ok: true, digest: d.digest, size: d.size };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  function pullOnce(reference: string): Promise<ImageResult> {
    const running = pulls.get(reference);
    if (running) return running;
    const p = fetchImage(reference).finally(() => pulls.delete(reference));
    pulls.set(reference, p);
    return p;
  }

  async function fetchImage(reference: string): Promise<ImageResult> {
    const parsed = parseReference(reference);
    if (!parsed.ok) return parsed;
    await init();
    const cfg = await dockerConfig();
    if (cfg && typeof cfg === 'object' && 'ok' in cfg) return cfg as Failure;
    const src = pullSource(parsed.ref, { defaultRegistry: opts.defaultRegistry ?? DEFAULT_REGISTRY, dockerConfig: cfg, insecureRegistries: opts.insecureRegistries });
    const ref = parsed.ref.normalized;
    const started = Date.now();
    const stored = await lock.run(async (): Promise<TagEntry | Failure> => {
      const before = new Set(await readdir(shaDir));
      let authFile: string | undefined;
      try {
        if (src.credentials) {
          authFile = join(tmpDir, `auth-${process.pid}-${randomBytes(4).toString('hex')}.json`);
          const auth = Buffer.from(`${src.credentials.user}:${src.credentials.password}`).toString('base64');
          await writeFile(authFile, JSON.stringify({ auths: { [src.host]: { auth } } }), { mode: 0o600 });
        }
        const r = await copyIn(src.transportRef, authFile, src.plainHttp);
        if (!r.ok) {
          await dropNewBlobs(before);
          return fail(explainPullFailure(ref, src.host, r.stderr, src.credentials !== undefined));
        }
        const entry: TagEntry = { reference: ref, manifestDigest: r.digest, manifestSize: r.size, storedAt: new Date().toISOString() };
        await updateIndex((t) => t.set(ref, entry));
        return entry;
      } finally {
        if (authFile) await rm(authFile, { force: true });
      }
    });
    if ('ok' in stored) {
      log?.warn({ reference: ref, registry: src.host, message: stored.message }, 'image pull failed');
      return stored;
    }
    log?.info({ reference: ref, registry: src.host, manifestDigest: stored.manifestDigest, ms: Date.now() - started }, 'image pulled');
    return resolveStored(stored);
  }

  async function storedImage(t: TagEntry): Promise<StoredImage> {
    const m = await manifestInfo(t.manifestDigest);
    return { reference: t.reference, manifestDigest: t.manifestDigest, size: 'ok' in m ? 0 : m.size, storedAt: t.storedAt };
  }

  /** Unexpected errors (an unreadable index, a full disk) become failures too: the launch path never throws. */
  const guarded = async <T extends { ok: boolean }>(what: string, fn: () => Promise<T>): Promise<T | Failure> => {
    try {
      return await fn();
    } catch (e) {
      log?.error({ err: (e as Error).message }, `image store: ${what} failed`);
      return fail(`image store ${dir}: ${what} failed: ${(e as Error).message}`);
    }
  };

  return {
    provision: (reference, o) => guarded(`provisioning '${reference}'`, async (): Promise<ImageResult> => {
      const parsed = parseReference(reference);
      if (!parsed.ok) return parsed;
      const ref = parsed.ref.normalized;
      if (!o?.forcePull) {
        if (!ready) await init();
        await refresh();
        const tag = tags.get(ref);
        if (tag) return resolveStored(tag);
      }
      const pulled = await pullOnce(ref);
      if (pulled.ok || o?.forcePull) return pulled;
      return fail(`image '${ref}' not found in the store and pulling it failed: ${pulled.message}`);
    }),

    pull: (reference) => guarded(`pulling '${reference}'`, async (): Promise<ImageResult> => {
      const parsed = parseReference(reference);
      return parsed.ok ? pullOnce(parsed.ref.normalized) : parsed;
    }),

    import: (path, o) => guarded(`importing ${path}`, async () => {
      await init();
      const listed = await listImportSources(path);
      if (!listed.ok) return listed;
      if (o?.name !== undefined && listed.sources.length !== 1) return fail(`${path} holds ${listed.sources.length} images; --name applies to an archive with one image`);
      const named: Array<{ transport: string; what: string; refs: string[] }> = [];
      for (const s of listed.sources) {
        const names = o?.name !== undefined ? [o.name] : [...s.names];
        if (names.length === 0) return fail(`${s.what} carries no name; give it one (--name=REF)`);
        const refs: string[] = [];
        for (const n of names) {
          const p = parseReference(n);
          if (!p.ok) return p;
          refs.push(p.ref.normalized);
        }
        named.push({ transport: s.transport, what: s.what, refs });
      }
      const started = Date.now();
      const result = await lock.run(async (): Promise<TagEntry[] | Failure> => {
        const before = new Set(await readdir(shaDir));
        const entries: TagEntry[] = [];
        for (const n of named) {
          const r = await copyIn(n.transport);
          if (!r.ok) {
            await dropNewBlobs(before);
            return fail(explainImportFailure(path, n.what, r.stderr));
          }
          const storedAt = new Date().toISOString();
          for (const reference of n.refs) entries.push({ reference, manifestDigest: r.digest, manifestSize: r.size, storedAt });
        }
        await updateIndex((t) => { for (const e of entries) t.set(e.reference, e); });
        return entries;
      });
      if ('ok' in result) {
        log?.warn({ path, message: result.message }, 'image import failed');
        return result;
      }
      log?.info({ path, kind: listed.kind, references: result.map((e) => e.reference), ms: Date.now() - started }, 'images imported');
      return { ok: true as const, images: await Promise.all(result.map(storedImage)) };
    }),

    async list() {
      await init();
      await refresh();
      const all = await Promise.all([...tags.values()].map(storedImage));
      return all.sort((a, b) => a.reference.localeCompare(b.reference));
    },

    async remove(reference) {
      const parsed = parseReference(reference);
      if (!parsed.ok) return false;
      await init();
      const ref = parsed.ref.normalized;
      return lock.run(async () => {
        let removed = false;
        await updateIndex((t) => { removed = t.delete(ref); });
        if (removed) log?.info({ reference: ref }, 'image tag removed');
        return removed;
      });
    },

    async gc(inUse = new Set<string>()) {
      await init();
      return lock.run(async (): Promise<GcResult> => {
        tags = await readIndex(indexFile);
        stamp = await indexStamp(indexFile);
        const keepManifests = new Set<string>([...[...tags.values()].map((t) => t.manifestDigest), ...inUse]);
        const keepBlobs = new Set<string>();
        for (const d of keepManifests) {
          keepBlobs.add(hexOf(d));
          const m = await manifestInfo(d);
          if ('ok' in m) continue;
          keepBlobs.add(hexOf(m.config.digest));
          for (const l of m.layers) keepBlobs.add(hexOf(l.digest));
        }
        let removedBlobs = 0;
        let removedBytes = 0;
        for (const f of await readdir(shaDir)) {
          if (keepBlobs.has(f)) continue;
          const s = await stat(join(shaDir, f)).catch(() => undefined);
          await rm(join(shaDir, f), { force: true, recursive: true });
          removedBlobs += 1;
          removedBytes += s?.size ?? 0;
          manifests.delete(`sha256:${f}`);
          configs.delete(`sha256:${f}`);
        }
        const mounts = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
        const keepRootfs = new Set([...keepManifests].map(hexOf));
        let removedRootfs = 0;
        for (const f of await readdir(rootfsDir)) {
          const path = join(rootfsDir, f);
          if (keepRootfs.has(f)) continue;
          // A rootfs an overlay still uses as its lower dir stays, whatever the caller's inUse says.
          if (!f.startsWith('.tmp-') && mounts.includes(path)) continue;
          await rm(path, { recursive: true, force: true });
          if (!f.startsWith('.tmp-')) removedRootfs += 1;
        }
        for (const f of await readdir(tmpDir)) await rm(join(tmpDir, f), { recursive: true, force: true });
        log?.info({ removedBlobs, removedBytes, removedRootfs }, 'image store garbage collected');
        return { removedBlobs, removedBytes, removedRootfs };
      });
    },
  };
}
