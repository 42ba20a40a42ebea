/**
 * Test support for containerizer tests with real processes: a temp dir whose launch specs each get
 * a sandbox and a run dir under it. At teardown every container specced from it is SIGKILLed
 * (by each containerizer `containerizers()` names then) and the dir removed.
 */
import type { ExecutionContext } from 'ava';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resources } from '../../common/resources/resources.ts';
import { asContainerId } from '../containerizer.ts';
import type { Containerizer, ContainerId, LaunchSpec } from '../containerizer.ts';

export interface LaunchBox {
  readonly dir: string;
  /** A spec for container `name`, its sandbox and run dir made: `<dir>/<name>/{sandbox,run}`. */
  spec(name: string, command: LaunchSpec['command'], extra?: Partial<LaunchSpec>): Promise<LaunchSpec>;
}

export interface LaunchBoxOptions {
  /** The temp dir's name prefix (`maestro-posix-`). */
  readonly prefix: string;
  /** Each container's resources (`cpus:0.1;mem:32`). */
  readonly resources: string;
  /** Environment beside `MESOS_SANDBOX`. */
  readonly environment?: Readonly<Record<string, string>>;
}

export async function launchBox(t: ExecutionContext, containerizers: () => readonly Containerizer[], options: LaunchBoxOptions): Promise<LaunchBox> {
  const dir = await mkdtemp(join(tmpdir(), options.prefix));
  const ids: ContainerId[] = [];
  t.teardown(async () => {
    for (const c of containerizers()) for (const id of ids) await c.kill(id, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    async spec(name, command, extra = {}) {
      const containerId = asContainerId(name);
      ids.push(containerId);
      const sandbox = join(dir, name, 'sandbox');
      const runDir = join(dir, name, 'run');
      await mkdir(sandbox, { recursive: true });
      await mkdir(runDir, { recursive: true });
      return {
        containerId, sandbox, runDir, command,
        environment: { ...options.environment, MESOS_SANDBOX: sandbox }, resources: Resources.parse(options.resources),
        ...extra,
      };
    },
  };
}

/** A shell command. */
export const sh = (value: string): LaunchSpec['command'] => ({ shell: true, value, arguments: [] });
