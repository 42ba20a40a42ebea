/**
 * Crash-safe files for the agent's checkpoints (DESIGN.md §4). A checkpoint is replaced
 * atomically: written to a temporary file beside it, fsynced, renamed over the old one, and the
 * directory fsynced, so after a crash at any point the file holds either the old or the new
 * content, never a mix. The status update journal is append-only: each record is one line, and
 * an append is durable (written with O_SYNC, or fsynced) before the caller goes on; a crash
 * mid-append leaves at most one partial last line, which `readJournal` reports and skips.
 *
 * Reading never throws for a missing or corrupt file: the outcome is a value, so recovery can
 * skip it loudly and go on.
 *
 * The asynchronous writers are built for launch waves (hundreds of tasks checkpointed at once):
 * what only touches the page cache (mkdir, write, rename, symlink) is done synchronously, which
 * costs a few microseconds, and only the waits for the disk (fsync, an O_SYNC write) go to
 * libuv's thread pool, side by side ("one fsync wave"), never fewer of them than the guarantees
 * above need:
 *  - `commitAtomic` puts several files and links in place: every temporary written, then all
 *    fsynced together, renamed, then every parent directory fsynced together;
 *  - `appendRecordGrouped` is group commit for journals: the records given for one journal in
 *    one turn of the event loop (or while that journal's previous write is on its way to disk)
 *    go out in one O_SYNC write, and the journals are written side by side. Promises settle in
 *    append order per journal, each once its record is durable.
 */
import {
  closeSync, constants, fsync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, write,
  writeSync,
} from 'node:fs';
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

/**
 * Points the symlink `link` at `target` atomically (a new link renamed over the old one), without
 * making it durable: for a link that only matters while the host stays up (a sandbox's
 * `runs/latest`: after a power loss the host rebooted and no run still runs).
 */
export function replaceLink(target: string, link: string): void {
  const tmp = tmpName(link);
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, link);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
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

function writeAllSync(fd: number, data: Uint8Array): void {
  for (let off = 0; off < data.length; ) off += writeSync(fd, data, off, data.length - off);
}

/** fsync(2) of an open descriptor on the thread pool (the descriptor stays open). */
function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e === null ? resolve() : reject(e))));
}

/** Writes all of `data` at the descriptor's offset on the thread pool (a regular file may take a short write). */
function writeAll(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (offset: number): void => {
      write(fd, data, offset, data.length - offset, null, (e, n) => {
        if (e !== null) reject(e);
        else if (offset + n < data.length) from(offset + n);
        else resolve();
      });
    };
    from(0);
  });
}

/** fsyncs every descriptor side by side, then closes them all (also on a failure, which is rethrown). */
async function fsyncAllAndClose(fds: readonly number[]): Promise<void> {
  const results = await Promise.allSettled(fds.map(fsyncFd));
  for (const fd of fds) closeSync(fd);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

/** fsyncs each directory once, side by side. */
function fsyncDirs(dirs: Iterable<string>): Promise<void> {
  const fds: number[] = [];
  try {
    for (const dir of new Set(dirs)) fds.push(openSync(dir, 'r'));
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    throw e;
  }
  return fsyncAllAndClose(fds);
}

/**
 * Runs at most `limit` of the given functions at once, the others waiting in call order. A launch
 * wave hands the agent hundreds of runs to checkpoint together: started all at once, each run's
 * fsyncs wait behind every other run's on the thread pool, and the first task can start only when
 * nearly every one is checkpointed (disk first, then all the process starts: one after the
 * other). Through a window, the first runs go on to their launch (CPU: forks and execs) while
 * later ones are being checkpointed (disk), and the thread pool's queue stays short for the
 * journal writes of the tasks already started.
 */
export function createWindow(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= limit) await new Promise<void>((r) => waiting.push(r));
    else running++;
    try {
      return await fn();
    } finally {
      // The slot goes straight to the first waiter, if any.
      if (waiting.length > 0) waiting.shift()!();
      else running--;
    }
  };
}

/** The window of run checkpoints under way at once (CheckpointStore.prepareRun): enough to keep a thread pool of 16 busy. */
export const runCheckpointWindow = createWindow(16);

/** One file or symbolic link that `commitAtomic` puts in place. */
export type AtomicEntry =
  | { readonly kind: 'file'; readonly path: string; readonly data: string | Uint8Array }
  | { readonly kind: 'link'; readonly path: string; readonly target: string };

/**
 * Puts every entry in place atomically and durably, as `writeAtomic` and `linkAtomic` each would,
 * with the fsyncs of all entries in two waves instead of one after the other: each file's
 * temporary written, all of them fsynced together, every file and link renamed over its target,
 * then each parent directory fsynced once, all together. Parent directories must exist. When it
 * fails, temporaries are removed and the targets are either untouched or already replaced whole.
 */
export async function commitAtomic(entries: readonly AtomicEntry[]): Promise<void> {
  const staged: { tmp: string; path: string }[] = [];
  const fds: number[] = [];
  try {
    for (const e of entries) {
      const tmp = tmpName(e.path);
      if (e.kind === 'link') {
        symlinkSync(e.target, tmp);
        staged.push({ tmp, path: e.path });
        continue;
      }
      const fd = openSync(tmp, 'w', 0o600);
      staged.push({ tmp, path: e.path });
      fds.push(fd);
      writeAllSync(fd, typeof e.data === 'string' ? Buffer.from(e.data) : e.data);
    }
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw e;
  }
  try {
    await fsyncAllAndClose(fds);
  } catch (e) {
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw e;
  }
  for (const [i, s] of staged.entries()) {
    try {
      renameSync(s.tmp, s.path);
    } catch (e) {
      for (const later of staged.slice(i)) rmSync(later.tmp, { force: true });
      throw e;
    }
  }
  await fsyncDirs(staged.map((s) => dirname(s.path)));
}

/** `writeAtomic` with its fsyncs on the thread pool; creates parent directories. */
export async function writeAtomicAsync(path: string, data: string | Uint8Array): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  await commitAtomic([{ kind: 'file', path, data }]);
}

/** `linkAtomic` with its fsync on the thread pool; creates parent directories. */
export async function linkAtomicAsync(target: string, link: string): Promise<void> {
  mkdirSync(dirname(link), { recursive: true });
  await commitAtomic([{ kind: 'link', path: link, target }]);
}

/** Append, create, durable: every write returns once its data is on disk (O_SYNC, fsync's guarantee per write). */
const APPEND_DURABLE = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_SYNC;

/** Opens a journal for durable appends; creates its parent directories when they are missing. */
function openJournal(path: string): number {
  try {
    return openSync(path, APPEND_DURABLE, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true });
    return openSync(path, APPEND_DURABLE, 0o600);
  }
}

/** Appends records as lines in one O_SYNC write: durable when the promise resolves. */
export async function appendRecordsAsync(path: string, records: readonly unknown[]): Promise<void> {
  const fd = openJournal(path);
  try {
    await writeAll(fd, Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join('')));
  } finally {
    closeSync(fd);
  }
}

/** `appendRecord` on the thread pool; the caller keeps appends to one file in order (one at a time). */
export function appendRecordAsync(path: string, record: unknown): Promise<void> {
  return appendRecordsAsync(path, [record]);
}

interface Waiting {
  readonly record: unknown;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Per journal: records not written yet, and whether a write of its own is on its way. */
const journals = new Map<string, { waiting: Waiting[]; writing: boolean }>();

/**
 * Group commit: queues `record` for the journal at `path`; resolves once it is durable. Appends
 * to one journal may be made without waiting for each other: they land in call order, and the
 * promises settle in that order. The records queued in one turn of the event loop, or while the
 * journal's previous write is under way, go out together in the next write.
 */
export function appendRecordGrouped(path: string, record: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    let j = journals.get(path);
    if (j === undefined) {
      j = { waiting: [], writing: false };
      journals.set(path, j);
    }
    j.waiting.push({ record, resolve, reject });
    // The first record of a turn waits for the others of the same turn (a task's STARTING and RUNNING come back to back).
    if (j.waiting.length === 1 && !j.writing) queueMicrotask(() => flushJournal(path));
  });
}

function flushJournal(path: string): void {
  const j = journals.get(path);
  if (j === undefined || j.writing) return;
  if (j.waiting.length === 0) {
    journals.delete(path);
    return;
  }
  const batch = j.waiting;
  j.waiting = [];
  j.writing = true;
  appendRecordsAsync(path, batch.map((w) => w.record)).then(
    () => { for (const w of batch) w.resolve(); },
    (e: unknown) => { for (const w of batch) w.reject(e); },
  ).finally(() => {
    j.writing = false;
    flushJournal(path);
  });
}
