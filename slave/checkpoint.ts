/**
 * Crash-safe files for the agent's checkpoints (DESIGN.md §4). A checkpoint is replaced
 * atomically: written to a temporary file beside it, fsynced, renamed over the old one, and the
 * directory fsynced, so after a crash at any point the file holds either the old or the new
 * content, never a mix. The status update journal is append-only: each record is one line,
 * appended and fsynced before the caller goes on; a crash mid-append leaves at most one partial
 * last line, which `readJournal` reports and skips.
 *
 * Reading never throws for a missing or corrupt file: the outcome is a value, so recovery can
 * skip it loudly and go on. The `*Async` variants do the same work on libuv's thread pool, so the
 * fsyncs of many checkpoints written at once overlap.
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import { basename, dirname } from 'node:path';

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

let tmpCounter = 0;
const tmpName = (path: string) => `${path}.tmp-${process.pid}-${tmpCounter++}`;

/** Writes `data` to `path` atomically (write, fsync, rename, fsync the directory); creates parent directories. */
export function writeAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tmpName(path);
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dir);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeAtomic(path, JSON.stringify(value));
}

/** Points the symlink `link` at `target` atomically (a new link renamed over the old one). */
export function linkAtomic(target: string, link: string): void {
  const dir = dirname(link);
  mkdirSync(dir, { recursive: true });
  const tmp = tmpName(link);
  symlinkSync(target, tmp);
  renameSync(tmp, link);
  fsyncDir(dir);
}

/** The last path component the symlink points at, or undefined when there is no such link. */
export function readLinkName(link: string): string | undefined {
  try {
    return basename(readlinkSync(link));
  } catch {
    return undefined;
  }
}

export function removeLink(link: string): void {
  rmSync(link, { force: true });
}

export type ReadOutcome<T> =
  | { readonly kind: 'ok'; readonly value: T }
  | { readonly kind: 'missing' }
  | { readonly kind: 'corrupt'; readonly message: string };

export function readJson<T>(path: string): ReadOutcome<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'corrupt', message: `cannot read ${path}: ${(e as Error).message}` };
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as T };
  } catch (e) {
    return { kind: 'corrupt', message: `${path} is not valid JSON (${(e as Error).message}); a write was cut short` };
  }
}

/** Appends one record as a line and fsyncs it; creates parent directories. */
export function appendRecord(path: string, record: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(record)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export interface JournalRead<T> {
  readonly records: T[];
  /** Lines that did not parse (a torn last write), with their line numbers. */
  readonly skipped: { readonly line: number; readonly message: string }[];
}

/** Reads a journal written by `appendRecord`; an absent file is an empty journal. */
export function readJournal<T>(path: string): JournalRead<T> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: [] };
    return { records: [], skipped: [{ line: 0, message: `cannot read ${path}: ${(e as Error).message}` }] };
  }
  const records: T[] = [];
  const skipped: { line: number; message: string }[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line === '') return;
    try {
      records.push(JSON.parse(line) as T);
    } catch (e) {
      skipped.push({ line: i + 1, message: `${path}:${i + 1} is not a whole record (${(e as Error).message})` });
    }
  });
  return { records, skipped };
}

/**
 * Cuts a torn last line (a crash mid-append) off a journal so the next append starts on a line of
 * its own. Returns the number of bytes removed (0 when the journal ends cleanly or is absent).
 */
export function repairJournal(path: string): number {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    return 0;
  }
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return 0;
  const keep = bytes.lastIndexOf(0x0a) + 1;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, keep);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return bytes.length - keep;
}

async function fsyncDirAsync(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * `writeAtomic` on the thread pool: many checkpoints written at once have their fsyncs run in
 * parallel instead of one after the other on the event loop (a launch wave checkpoints several
 * files per task).
 */
export async function writeAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tmpName(path);
  const fh = await fs.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(typeof data === 'string' ? Buffer.from(data) : data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, path);
  await fsyncDirAsync(dir);
}

/** `linkAtomic` on the thread pool. */
export async function linkAtomicAsync(target: string, link: string): Promise<void> {
  const dir = dirname(link);
  await fs.mkdir(dir, { recursive: true });
  const tmp = tmpName(link);
  await fs.symlink(target, tmp);
  await fs.rename(tmp, link);
  await fsyncDirAsync(dir);
}

/** `appendRecord` on the thread pool; the caller keeps appends to one file in order (one at a time). */
export async function appendRecordAsync(path: string, record: unknown): Promise<void> {
  await fs.mkdir(dirname(path), { recursive: true });
  const fh = await fs.open(path, 'a', 0o600);
  try {
    await fh.write(`${JSON.stringify(record)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
