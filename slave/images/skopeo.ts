/**
 * skopeo (Debian's, containers/image) as the store's transport: copies an image from a registry
 * (`docker://`), an OCI layout or archive (`oci:`, `oci-archive:`) or a `docker save` archive
 * (`docker-archive:`) into an OCI layout, writing blobs into the store's shared blob directory
 * (`--dest-shared-blob-dir`), which skips blobs already there. skopeo verifies every blob against
 * its digest and a by-digest manifest against the reference's digest.
 *
 * `explainCopyFailure` turns skopeo's stderr into the store's messages (pure, tested).
 */
import { spawn } from 'node:child_process';

export interface CopyOptions {
  readonly source: string;
  readonly destLayout: string;
  readonly sharedBlobDir: string;
  readonly plainHttp?: boolean;
  /** A Docker config.json (auths) with the credentials for the source registry. */
  readonly authFile?: string;
  readonly timeoutMs?: number;
}

export type CopyResult = { readonly ok: true } | { readonly ok: false; readonly stderr: string };

export function skopeoCopy(o: CopyOptions): Promise<CopyResult> {
  const args = ['--command-timeout', `${Math.ceil((o.timeoutMs ?? 600_000) / 1000)}s`, 'copy', '--quiet', '--dest-shared-blob-dir', o.sharedBlobDir];
  if (o.source.startsWith('docker://')) {
    args.push(`--src-tls-verify=${o.plainHttp ? 'false' : 'true'}`);
    if (o.authFile) args.push('--src-authfile', o.authFile);
    else args.push('--src-no-creds');
  }
  args.push(o.source, `oci:${o.destLayout}:image`);
  return new Promise((resolve) => {
    const p = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-8000); });
    p.on('error', (e) => resolve({ ok: false, stderr: `cannot run skopeo: ${e.message}` }));
    p.on('close', (code, signal) => resolve(code === 0 ? { ok: true } : { ok: false, stderr: stderr.trim() || `skopeo exited with ${code ?? signal}` }));
  });
}

/** skopeo's `level=fatal msg="..."` text, unquoted; the raw stderr otherwise. */
export function skopeoMessage(stderr: string): string {
  const m = /msg="((?:[^"\\]|\\.)*)"/.exec(stderr);
  if (!m) return stderr.trim();
  try {
    return JSON.parse(`"${m[1]}"`) as string;
  } catch {
    return m[1];
  }
}

export type CopyFailureKind = 'unreachable' | 'manifest-unknown' | 'auth' | 'digest' | 'corrupt' | 'other';

export function classifyCopyFailure(stderr: string): CopyFailureKind {
  const s = skopeoMessage(stderr).toLowerCase();
  if (/digest did not match|digest mismatch|does not match digest|expected digest|computed digest/.test(s)) return 'digest';
  if (/manifest unknown|name unknown|not found: manifest/.test(s)) return 'manifest-unknown';
  if (/unauthorized|authentication required|invalid username\/password|denied/.test(s)) return 'auth';
  if (/connection refused|no such host|i\/o timeout|network is unreachable|pinging container registry|dial tcp|tls: |connection reset|context deadline exceeded/.test(s)) return 'unreachable';
  if (/unexpected eof|invalid tar|archive\/tar|gzip|unexpected end|invalid character|unmarshal|no such file|not a directory|parsing/.test(s)) return 'corrupt';
  return 'other';
}

/** The message of a failed pull of `reference` from `host`. */
export function explainPullFailure(reference: string, host: string, stderr: string, hadCredentials: boolean): string {
  const detail = skopeoMessage(stderr).replace(/^Error parsing image name "[^"]*": /, '').replace(/^initializing source \S+: /, '');
  switch (classifyCopyFailure(stderr)) {
    case 'unreachable': return `registry ${host} is unreachable: ${detail}`;
    case 'manifest-unknown': return `image '${reference}' is not in registry ${host} (manifest unknown): ${detail}`;
    case 'auth': return hadCredentials
      ? `registry ${host} refused the credentials for '${reference}': ${detail}`
      : `registry ${host} requires credentials for '${reference}' and none are configured (--docker_config): ${detail}`;
    case 'digest': return `digest mismatch pulling '${reference}' from ${host}: ${detail}`;
    default: return `pulling '${reference}' from ${host} failed: ${detail}`;
  }
}

export function explainImportFailure(path: string, what: string, stderr: string): string {
  const detail = skopeoMessage(stderr);
  switch (classifyCopyFailure(stderr)) {
    case 'digest': return `corrupt archive ${path}: digest mismatch in ${what}: ${detail}`;
    default: return `corrupt archive ${path}: cannot read ${what}: ${detail}`;
  }
}
