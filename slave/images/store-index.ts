/**
 * The store's `index.json`: an OCI image index whose manifests are the store's tags, one entry per
 * normalized reference (`org.opencontainers.image.ref.name`), with the time it was stored
 * (`io.maestro.image.stored`). The store directory is thereby a valid OCI image layout
 * (`skopeo copy oci:<store>:<reference> ...` reads an image back out).
 *
 * Written by writing a temp file and renaming it over the old one, so a reader sees one whole
 * version; `stamp` (inode, size, mtime) tells a reader that another process replaced it.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const STORED_AT = 'io.maestro.image.stored';
export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

export interface TagEntry {
  readonly reference: string;
  readonly manifestDigest: string;
  readonly manifestSize: number;
  readonly storedAt: string;
}

export async function indexStamp(file: string): Promise<string> {
  try {
    const s = await stat(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return 'none';
  }
}

export async function readIndex(file: string): Promise<Map<string, TagEntry>> {
  const tags = new Map<string, TagEntry>();
  let doc: { manifests?: Array<{ digest?: string; size?: number; annotations?: Record<string, string> }> };
  try {
    doc = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return tags;
    throw new Error(`the image store's index ${file} is unreadable: ${(e as Error).message}`);
  }
  for (const m of doc.manifests ?? []) {
    const reference = m.annotations?.[REF_NAME];
    if (!reference || typeof m.digest !== 'string') continue;
    tags.set(reference, { reference, manifestDigest: m.digest, manifestSize: m.size ?? 0, storedAt: m.annotations?.[STORED_AT] ?? '' });
  }
  return tags;
}

export async function writeIndex(file: string, tags: ReadonlyMap<string, TagEntry>): Promise<void> {
  const manifests = [...tags.values()]
    .sort((a, b) => a.reference.localeCompare(b.reference))
    .map((t) => ({ mediaType: MANIFEST_TYPE, digest: t.manifestDigest, size: t.manifestSize, annotations: { [REF_NAME]: t.reference, [STORED_AT]: t.storedAt } }));
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify({ schemaVersion: 2, manifests }, null, 1)}\n`);
  await rename(tmp, file);
}
