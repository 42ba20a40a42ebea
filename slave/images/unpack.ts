/**
 * Unpacks an image's layers into a root filesystem with `umoci raw unpack` (Debian's umoci:
 * ordered layers, whiteouts and opaque directories, ownership and modes as the tars say).
 *
 * umoci reads an OCI layout by tag; the store's tags are full references, which umoci's tag
 * syntax refuses, so a throwaway layout (`oci-layout`, an `index.json` with this one manifest
 * tagged `image`, and `blobs` as a symlink to the store's blobs) is made for it. The rootfs is
 * written to `<target>.tmp-*` and renamed to `target` only when complete; its top directory is
 * made 0755 (umoci creates it 0700, which would shut out a container user that is not root).
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

export async function unpackRootfs(storeDir: string, manifest: { digest: string; size: number }, target: string): Promise<{ ok: true } | { ok: false; message: string }> {
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const layout = join(storeDir, 'tmp', `unpack-${suffix}`);
  const tmpRootfs = join(dirname(target), `.tmp-${basename(target)}-${suffix}`);
  try {
    await mkdir(layout, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(layout, 'index.json'), JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifest.digest, size: manifest.size, annotations: { 'org.opencontainers.image.ref.name': 'image' } }],
    }));
    await symlink(join(storeDir, 'blobs'), join(layout, 'blobs'));
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const p = spawn('umoci', ['raw', 'unpack', '--image', `${layout}:image`, tmpRootfs], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-8000); });
      p.on('error', (e) => resolve({ code: -1, err: `cannot run umoci: ${e.message}` }));
      p.on('close', (code) => resolve({ code, err }));
    });
    if (r.code !== 0) {
      await rm(tmpRootfs, { recursive: true, force: true });
      return { ok: false, message: `unpacking ${manifest.digest} failed: ${r.err.trim().split('\n').filter((l) => !/unpacking rootfs|\.\.\. done/.test(l)).join(' ').slice(0, 2000)}` };
    }
    await chmod(tmpRootfs, 0o755);
    try {
      await rename(tmpRootfs, target);
    } catch (e) {
      // Another process unpacked the same image first: its rootfs is as good as ours.
      await rm(tmpRootfs, { recursive: true, force: true });
      if (!['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '')) throw e;
    }
    return { ok: true };
  } finally {
    await rm(layout, { recursive: true, force: true });
  }
}
