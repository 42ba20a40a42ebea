/**
 * The URI fetcher: puts a task's `CommandInfo.uris` into its sandbox before launch, with Mesos'
 * fetcher semantics:
 *   - sources: `http://` and `https://` (Node's fetch), `file://PATH` and absolute paths;
 *   - the file is named after the URI's last path segment, or `output_file` (relative to the
 *     sandbox, never escaping it);
 *   - `executable`: chmod 0755 and no extraction; otherwise `extract` (default true) unpacks
 *     .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz (Debian's tar) and .zip (Debian's unzip)
 *     into the sandbox, the archive staying beside what it held;
 *   - `cache`: the content is kept under `cacheDir`, keyed by user and URI, and later fetches of
 *     the same URI copy it from there without touching the source (concurrent fetches of one
 *     entry share one download);
 *   - an HTTP transfer that stalls (`stallTimeoutMs`, 60 s as Mesos) fails;
 *   - `user`: everything in the sandbox is chowned to that user, as Mesos chowns the sandbox.
 * Failures are values naming the URI (`Failed to fetch 'URI': ...`); the first failure stops the
 * fetch. Cache entries are written to a temporary name and renamed, so a crash never leaves a
 * half entry behind.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, normalize, relative } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import type { mesos } from '../../proto/types.generated.ts';
import { lookupUser } from './launch-check.ts';
import { exists } from './run-files.ts';

export type FetchResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

export interface FetchOptions {
  readonly sandbox: string;
  readonly cacheDir: string;
  readonly user?: string;
  /** An HTTP transfer that receives nothing for this long is abandoned (Mesos' --fetcher_stall_timeout, 60 s). */
  readonly stallTimeoutMs?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 60_000;

/** Cache entries being downloaded now, so that tasks fetching the same URI at once download it once. */
const cacheDownloads = new Map<string, Promise<FetchResult>>();
let partCounter = 0;

type Source = { kind: 'http'; url: string } | { kind: 'file'; path: string };

/** Where a URI's bytes come from; undefined for schemes the fetcher does not speak. */
export function sourceOf(uri: string): Source | undefined {
  if (/^https?:\/\//i.test(uri)) return { kind: 'http', url: uri };
  if (uri.startsWith('file://')) {
    try {
      return { kind: 'file', path: fileURLToPath(uri) };
    } catch {
      return undefined;
    }
  }
  if (isAbsolute(uri)) return { kind: 'file', path: uri };
  return undefined;
}

/** The file name a URI is saved under (its last path segment, without query or fragment). */
export function fileNameOf(uri: string): string {
  const withoutQuery = uri.replace(/[?#].*$/, '');
  const path = /^[a-z][a-z0-9+.-]*:\/\//i.test(withoutQuery) ? withoutQuery.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '') : withoutQuery;
  let name = basename(path);
  try {
    name = decodeURIComponent(name);
  } catch {
    // Not percent-encoded text: the raw segment is the name.
  }
  return name;
}

export type ArchiveKind = 'tar' | 'zip';

/** Which unpacker an archive name needs; undefined when it is not an archive the fetcher extracts. */
export function archiveKindOf(name: string): ArchiveKind | undefined {
  const n = name.toLowerCase();
  if (/\.(tar|tar\.gz|tgz|tar\.bz2|tbz2|tar\.xz|txz)$/.test(n)) return 'tar';
  if (n.endsWith('.zip')) return 'zip';
  return undefined;
}

function run(file: string, args: readonly string[]): Promise<{ ok: true } | { ok: false; message: string }> {
  return new Promise((done) =>
    execFile(file, args, { encoding: 'utf8' }, (err, _stdout, stderr) =>
      done(err === null ? { ok: true } : { ok: false, message: (stderr.trim() || err.message).split('\n')[0] }),
    ),
  );
}


async function download(source: Source, to: string, stallTimeoutMs: number): Promise<FetchResult> {
  const tmp = `${to}.${process.pid}.${partCounter++}.part`;
  const abort = new AbortController();
  let stall: NodeJS.Timeout | undefined;
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => abort.abort(new Error(`stalled: nothing received for ${stallTimeoutMs} ms`)), stallTimeoutMs);
  };
  try {
    if (source.kind === 'file') {
      const s = await stat(source.path).catch(() => undefined);
      if (s === undefined) return { ok: false, message: 'no such file' };
      if (!s.isFile()) return { ok: false, message: 'not a regular file' };
      await copyFile(source.path, tmp);
    } else {
      armStall();
      const response = await fetch(source.url, { redirect: 'follow', signal: abort.signal });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        return { ok: false, message: `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}` };
      }
      const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
      body.on('data', armStall);
      await pipeline(body, createWriteStream(tmp), { signal: abort.signal });
    }
    await rename(tmp, to);
    return { ok: true };
  } catch (cause) {
    await rm(tmp, { force: true });
    if (abort.signal.aborted) return { ok: false, message: (abort.signal.reason as Error).message };
    const c = cause as Error & { cause?: Error };
    return { ok: false, message: c.cause?.message ?? c.message };
  } finally {
    clearTimeout(stall);
  }
}

async function fetchOne(uri: mesos.v1.CommandInfo.URI, opts: FetchOptions): Promise<FetchResult> {
  const fail = (why: string): FetchResult => ({ ok: false, message: `Failed to fetch '${uri.value}': ${why}` });
  const source = sourceOf(uri.value);
  if (source === undefined) return fail('unsupported URI scheme (http, https, file and absolute paths are)');
  const name = uri.output_file ?? fileNameOf(uri.value);
  const target = normalize(join(opts.sandbox, name));
  const rel = relative(opts.sandbox, target);
  if (name === '' || rel === '' || rel.startsWith('..') || isAbsolute(name)) return fail(`output file '${name}' is not a path inside the sandbox`);
  await mkdir(join(target, '..'), { recursive: true });

  const stallTimeoutMs = opts.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  if (uri.cache === true) {
    const key = createHash('sha256').update(`${opts.user ?? ''}\0${uri.value}`).digest('hex');
    const entry = join(opts.cacheDir, key);
    if (!(await exists(entry))) {
      let pending = cacheDownloads.get(entry);
      if (pending === undefined) {
        pending = mkdir(opts.cacheDir, { recursive: true })
          .then(() => download(source, entry, stallTimeoutMs))
          .finally(() => cacheDownloads.delete(entry));
        cacheDownloads.set(entry, pending);
      }
      const got = await pending;
      if (!got.ok) return fail(got.message);
    }
    await copyFile(entry, target);
  } else {
    const got = await download(source, target, stallTimeoutMs);
    if (!got.ok) return fail(got.message);
  }

  if (uri.executable === true) {
    await chmod(target, 0o755);
    return { ok: true };
  }
  const kind = uri.extract === false ? undefined : archiveKindOf(name);
  if (kind === 'tar') {
    const r = await run('tar', ['-xf', target, '-C', opts.sandbox, '--no-same-owner']);
    if (!r.ok) return fail(`cannot extract: ${r.message}`);
  } else if (kind === 'zip') {
    const r = await run('unzip', ['-o', '-q', target, '-d', opts.sandbox]);
    if (!r.ok) return fail(`cannot extract: ${r.message}`);
  }
  return { ok: true };
}

export async function fetchUris(uris: readonly mesos.v1.CommandInfo.URI[], opts: FetchOptions): Promise<FetchResult> {
  for (const uri of uris) {
    const r = await fetchOne(uri, opts);
    if (!r.ok) return r;
  }
  if (opts.user !== undefined && uris.length > 0) {
    const user = await lookupUser(opts.user);
    if (user === undefined) return { ok: false, message: `Failed to chown the fetched files: no such user '${opts.user}'` };
    const r = await run('chown', ['-R', `${user.uid}:${user.gid}`, opts.sandbox]);
    if (!r.ok) return { ok: false, message: `Failed to chown the fetched files to '${opts.user}': ${r.message}` };
  }
  return { ok: true };
}
