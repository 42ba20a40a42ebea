/**
 * Where a command task's output is in an agent's work dir (the slave/paths.ts layout):
 * `<work_dir>/slaves/<agent>/frameworks/<framework>/executors/<task>/runs/<run>/stdout`, for tests
 * that read what a task printed.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The sandboxes of every run of a task (one per launch of that task id), `latest` left out. */
export function taskSandboxes(workDir: string, frameworkId: string, taskId: string): string[] {
  const slaves = join(workDir, 'slaves');
  const dirs: string[] = [];
  for (const agentId of existsSync(slaves) ? readdirSync(slaves) : []) {
    const runs = join(slaves, agentId, 'frameworks', frameworkId, 'executors', taskId, 'runs');
    for (const run of existsSync(runs) ? readdirSync(runs) : []) if (run !== 'latest') dirs.push(join(runs, run));
  }
  return dirs;
}

/** The stdout files of a task's runs. */
export function taskStdouts(workDir: string, frameworkId: string, taskId: string): string[] {
  return taskSandboxes(workDir, frameworkId, taskId).map((d) => join(d, 'stdout')).filter((f) => existsSync(f));
}
