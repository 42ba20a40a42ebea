/**
 * The agent's books on disk: what slave/agent.ts checkpoints while it runs and reads back after a
 * restart, over the tree of paths.ts, written with checkpoint.ts (atomic files, fsynced journal).
 *
 * `recover` walks the tree and returns everything it can read. A file that is missing, corrupt or
 * half-written (a crash mid-write) never stops recovery: the entry it belongs to is skipped, or
 * the torn journal line dropped, and a warning naming the file is returned for the agent to log.
 * A task whose task.info cannot be read is skipped; a run whose ids are not safe path components
 * is skipped.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, promises as fs, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { mesos } from '../proto/types.generated.ts';
import {
  appendRecordGrouped, commitAtomic, linkAtomic, readJournal, readJson, readLinkName, repairJournal, replaceLink, runCheckpointWindow, writeJsonAtomic,
} from './checkpoint.ts';
import { createPaths, isSafeComponent, type AgentPaths, type RunKey, type TaskKey } from './paths.ts';
import type { JournalRecord, UpdateJournal } from './status-update-manager.ts';

export interface RecoveredTask {
  readonly key: TaskKey;
  readonly info: mesos.v1.TaskInfo;
  readonly records: JournalRecord[];
}

export interface RecoveredRun {
  readonly key: RunKey;
  readonly latest: boolean;
  readonly tasks: RecoveredTask[];
}

export interface RecoveredExecutor {
  readonly info: mesos.v1.ExecutorInfo;
  readonly runs: RecoveredRun[];
}

export interface RecoveredFramework {
  readonly info: mesos.v1.FrameworkInfo;
  readonly executors: RecoveredExecutor[];
}

export interface RecoveredState {
  /** Undefined for a fresh work dir (no meta/slaves/latest). */
  readonly agentId?: string;
  readonly agentInfo?: mesos.v1.AgentInfo;
  readonly checkpointedResources: mesos.v1.Resource[];
  readonly frameworks: RecoveredFramework[];
  /** One line per file that could not be used. */
  readonly warnings: string[];
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

export class CheckpointStore implements UpdateJournal {
  readonly paths: AgentPaths;

  constructor(workDir: string) {
    this.paths = createPaths(workDir);
  }

  /** Records the agent's id and info: slave.info, then the `latest` link (the id counts once the link exists). */
  saveAgent(agentId: string, info: mesos.v1.AgentInfo): void {
    writeJsonAtomic(this.paths.agentInfo(agentId), info);
    linkAtomic(this.paths.metaAgent(agentId), this.paths.latestAgent);
  }

  /**
   * Forgets which agent this work dir belongs to: removes `meta/slaves/latest` and fsyncs its
   * directory, so that the next start registers as a new agent (Mesos' `Slave::finalize` after
   * the master shut the agent down). The old agent's directories stay; the next agent hands them
   * to the collector (`otherAgentSandboxes`). Idempotent.
   */
  forgetAgent(): void {
    rmSync(this.paths.latestAgent, { force: true });
    if (!existsSync(this.paths.metaSlaves)) return;
    const fd = openSync(this.paths.metaSlaves, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The `slaves/<agent_id>` directories of agents other than `current` (every one when undefined):
   * what earlier agents of this work dir left; as Mesos, a starting agent schedules them (with their
   * meta twins) for garbage collection.
   */
  otherAgentSandboxes(current: string | undefined): string[] {
    const root = join(this.paths.workDir, 'slaves');
    return listDirs(root).filter((id) => id !== current && isSafeComponent(id)).map((id) => join(root, id));
  }

  saveCheckpointedResources(agentId: string, resources: readonly mesos.v1.Resource[]): void {
    writeJsonAtomic(this.paths.resourcesInfo(agentId), resources);
  }

  saveFramework(agentId: string, info: mesos.v1.FrameworkInfo): void {
    writeJsonAtomic(this.paths.frameworkInfo(agentId, info.id!.value), info);
  }

  /**
   * Creates a run: the sandbox (with the executor's `runs/latest` link, replaced atomically but not
   * fsynced), the container's runtime dir, the task's (empty) update journal, and the checkpoints
   * of the executor and of the task.
   * The directories are made synchronously (page cache, microseconds); the checkpoints go through
   * `commitAtomic`, whose fsyncs run side by side on the thread pool; at most 16 runs at once
   * (`runCheckpointWindow`), the others wait their turn. Durable when it resolves.
   */
  async prepareRun(key: TaskKey, executor: mesos.v1.ExecutorInfo, task: mesos.v1.TaskInfo): Promise<void> {
    // Through a window (checkpoint.ts): in a wave, the first runs launch while later ones are checkpointed.
    await runCheckpointWindow(async () => {
      const sandbox = this.paths.sandbox(key);
      // The container's files go in the run's own directory (containerRunDir), made by the first. Top-down from the
      // framework's `executors` directories: one mkdir per directory made (node's recursive mkdir first fails its way up).
      makeDirsBelow(this.paths.metaExecutors(key.agentId, key.frameworkId), [key.executorId, 'runs', key.containerId, 'tasks', key.taskId]);
      makeDirsBelow(dirname(dirname(this.paths.executorSandboxes(key.agentId, key.frameworkId, key.executorId))), [key.executorId, 'runs', key.containerId]);
      // Created before task.info, so that the fsync of their directory makes its entry durable too.
      closeSync(openSync(this.paths.taskUpdates(key), 'a', 0o600));
      await commitAtomic([
        { kind: 'file', path: this.paths.executorInfo(key.agentId, key.frameworkId, key.executorId), data: JSON.stringify(executor) },
        { kind: 'file', path: this.paths.taskInfo(key), data: JSON.stringify(task) },
      ]);
      // Once the run is checkpointed, and not fsynced: what recovery needs of `latest` (is a custom executor's newest run still
      // up?) only holds while the host stays up; after a power loss the host rebooted and no run survived (boot-id.ts).
      replaceLink(sandbox, this.paths.latestRunLink(key.agentId, key.frameworkId, key.executorId));
    });
  }

  /**
   * Appends a status update journal record; resolves once it is durable. Group commit
   * (checkpoint.ts `appendRecordGrouped`): appends to one journal may overlap, land in call order,
   * and those made together share one O_SYNC write.
   */
  append(journalPath: string, record: JournalRecord): Promise<void> {
    return appendRecordGrouped(journalPath, record);
  }

  /** A task group task's own sandbox (`tasks/<task_id>` in its executor's run) and its nested container's runtime dir; after `prepareRun`. */
  async prepareNested(key: TaskKey): Promise<void> {
    await Promise.all([fs.mkdir(this.paths.taskSandbox(key), { recursive: true }), fs.mkdir(this.paths.nestedRunDir(key), { recursive: true })]);
  }

  /** The directory of a recovered run's container files: `container/` when an older agent made the run, else the run's own. */
  recoveredContainerRunDir(key: RunKey): string {
    const legacy = this.paths.legacyContainerRunDir(key);
    return existsSync(legacy) ? legacy : this.paths.containerRunDir(key);
  }

  /** Whether a directory (a sandbox) is still there (garbage collection removes them). */
  exists(directory: string): boolean {
    return existsSync(directory);
  }

  recover(): RecoveredState {
    const warnings: string[] = [];
    const agentId = readLinkName(this.paths.latestAgent);
    if (agentId === undefined) return { checkpointedResources: [], frameworks: [], warnings };
    const agentInfo = readJson<mesos.v1.AgentInfo>(this.paths.agentInfo(agentId));
    if (agentInfo.kind !== 'ok') {
      warnings.push(agentInfo.kind === 'missing' ? `${this.paths.agentInfo(agentId)} is missing` : agentInfo.message);
    }
    const reserved = readJson<mesos.v1.Resource[]>(this.paths.resourcesInfo(agentId));
    if (reserved.kind === 'corrupt') warnings.push(reserved.message);
    const frameworks: RecoveredFramework[] = [];
    for (const frameworkId of listDirs(this.paths.metaFrameworks(agentId))) {
      const fi = readJson<mesos.v1.FrameworkInfo>(this.paths.frameworkInfo(agentId, frameworkId));
      if (fi.kind !== 'ok') {
        warnings.push(fi.kind === 'missing' ? `${this.paths.frameworkInfo(agentId, frameworkId)} is missing; framework skipped` : `${fi.message}; framework skipped`);
        continue;
      }
      const executors: RecoveredExecutor[] = [];
      for (const executorId of listDirs(this.paths.metaExecutors(agentId, frameworkId))) {
        const path = this.paths.executorInfo(agentId, frameworkId, executorId);
        const ei = readJson<mesos.v1.ExecutorInfo>(path);
        if (ei.kind !== 'ok') {
          warnings.push(ei.kind === 'missing' ? `${path} is missing; executor skipped` : `${ei.message}; executor skipped`);
          continue;
        }
        const latestRun = readLinkName(this.paths.latestRunLink(agentId, frameworkId, executorId));
        const runs: RecoveredRun[] = [];
        for (const containerId of listDirs(this.paths.metaRuns(agentId, frameworkId, executorId))) {
          if (!isSafeComponent(containerId)) continue;
          const key: RunKey = { agentId, frameworkId, executorId, containerId };
          const tasks: RecoveredTask[] = [];
          for (const taskId of listDirs(this.paths.metaTasks(key))) {
            const tkey: TaskKey = { ...key, taskId };
            const ti = readJson<mesos.v1.TaskInfo>(this.paths.taskInfo(tkey));
            if (ti.kind !== 'ok') {
              warnings.push(ti.kind === 'missing' ? `${this.paths.taskInfo(tkey)} is missing; task skipped` : `${ti.message}; task skipped`);
              continue;
            }
            const journalPath = this.paths.taskUpdates(tkey);
            const torn = repairJournal(journalPath);
            if (torn > 0) warnings.push(`${journalPath}: dropped a torn last record (${torn} bytes)`);
            const journal = readJournal<JournalRecord>(journalPath);
            for (const s of journal.skipped) warnings.push(`${s.message}; record skipped`);
            tasks.push({ key: tkey, info: ti.value, records: journal.records });
          }
          runs.push({ key, latest: containerId === latestRun, tasks });
        }
        executors.push({ info: ei.value, runs });
      }
      frameworks.push({ info: fi.value, executors });
    }
    return {
      agentId,
      ...(agentInfo.kind === 'ok' ? { agentInfo: agentInfo.value } : {}),
      checkpointedResources: reserved.kind === 'ok' ? reserved.value : [],
      frameworks,
      warnings,
    };
  }
}

/**
 * Makes `base/parts[0]/.../parts[n-1]` top-down, one mkdir per level (a level that exists is
 * fine); when `base` itself is missing (the first run of a framework), recursively.
 */
export function makeDirsBelow(base: string, parts: readonly string[]): void {
  let dir = base;
  for (const [i, part] of parts.entries()) {
    dir = join(dir, part);
    try {
      mkdirSync(dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'ENOENT' && i === 0) {
        mkdirSync(join(base, ...parts), { recursive: true });
        return;
      }
      throw e;
    }
  }
}
