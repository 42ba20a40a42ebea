/**
 * A small network of "hosts" for multi-host tests, made of Linux network namespaces: one
 * "switch" namespace holding a bridge, and one namespace per host joined to it by a veth pair
 * (the host's end is `eth0` with an address of 10.77.0.0/24, the switch's end is `v-<host>`).
 * Both ends of every veth are created inside namespaces, so nothing appears in the caller's own
 * namespace, and the 10.77.0.0/24 addresses exist only inside the lab: two labs
 * (tests running in parallel) never see each other. Namespace names carry a per-run prefix.
 *
 * Processes run in a host with `nsenter --net` (not `ip netns exec`, which also mounts a fresh
 * /sys and so hides the cgroup hierarchies from an agent); `cut` and `restore` take a host's link
 * down and up at the switch (a cable pulled). `destroy` SIGKILLs every process the lab started, then every
 * process still inside its namespaces, and deletes the namespaces (which deletes the veths and the
 * bridge). Everything the test needs from a host it reads from files, stdout, or a command run
 * inside a namespace (`run`, `request`): the caller never sends to a lab address from its own
 * namespace.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync, statSync } from 'node:fs';

export interface LabHost {
  readonly name: string;
  /** The namespace (`ip netns` name). */
  readonly ns: string;
  readonly ip: string;
}

export interface LabProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** Resolves with the first line that `match` accepts (rejects when the process exits first or after `timeoutMs`). */
  waitFor(match: (line: string) => boolean, timeoutMs?: number, from?: number): Promise<string>;
  readonly exited: Promise<void>;
}

export interface Lab {
  readonly prefix: string;
  readonly hosts: ReadonlyMap<string, LabHost>;
  host(name: string): LabHost;
  /** Starts `argv` inside `host`'s network namespace (nsenter execs it: the child is `argv[0]`). */
  spawn(host: string, argv: readonly string[], options?: { cwd?: string; env?: NodeJS.ProcessEnv }): LabProcess;
  /** Runs `argv` inside `host`'s namespace and returns its stdout (throws on a non-zero exit). */
  run(host: string, argv: readonly string[], options?: { cwd?: string }): string;
  /**
   * An HTTP request made from inside `host`'s namespace (by a short-lived `node`, so that nothing
   * but Node is needed): the status, the body and the `location` header (null when absent). A
   * JSON `body` is sent as application/json. Redirects are followed unless `redirect` is 'manual'.
   */
  request(host: string, url: string, options?: { method?: string; body?: unknown; redirect?: 'follow' | 'manual' }): { status: number; body: string; location: string | null };
  /** Takes the host's link down at the switch. */
  cut(host: string): void;
  restore(host: string): void;
  /** Kills every process of the lab and deletes its namespaces. Idempotent. */
  destroy(): Promise<void>;
}

const SUBNET = '10.77.0';

/** The switch's end of a host's veth. */
const port = (host: string) => `v-${host}`;

function ip(args: readonly string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The namespace names that `ip netns list` shows. */
export function listNamespaces(): string[] {
  return ip(['netns', 'list']).split('\n').map((l) => l.split(' ')[0]).filter((n) => n !== '');
}

/** Pids of the processes inside the namespace `ns` (their /proc/<pid>/ns/net is its inode). */
function pidsIn(ns: string): number[] {
  let inode: number;
  try {
    inode = statSync(`/run/netns/${ns}`).ino;
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readlinkSync(`/proc/${p}/ns/net`) === `net:[${inode}]`) pids.push(Number(p));
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/**
 * Makes the lab: `names[i]` gets address 10.77.0.(i + 1). On failure half-way, what was made is
 * removed before the error is thrown.
 */
export function createLab(names: readonly string[]): Lab {
  const prefix = `mh${process.pid.toString(36)}${randomBytes(2).toString('hex')}`;
  const sw = `${prefix}-sw`;
  const hosts = new Map<string, LabHost>(names.map((name, i) => [name, { name, ns: `${prefix}-${name}`, ip: `${SUBNET}.${i + 1}` }]));
  const made: string[] = [];
  const processes: LabProcess[] = [];
  let destroyed: Promise<void> | undefined;

  const host = (name: string): LabHost => {
    const h = hosts.get(name);
    if (h === undefined) throw new Error(`no host ${name} in the lab`);
    return h;
  };

  const lab: Lab = {
    prefix,
    hosts,
    host,
    spawn(name, argv, options = {}) {
      const child = spawn('nsenter', [`--net=/run/netns/${host(name).ns}`, '--', ...argv], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const listeners = new Set<() => void>();
      const onData = (c: Buffer) => {
        out += c.toString();
        for (const l of listeners) l();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      let hasExited = false;
      const exited = new Promise<void>((r) => child.once('exit', () => { hasExited = true; r(); for (const l of listeners) l(); }));
      const p: LabProcess = {
        child,
        output: () => out,
        exited,
        waitFor(match, timeoutMs = 30_000, from = 0) {
          return new Promise((resolve, reject) => {
            const check = () => {
              const line = out.slice(from).split('\n').find((l) => match(l));
              if (line !== undefined) done(() => resolve(line));
              else if (hasExited) done(() => reject(new Error(`${argv.join(' ')} in ${name} exited before the line awaited:\n${out.slice(-4000)}`)));
            };
            const timer = setTimeout(() => done(() => reject(new Error(`${argv.join(' ')} in ${name}: no line awaited within ${timeoutMs} ms:\n${out.slice(-4000)}`))), timeoutMs);
            const done = (settle: () => void) => {
              clearTimeout(timer);
              listeners.delete(check);
              settle();
            };
            listeners.add(check);
            check();
          });
        },
      };
      processes.push(p);
      return p;
    },
    run(name, argv, options = {}) {
      return execFileSync('nsenter', [`--net=/run/netns/${host(name).ns}`, '--', ...argv], { cwd: options.cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
    },
    request(name, url, options = {}) {
      // The script reads its request from argv and prints the answer as one JSON line.
      const script = `const [url, method, redirect, body] = process.argv.slice(1);
        const init = { method, redirect, signal: AbortSignal.timeout(10000) };
        if (body !== '') Object.assign(init, { body, headers: { 'content-type': 'application/json' } });
        const r = await fetch(url, init);
        process.stdout.write(JSON.stringify({ status: r.status, body: await r.text(), location: r.headers.get('location') }));`;
      const body = options.body === undefined ? '' : JSON.stringify(options.body);
      const out = lab.run(name, [process.execPath, '--input-type=module', '-e', script, url, options.method ?? 'GET', options.redirect ?? 'follow', body]);
      return JSON.parse(out) as { status: number; body: string; location: string | null };
    },
    cut(name) {
      ip(['-n', sw, 'link', 'set', 'dev', port(host(name).name), 'down']);
    },
    restore(name) {
      ip(['-n', sw, 'link', 'set', 'dev', port(host(name).name), 'up']);
    },
    destroy() {
      destroyed ??= (async () => {
        for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
        await Promise.all(processes.map((p) => p.exited));
        // Whatever they left inside (task processes, supervisors) goes too: a namespace lives on
        // while a process is in it.
        for (const ns of made) {
          for (let round = 0; round < 50; round++) {
            const pids = pidsIn(ns);
            if (pids.length === 0) break;
            for (const pid of pids) {
              try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
            }
            await new Promise((r) => setTimeout(r, 20));
          }
        }
        for (const ns of made.reverse()) {
          try { ip(['netns', 'del', ns]); } catch { /* gone already */ }
        }
      })();
      return destroyed;
    },
  };

  try {
    ip(['netns', 'add', sw]);
    made.push(sw);
    ip(['-n', sw, 'link', 'set', 'lo', 'up']);
    ip(['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    ip(['-n', sw, 'link', 'set', 'br0', 'up']);
    for (const h of hosts.values()) {
      ip(['netns', 'add', h.ns]);
      made.push(h.ns);
      ip(['-n', h.ns, 'link', 'set', 'lo', 'up']);
      ip(['-n', sw, 'link', 'add', 'name', port(h.name), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', h.ns]);
      ip(['-n', sw, 'link', 'set', 'dev', port(h.name), 'master', 'br0', 'up']);
      ip(['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', 'eth0']);
      ip(['-n', h.ns, 'link', 'set', 'eth0', 'up']);
    }
  } catch (e) {
    for (const ns of made.reverse()) {
      try { ip(['netns', 'del', ns]); } catch { /* gone already */ }
    }
    throw e;
  }
  return lab;
}
