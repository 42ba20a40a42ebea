/**
 * The agent's side of launcher.sh: one long-lived tiny `/bin/sh` that starts supervisors, so that
 * a launch wave forks a small shell per task instead of the agent's large Node heap (the
 * agent-launch benchmark: fork from Node dominated launch time).
 *
 * `start(runDir)` writes one request line and resolves with the supervisor's handshake (its pid
 * and the task's) or a failure value. The launcher is started on first use and again after it
 * died. Requests written to a launcher that died are settled once that launcher's stdout pipe is
 * closed by every holder (the launcher and the supervisors it started, which answer through it
 * before letting go): a request whose run directory was claimed (its `supervisor.log`, which a
 * launcher creates with noclobber just before it starts the supervisor) and never answered
 * fails; one never claimed is sent again to the new launcher (the claim makes a resend start
 * nothing twice). A request not answered within `handshakeTimeoutMs` fails.
 *
 * Invariants: every `start` resolves exactly once; the launcher supervises nothing (tasks, exit
 * codes and supervisors never depend on it); nothing here keeps the agent's event loop alive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { exists } from './run-files.ts';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger, Timers } from '../../common/ports.ts';
import { CLAIM_FILE, encodeRequest, parseReply } from './task-script.ts';

export const LAUNCHER_PATH = fileURLToPath(new URL('./launcher.sh', import.meta.url));
const LAUNCHER_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** util-linux's setpriv (the package of setsid, which a launch requires): it gives the launcher a parent-death signal. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

export type StartResult = { readonly ok: true; readonly supervisorPid: number; readonly taskPid: number } | { readonly ok: false; readonly message: string };

export interface Launcher {
  start(runDir: string): Promise<StartResult>;
  /** The live launcher's pid (tests kill it), or undefined. */
  pid(): number | undefined;
  /** Closes the launcher's stdin (it exits); pending requests fail. */
  close(): void;
}

export interface LauncherOptions {
  readonly supervisorPath: string;
  readonly timers: Timers;
  readonly logger: Logger;
  readonly handshakeTimeoutMs?: number;
}

interface Pending {
  readonly seq: number;
  readonly runDir: string;
  readonly done: (r: StartResult) => void;
  generation: number;
}

interface Instance {
  readonly child: ChildProcess;
  readonly generation: number;
  alive: boolean;
}

export function createLauncher(opts: LauncherOptions): Launcher {
  const timeoutMs = opts.handshakeTimeoutMs ?? 60_000;
  const pending = new Map<number, Pending>();
  let seq = 0;
  let generation = 0;
  let current: Instance | undefined;
  let closed = false;

  function spawnLauncher(): Instance {
    // SIGKILL when the agent dies (PR_SET_PDEATHSIG through setpriv, kept across its exec of sh): otherwise the launcher would
    // read on the requests left in its pipe and start their tasks after the agent is gone, while (or after) the next agent
    // finds their run directories without a record and reports them ended. A request it already took may still start (its
    // supervisor writes `pids` within milliseconds, long before a new agent looks).
    const words = [LAUNCHER_PATH, opts.supervisorPath];
    const [file, args] = SETPRIV !== undefined ? [SETPRIV, ['--pdeathsig', 'KILL', '--', '/bin/sh', ...words]] : ['/bin/sh', words];
    const child = spawn(file, args, {
      cwd: '/',
      env: { PATH: LAUNCHER_PATH_ENV },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const inst: Instance = { child, generation: ++generation, alive: true };
    child.unref();
    const stdin = child.stdin!;
    const stdout = child.stdout!;
    (stdin as unknown as { unref?: () => void }).unref?.();
    (stdout as unknown as { unref?: () => void }).unref?.();
    stdin.on('error', () => undefined);
    let buf = '';
    stdout.setEncoding('utf8');
    stdout.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const reply = parseReply(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (reply === undefined) continue;
        const p = pending.get(reply.seq);
        if (p === undefined) continue;
        settle(p, reply.ok ? { ok: true, supervisorPid: reply.supervisorPid, taskPid: reply.taskPid } : { ok: false, message: 'the supervisor could not start' });
      }
    });
    const died = () => {
      if (!inst.alive) return;
      inst.alive = false;
      if (current === inst) current = undefined;
      opts.logger.warn({ pid: child.pid, generation: inst.generation }, 'Task launcher exited');
    };
    child.once('exit', died);
    child.once('error', died);
    stdout.once('close', () => {
      died();
      void orphaned(inst.generation);
    });
    return inst;
  }

  function settle(p: Pending, r: StartResult): void {
    if (pending.get(p.seq) !== p) return;
    pending.delete(p.seq);
    p.done(r);
  }

  /** Requests sent to a launcher whose pipe has no writer left: claimed ones failed, the others go again. */
  async function orphaned(gen: number): Promise<void> {
    for (const p of [...pending.values()]) {
      if (p.generation !== gen) continue;
      if (await exists(join(p.runDir, CLAIM_FILE))) settle(p, { ok: false, message: 'the supervisor ended before its handshake' });
      else if (closed) settle(p, { ok: false, message: 'the launcher was closed' });
      else send(p);
    }
  }

  function send(p: Pending): void {
    if (current === undefined || !current.alive) current = spawnLauncher();
    p.generation = current.generation;
    current.child.stdin!.write(encodeRequest(p.seq, p.runDir));
  }

  return {
    start(runDir) {
      if (closed) return Promise.resolve({ ok: false, message: 'the launcher was closed' });
      return new Promise<StartResult>((resolve) => {
        const s = ++seq;
        const timer = opts.timers.setTimeout(() => settle(p, { ok: false, message: `no handshake from the supervisor within ${timeoutMs} ms` }), timeoutMs);
        const p: Pending = {
          seq: s,
          runDir,
          generation: 0,
          done: (r) => {
            opts.timers.clear(timer);
            resolve(r);
          },
        };
        pending.set(s, p);
        send(p);
      });
    },
    pid: () => (current?.alive === true ? current.child.pid : undefined),
    close() {
      closed = true;
      current?.child.stdin?.end();
      current = undefined;
      for (const p of [...pending.values()]) settle(p, { ok: false, message: 'the launcher was closed' });
    },
  };
}

