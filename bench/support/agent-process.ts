/**
 * A real `maestro agent` child process for the end-to-end benchmarks: started with the given
 * flags (Mesos names, `--name=value`), resolved once it logs `agent started`, rejected with what
 * it printed if it exits or stays silent first. The caller kills it (its exit hook, its `stop`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function spawnAgent(args: readonly string[], nodeArgs: readonly string[] = [], onSpawn: (child: ChildProcess) => void = () => undefined): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'maestro.mjs'), 'agent', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  onSpawn(child);
  let out = '';
  child.stderr!.on('data', (c: Buffer) => { out += c.toString(); });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`agent did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('"agent started"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`agent exited (code ${code}, signal ${sig}) before starting:\n${out}`));
    });
  });
  return child;
}
