/**
 * Reads a batch task's stdout and stderr for the UI: the master says which agent holds the task,
 * the agent says where the task's sandbox is, and the agent's `/files/read` (the Mesos files API,
 * path-jailed) serves the bytes. Batch serves them to the browser from its own port, so the
 * browser never needs to reach an agent.
 *
 *   agent id ─► master GET /master/slaves (each master of --master until one answers; a
 *               follower redirects to the leader) ─► the agent's `pid` (slave(1)@host:port)
 *   task id  ─► agent GET /state: frameworks and completed_frameworks, executors and
 *               completed_executors, the one whose tasks/completed_tasks hold the task ─► directory
 *   bytes    ─► agent GET /files/read?path=<directory>/<file>&offset=&length= ─► {data, offset}
 *
 * Agent addresses and sandbox directories do not change for a task: both are cached; a miss
 * (the task not launched yet, an agent that has not reported it) is an outcome, not a throw.
 */
import type { Timers } from '../../../common/ports.ts';

/** The files a task's sandbox has that the UI shows. */
export const LOG_FILES = ['stdout', 'stderr'] as const;
export type LogFile = (typeof LOG_FILES)[number];

/** One read of `/files/read`, at most 64 KiB (the agent's cap). */
export const READ_BYTES = 64 * 1024;

export type LogRead =
  | { readonly ok: true; readonly data: string; readonly offset: number; /** The file's length when the read began. */ readonly size: number }
  | { readonly ok: false; readonly reason: 'no-agent' | 'agent-unknown' | 'task-unknown' | 'unreachable' | 'no-file'; readonly message: string };

/** The HTTP the reader needs (a port: fetch in production, a fake in unit tests). */
export type HttpGet = (url: string) => Promise<{ readonly status: number; readonly json: unknown }>;

export const fetchJson: HttpGet = async (url) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
};

export interface TaskLogReader {
  /** Bytes of `file` of the task from `offset` (-1: only learn the size), at most `length`. */
  read(agentId: string | undefined, taskId: string, file: LogFile, offset: number, length?: number): Promise<LogRead>;
}

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** `slave(1)@10.0.0.5:5051` -> `10.0.0.5:5051`. */
export function pidAddress(pid: unknown): string | undefined {
  if (typeof pid !== 'string') return undefined;
  const at = pid.lastIndexOf('@');
  const address = at < 0 ? pid : pid.slice(at + 1);
  return /^[^\s/]+:\d+$/.test(address) ? address : undefined;
}

/** The sandbox directory of `taskId` in an agent's `/state`, if it lists the task. */
export function sandboxOf(state: Json, taskId: string): string | undefined {
  for (const fw of [...(state?.frameworks ?? []), ...(state?.completed_frameworks ?? [])]) {
    for (const ex of [...(fw?.executors ?? []), ...(fw?.completed_executors ?? [])]) {
      const tasks = [...(ex?.tasks ?? []), ...(ex?.completed_tasks ?? []), ...(ex?.queued_tasks ?? [])];
      if (tasks.some((t: Json) => t?.id === taskId) && typeof ex.directory === 'string' && ex.directory !== '') return ex.directory;
    }
  }
  return undefined;
}

export function createTaskLogReader(masters: readonly string[], get: HttpGet = fetchJson): TaskLogReader {
  const agents = new Map<string, string>();
  const sandboxes = new Map<string, { agent: string; directory: string }>();

  const agentAddress = async (agentId: string): Promise<string | LogRead> => {
    const known = agents.get(agentId);
    if (known !== undefined) return known;
    let reached = false;
    for (const master of masters) {
      try {
        const r = await get(`http://${master}/master/slaves`);
        if (r.status !== 200) continue;
        reached = true;
        for (const s of ((r.json as Json)?.slaves ?? []) as Json[]) {
          const address = pidAddress(s?.pid);
          if (typeof s?.id === 'string' && address !== undefined) agents.set(s.id, address);
        }
        break;
      } catch {
        // The next master, if any.
      }
    }
    if (!reached) return { ok: false, reason: 'unreachable', message: `no master answered at ${masters.join(',')}` };
    return agents.get(agentId) ?? { ok: false, reason: 'agent-unknown', message: `the master does not know agent ${agentId}` };
  };

  return {
    async read(agentId, taskId, file, offset, length = READ_BYTES) {
      let where = sandboxes.get(taskId);
      if (where === undefined) {
        if (agentId === undefined) return { ok: false, reason: 'no-agent', message: `task ${taskId} has not been placed on an agent yet` };
        const agent = await agentAddress(agentId);
        if (typeof agent !== 'string') return agent;
        let state;
        try {
          state = await get(`http://${agent}/state`);
        } catch (e) {
          return { ok: false, reason: 'unreachable', message: `agent ${agent}: ${(e as Error).message}` };
        }
        const directory = state.status === 200 ? sandboxOf(state.json, taskId) : undefined;
        if (directory === undefined) return { ok: false, reason: 'task-unknown', message: `agent ${agent} lists no sandbox for task ${taskId}` };
        where = { agent, directory };
        sandboxes.set(taskId, where);
      }
      const path = `${where.directory}/${file}`;
      const q = (o: number, l?: number) => `http://${where!.agent}/files/read?path=${encodeURIComponent(path)}&offset=${o}${l === undefined ? '' : `&length=${l}`}`;
      try {
        const size = await get(q(-1));
        if (size.status === 404) return { ok: false, reason: 'no-file', message: `${file} does not exist in the sandbox (yet)` };
        if (size.status !== 200) return { ok: false, reason: 'unreachable', message: `agent ${where.agent}: /files/read answered ${size.status}` };
        const total = Number((size.json as Json)?.offset ?? 0);
        if (offset < 0) return { ok: true, data: '', offset: total, size: total };
        const r = await get(q(offset, Math.min(length, READ_BYTES)));
        if (r.status !== 200) return { ok: false, reason: 'unreachable', message: `agent ${where.agent}: /files/read answered ${r.status}` };
        const json = r.json as Json;
        return { ok: true, data: String(json?.data ?? ''), offset: Number(json?.offset ?? offset), size: total };
      } catch (e) {
        return { ok: false, reason: 'unreachable', message: `agent ${where.agent}: ${(e as Error).message}` };
      }
    },
  };
}

/**
 * Follows a file as it grows (the UI's live log): reads from the last `tailBytes` of the file,
 * then every `periodMs` whatever was appended, and calls `onData` only when there is new data.
 * `onWaiting` says why nothing can be read yet (not placed, no file); reading goes on until `stop`.
 */
export function followLog(reader: TaskLogReader, timers: Timers, target: { agentId: () => Promise<string | undefined>; taskId: string; file: LogFile },
  on: { data(chunk: { offset: number; data: string }): void; waiting(message: string): void }, periodMs = 1000, tailBytes = READ_BYTES): () => void {
  let next: number | undefined;
  let busy = false;
  let stopped = false;
  let lastWaiting = '';
  const round = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      for (;;) {
        const r = await reader.read(await target.agentId(), target.taskId, target.file, next ?? -1);
        if (stopped) return;
        if (!r.ok) {
          if (r.message !== lastWaiting) on.waiting(r.message);
          lastWaiting = r.message;
          return;
        }
        lastWaiting = '';
        if (next === undefined) {
          next = Math.max(0, r.size - tailBytes);
          continue;
        }
        if (r.data.length === 0) return;
        on.data({ offset: r.offset, data: r.data });
        next = r.offset + Buffer.byteLength(r.data);
        if (next >= r.size) return;
      }
    } finally {
      busy = false;
    }
  };
  void round();
  const handle = timers.setInterval(() => void round(), periodMs);
  return () => {
    stopped = true;
    timers.clear(handle);
  };
}
