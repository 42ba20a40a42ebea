/**
 * What `import` can read, and the images in it: an OCI image layout directory, a tar of one
 * (`oci-archive`), or a `docker save` archive (`docker-archive`; it wins when a tar holds both,
 * as Docker 25's do, because its RepoTags carry full names). Each image becomes a skopeo source
 * and the names it carries: `org.opencontainers.image.ref.name` (or containerd's
 * `io.containerd.image.name`) in a layout, `RepoTags` in a docker archive.
 */
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface ImportSource {
  /** skopeo source, e.g. `oci:/x:busybox:1`, `docker-archive:/x.tar:@0`. */
  readonly transport: string;
  /** Names as the source carries them (not normalized); empty when it carries none. */
  readonly names: readonly string[];
  /** For messages: `image 2 of /x.tar`. */
  readonly what: string;
}

export type SourcesResult = { readonly ok: true; readonly kind: 'oci-layout' | 'oci-archive' | 'docker-archive'; readonly sources: readonly ImportSource[] } | { readonly ok: false; readonly message: string };

function tarText(file: string, args: readonly string[]): Promise<{ ok: true; out: string } | { ok: false; err: string }> {
  return new Promise((resolve) => {
    execFile('tar', [...args], { maxBuffer: 64 << 20 }, (e, out, err) => resolve(e ? { ok: false, err: (err || e.message).trim() } : { ok: true, out }));
  });
}

interface OciIndexDoc {
  manifests?: Array<{ digest?: string; annotations?: Record<string, string> }>;
}

function ociSources(prefix: string, path: string, doc: OciIndexDoc): ImportSource[] | string {
  const manifests = doc.manifests ?? [];
  if (manifests.length === 0) return `${path} holds no image (its index.json lists no manifests)`;
  return manifests.map((m, i) => {
    const refName = m.annotations?.['org.opencontainers.image.ref.name'];
    const full = m.annotations?.['io.containerd.image.name'];
    const names = full ? [full] : refName ? [refName] : [];
    const transport = refName ? `${prefix}:${path}:${refName}` : `${prefix}:${path}`;
    return { transport, names, what: `image ${i + 1} (${m.digest ?? 'no digest'}) of ${path}` };
  });
}

export async function listImportSources(path: string): Promise<SourcesResult> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    return { ok: false, message: `cannot import ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}` };
  }
  if (st.isDirectory()) {
    let doc: OciIndexDoc;
    try {
      await stat(join(path, 'oci-layout'));
      doc = JSON.parse(await readFile(join(path, 'index.json'), 'utf8'));
    } catch (e) {
      return { ok: false, message: `corrupt archive ${path}: a directory to import must be an OCI image layout (oci-layout and index.json): ${(e as Error).message}` };
    }
    const sources = ociSources('oci', path, doc);
    return typeof sources === 'string' ? { ok: false, message: sources } : { ok: true, kind: 'oci-layout', sources };
  }
  const listing = await tarText(path, ['-tf', path]);
  if (!listing.ok) return { ok: false, message: `corrupt archive ${path}: not a readable tar: ${listing.err.split('\n')[0]}` };
  const entries = new Set(listing.out.split('\n').map((l) => l.replace(/^\.\//, '')));
  const member = (name: string): string => (listing.out.split('\n').includes(`./${name}`) ? `./${name}` : name);
  if (entries.has('manifest.json')) {
    const text = await tarText(path, ['-xOf', path, member('manifest.json')]);
    let doc: Array<{ RepoTags?: string[] | null }>;
    try {
      if (!text.ok) throw new Error(text.err);
      doc = JSON.parse(text.out);
      if (!Array.isArray(doc) || doc.length === 0) throw new Error('manifest.json lists no image');
    } catch (e) {
      return { ok: false, message: `corrupt archive ${path}: bad manifest.json: ${(e as Error).message}` };
    }
    return { ok: true, kind: 'docker-archive', sources: doc.map((m, i) => ({ transport: `docker-archive:${path}:@${i}`, names: m.RepoTags ?? [], what: `image ${i + 1} of ${path}` })) };
  }
  if (entries.has('oci-layout') && entries.has('index.json')) {
    const text = await tarText(path, ['-xOf', path, member('index.json')]);
    let doc: OciIndexDoc;
    try {
      if (!text.ok) throw new Error(text.err);
      doc = JSON.parse(text.out);
    } catch (e) {
      return { ok: false, message: `corrupt archive ${path}: bad index.json: ${(e as Error).message}` };
    }
    const sources = ociSources('oci-archive', path, doc);
    return typeof sources === 'string' ? { ok: false, message: sources } : { ok: true, kind: 'oci-archive', sources };
  }
  return { ok: false, message: `corrupt archive ${path}: neither a docker save archive (manifest.json) nor an OCI image layout (oci-layout, index.json)` };
}
