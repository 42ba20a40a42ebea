/**
 * Every on-disk path of the agent, in one place, in Apache Mesos' layout. Nothing else in the
 * agent builds a path under `--work_dir` by hand.
 *
 * Sandboxes (what tasks see and what /files serves):
 *
 *   <work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/<container_id>/
 *       stdout, stderr                  the task's output (appended by the containerizer); a custom
 *                                       executor's own output
 *       tasks/<task_id>/                the sandbox of a task of a task group (default executor):
 *           stdout, stderr              its output; MESOS_SANDBOX points here
 *   <work_dir>/slaves/<agent_id>/frameworks/<framework_id>/executors/<executor_id>/runs/latest
 *                                       symlink to the newest run of that executor
 *
 * Checkpoints (what the agent reads back after a restart; every file is written atomically by
 * checkpoint.ts, except the append-only `task.updates` journal):
 *
 *   <work_dir>/meta/boot_id             the host's boot id at the last recovery (a change: the host rebooted)
 *   <work_dir>/meta/slaves/latest       symlink to meta/slaves/<agent_id> (absent: a fresh agent)
 *   <work_dir>/meta/slaves/<agent_id>/
 *       slave.info                      AgentInfo (JSON) the agent registered with
 *       resources.info                  reserved resources from CheckpointResources (JSON list)
 *       frameworks/<framework_id>/
 *           framework.info              FrameworkInfo (JSON)
 *           executors/<executor_id>/
 *               executor.info           ExecutorInfo (JSON; generated for a command task)
 *               runs/<container_id>/        also the containerizer's own files of the run's container
 *                                       (containerizer/README.md: pids, container.json, exit_status, ...;
 *                                       agents before 2026-11-23 kept them in a `container/` subdirectory,
 *                                       which recovery still reads when it is there)
 *                   tasks/<task_id>/
 *                       task.info       TaskInfo (JSON)
 *                       container/      a task group task's nested container files (pid, exit status)
 *                       task.updates    status update journal: one JSON record per line,
 *                                       {"update": StatusUpdate} or {"ack": uuid}, fsynced
 *   <work_dir>/fetch-cache/             the URI fetcher's cache
 *
 * Invariants: ids are used as single path components, so an id holding `/`, NUL or being `.` or
 * `..` is refused by `isSafeComponent` before any path is built from it.
 */
import { join } from 'node:path';

export function isSafeComponent(id: string): boolean {
  return id !== '' && id !== '.' && id !== '..' && !id.includes('/') && !id.includes('\0');
}

export interface RunKey {
  readonly agentId: string;
  readonly frameworkId: string;
  readonly executorId: string;
  readonly containerId: string;
}

export interface TaskKey extends RunKey {
  readonly taskId: string;
}

export function createPaths(workDir: string) {
  const meta = join(workDir, 'meta');
  const metaAgent = (agentId: string) => join(meta, 'slaves', agentId);
  const metaFramework = (agentId: string, frameworkId: string) => join(metaAgent(agentId), 'frameworks', frameworkId);
  const metaExecutor = (agentId: string, frameworkId: string, executorId: string) =>
    join(metaFramework(agentId, frameworkId), 'executors', executorId);
  const metaRun = (k: RunKey) => join(metaExecutor(k.agentId, k.frameworkId, k.executorId), 'runs', k.containerId);
  const metaTask = (k: TaskKey) => join(metaRun(k), 'tasks', k.taskId);
  const executorSandboxes = (agentId: string, frameworkId: string, executorId: string) =>
    join(workDir, 'slaves', agentId, 'frameworks', frameworkId, 'executors', executorId, 'runs');
  return {
    workDir,
    meta,
    metaSlaves: join(meta, 'slaves'),
    bootId: join(meta, 'boot_id'),
    latestAgent: join(meta, 'slaves', 'latest'),
    metaAgent,
    agentInfo: (agentId: string) => join(metaAgent(agentId), 'slave.info'),
    resourcesInfo: (agentId: string) => join(metaAgent(agentId), 'resources.info'),
    metaFrameworks: (agentId: string) => join(metaAgent(agentId), 'frameworks'),
    metaFramework,
    frameworkInfo: (agentId: string, frameworkId: string) => join(metaFramework(agentId, frameworkId), 'framework.info'),
    metaExecutors: (agentId: string, frameworkId: string) => join(metaFramework(agentId, frameworkId), 'executors'),
    metaExecutor,
    executorInfo: (agentId: string, frameworkId: string, executorId: string) =>
      join(metaExecutor(agentId, frameworkId, executorId), 'executor.info'),
    metaRuns: (agentId: string, frameworkId: string, executorId: string) => join(metaExecutor(agentId, frameworkId, executorId), 'runs'),
    metaRun,
    /** The containerizer's files of a run's container: the run's own directory (one directory less per launch). */
    containerRunDir: (k: RunKey) => metaRun(k),
    /** Where agents before 2026-11-23 kept them (`runs/<container_id>/container/`); recovery looks there first. */
    legacyContainerRunDir: (k: RunKey) => join(metaRun(k), 'container'),
    metaTasks: (k: RunKey) => join(metaRun(k), 'tasks'),
    metaTask,
    taskInfo: (k: TaskKey) => join(metaTask(k), 'task.info'),
    /** The runtime dir of a task group task's nested container. */
    nestedRunDir: (k: TaskKey) => join(metaTask(k), 'container'),
    taskUpdates: (k: TaskKey) => join(metaTask(k), 'task.updates'),
    executorSandboxes,
    /** A framework's directory: every executor's; its meta twin holds `framework.info` and every executor's checkpoints. */
    frameworkSandbox: (agentId: string, frameworkId: string) => join(workDir, 'slaves', agentId, 'frameworks', frameworkId),
    /** The `executors` directory in a framework's directory (its mtime: the last executor directory made or removed). */
    frameworkExecutorSandboxes: (agentId: string, frameworkId: string) => join(workDir, 'slaves', agentId, 'frameworks', frameworkId, 'executors'),
    /** An executor's directory: every run's sandbox; its meta twin holds `executor.info` and every run's checkpoints. */
    executorSandbox: (agentId: string, frameworkId: string, executorId: string) =>
      join(workDir, 'slaves', agentId, 'frameworks', frameworkId, 'executors', executorId),
    sandbox: (k: RunKey) => join(executorSandboxes(k.agentId, k.frameworkId, k.executorId), k.containerId),
    /** The sandbox of a task group task: `tasks/<task_id>` inside its executor's run sandbox (as Mesos' default executor). */
    taskSandbox: (k: TaskKey) => join(executorSandboxes(k.agentId, k.frameworkId, k.executorId), k.containerId, 'tasks', k.taskId),
    latestRunLink: (agentId: string, frameworkId: string, executorId: string) =>
      join(executorSandboxes(agentId, frameworkId, executorId), 'latest'),
    fetchCache: join(workDir, 'fetch-cache'),
  };
}

export type AgentPaths = ReturnType<typeof createPaths>;

/** Mesos' virtual /files paths of a sandbox: `/frameworks/F/executors/E/runs/<run>` (and `latest` for the newest run). */
export function virtualSandboxPaths(k: RunKey, isLatest: boolean): string[] {
  const base = `/frameworks/${k.frameworkId}/executors/${k.executorId}/runs`;
  return isLatest ? [`${base}/${k.containerId}`, `${base}/latest`] : [`${base}/${k.containerId}`];
}
