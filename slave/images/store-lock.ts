/**
 * The store's writer lock: operations that change the store (pull, import, unpack, remove, gc)
 * run one at a time, in this process (a promise chain) and across processes (an exclusive
 * `flock` on `<store>/lock`, because the agent and `maestro image` may write the same store).
 *
 * The flock is held by a `flock(1)` child that waits on its stdin: closing the pipe (or this
 * process dying) releases it, so a crashed writer never leaves the store locked. Readers
 * (`provision` of a stored image, `list`) take no lock: the index is replaced by rename and a rootfs
 * appears by rename, so they see the old state or the new one.
 */
import { spawn } from 'node:child_process';

export interface StoreLock {
  /** Runs `fn` holding the lock; the lock is released when it settles. */
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function createStoreLock(lockFile: string): StoreLock {
  let chain: Promise<unknown> = Promise.resolve();
  const acquire = (): Promise<() => void> =>
    new Promise((resolve, reject) => {
      const p = spawn('flock', ['-x', lockFile, 'sh', '-c', 'echo locked; read _ || true'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      let held = false;
      p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!held && out.includes('locked')) {
          held = true;
          resolve(() => {
            p.stdin.end();
          });
        }
      });
      p.on('error', (e) => reject(new Error(`cannot lock ${lockFile} (flock): ${e.message}`)));
      p.on('close', (code) => {
        if (!held) reject(new Error(`cannot lock ${lockFile} (flock exited ${code}): ${err.trim()}`));
      });
    });
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const next = chain.then(async () => {
        const release = await acquire();
        try {
          return await fn();
        } finally {
          release();
        }
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
