/**
 * The members of `maestro cluster up` as child processes: start one, know when it is up (its
 * `<name> started` JSON log line, or redis-server's "Ready to accept connections"), stop them all.
 * Every member's stdout and stderr go to `<dir>/<name>.log`; nothing here writes to the terminal.
 *
 * Each member runs in a process group of its own, so that Ctrl-C in the terminal reaches
 * `cluster up` alone, which then stops the members in order; and under
 * `setpriv --pdeathsig TERM`, so that a `cluster up` that dies without stopping them (SIGKILL, a
 * crash) takes them along: the kernel sends SIGTERM to each when its parent exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const maestro = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'maestro.mjs');

export interface Member {
  readonly name: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

export interface StartedMember {
  readonly member: Member;
  /** `http://ip:port` of a maestro member, `redis://ip:port` of redis. */
  readonly address: string;
  /** Seconds from spawn to up. */
  readonly seconds: number;
}

/**
 * Spawns a child whose stdout/stderr go to `<dir>/<name>.log` and resolves once `isUp` finds the
 * line that says it is up. `onSpawn` gets the member at once, so that a caller can stop it even
 * when it never comes up. Rejects when the child exits (or cannot be spawned) first.
 */
function startChild(name: string, command: string, args: readonly string[], dir: string, onSpawn: (m: Member) => void,
  isUp: (line: string) => string | undefined, hint: string): Promise<StartedMember> {
  const started = Date.now();
  const log = createWriteStream(join(dir, `${name}.log`), { flags: 'a' });
  // setpriv execs the command: the child's pid is the member's.
  const child = spawn('setpriv', ['--pdeathsig', 'TERM', '--', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  // 'exit', not 'close': a task or database that outlives its member may hold the pipes open.
  const exited = new Promise<void>((r) => { child.once('exit', () => r()); child.once('error', () => r()); });
  const member = { name, child, exited };
  onSpawn(member);
  return new Promise((resolveUp, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const address = isUp(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (address !== undefined) {
          child.stdout!.off('data', onData);
          resolveUp({ member, address, seconds: (Date.now() - started) / 1000 });
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
    child.once('error', (e) => reject(new Error(`${name} could not start (${e.message})${hint}`)));
    child.once('exit', (code, signal) => reject(new Error(`${name} exited (${signal ?? `code ${code}`}) before it was up; see ${join(dir, `${name}.log`)}`)));
  });
}

/** `maestro <args>` as member `name`; up at its `... started` log line, whose `address` it resolves. */
export function startMaestroMember(name: string, args: readonly string[], dir: string, onSpawn: (m: Member) => void): Promise<StartedMember> {
  return startChild(name, process.execPath, [maestro, ...args], dir, onSpawn, (line) => {
    try {
      const rec = JSON.parse(line) as { msg?: string; address?: string };
      return rec.msg?.endsWith(' started') && rec.address ? rec.address : undefined;
    } catch {
      return undefined; // not a JSON log line
    }
  }, '');
}

/** A free TCP port on `ip` (the OS picks one). */
export function freePort(ip: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, ip, () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Debian's redis-server as a member: bound to `ip`, append-only file in `dataDir`. */
export async function startRedisMember(ip: string, dataDir: string, dir: string, onSpawn: (m: Member) => void): Promise<StartedMember> {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort(ip);
  return startChild('redis', 'redis-server', ['--port', String(port), '--bind', ip, '--dir', dataDir, '--appendonly', 'yes', '--save', '', '--daemonize', 'no'],
    dir, onSpawn, (line) => (line.includes('Ready to accept connections') ? `redis://${ip}:${port}` : undefined),
    '; run ./deploy/install-deps, or pass --redis');
}

function running(m: Member): boolean {
  return m.child.exitCode === null && m.child.signalCode === null;
}

/** SIGKILL to each member that still runs (a second Ctrl-C). */
export function killMembers(members: readonly Member[]): void {
  for (const m of members) if (running(m)) m.child.kill('SIGKILL');
}

/** SIGTERM to each member that still runs, SIGKILL after `graceMs`; resolves when all are gone. */
export async function stopMembers(members: readonly Member[], graceMs = 10_000): Promise<void> {
  await Promise.all(members.map(async (m) => {
    if (running(m)) {
      m.child.kill('SIGTERM');
      const t = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
      await m.exited;
      clearTimeout(t);
    } else {
      await m.exited;
    }
  }));
}
