/**
 * A real Marathon setup for integration tests: a master (50 ms allocation interval), agents with
 * their own advertised hostnames and attributes, a fresh PostgreSQL database, and `maestro
 * marathon` processes on ephemeral loopback ports. Teardown stops everything (and the agents' task
 * processes) and drops the database, also when the test failed.
 */
import type { ExecutionContext } from 'ava';
import { startAgent, startMaestro, startMaster, killTaskProcesses, type Flags, type MaestroProcess } from './maestro-process.ts';
import { createTestDatabase } from './postgres.ts';
import { eventually } from './eventually.ts';

export type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface MarathonCluster {
  readonly master: MaestroProcess;
  readonly agents: readonly MaestroProcess[];
  readonly databaseUrl: string;
  readonly marathon: MaestroProcess;
  /** Starts another marathon on the same master and database (HA, restarts). */
  startMarathon(opts?: { workDir?: string; flags?: Flags }): Promise<MaestroProcess>;
}

export interface AgentSpec {
  readonly hostname?: string;
  readonly attributes?: string;
  readonly resources?: string;
}

export async function startMarathon(t: ExecutionContext, masterUrl: string, databaseUrl: string, opts: { workDir?: string; flags?: Flags } = {}): Promise<MaestroProcess> {
  const master = masterUrl.replace(/^https?:\/\//, '');
  const p = await startMaestro('marathon', { master, database: databaseUrl, logging_level: 'WARNING', ...opts.flags }, 'marathon started', 60_000, {
    listenFlags: { http_address: '127.0.0.1', http_port: 0 },
    ...(opts.workDir === undefined ? {} : { workDir: opts.workDir }),
  });
  t.teardown(() => p.stop());
  return p;
}

export async function startMarathonCluster(t: ExecutionContext, agents: readonly AgentSpec[] = [{}], flags: Flags = {}): Promise<MarathonCluster> {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const master = await startMaster({ allocation_interval: '50ms', quiet: true });
  t.teardown(() => master.stop());
  const started: MaestroProcess[] = [];
  for (const [n, spec] of agents.entries()) {
    const agent = await startAgent(master.url, {
      resources: spec.resources ?? 'cpus:4;mem:4096;disk:4096;ports:[31000-31999]',
      hostname: spec.hostname ?? `agent${n}.test`,
      ...(spec.attributes === undefined ? {} : { attributes: spec.attributes }),
    });
    t.teardown(async () => {
      killTaskProcesses(agent.workDir);
      await agent.stop();
    });
    started.push(agent);
  }
  const marathon = await startMarathon(t, master.url, db.url, { flags });
  return {
    master,
    agents: started,
    databaseUrl: db.url,
    marathon,
    startMarathon: (opts = {}) => startMarathon(t, master.url, db.url, opts),
  };
}

export interface Reply {
  readonly status: number;
  readonly body: Json;
  readonly text: string;
  readonly headers: Headers;
}

/** One HTTP call to marathon; the body is parsed when it is JSON. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: Json;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export { eventually };

/** The app's tasks once exactly `count` run (TASK_RUNNING) and no deployment holds it. */
export function appSettled(base: string, appId: string, count: number, timeoutMs = 60_000): Promise<Json[]> {
  return eventually(async () => {
    const r = await call(base, 'GET', `/v2/apps${appId}`);
    if (r.status !== 200) return undefined;
    const app = r.body.app;
    const running = (app.tasks as Json[]).filter((task) => task.state === 'TASK_RUNNING');
    return app.deployments.length === 0 && running.length === count && app.tasks.length === count ? running : undefined;
  }, `${appId} to run ${count} tasks with no deployment`, timeoutMs);
}

/** Collects `/v2/events` (SSE) into `events` until `close()`. */
export function openEventStream(base: string, query = ''): { events: Json[]; close(): void; ready: Promise<void> } {
  const events: Json[] = [];
  const ac = new AbortController();
  const ready = (async () => {
    const res = await fetch(`${base}/v2/events${query}`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    if (!res.ok || !res.body) throw new Error(`event stream: ${res.status}`);
    const reader = res.body.getReader();
    let buf = '';
    void (async () => {
      const decoder = new TextDecoder();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += decoder.decode(value, { stream: true });
          let cut: number;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
            if (data !== '') events.push(JSON.parse(data));
          }
        }
      } catch {
        /* aborted */
      }
    })();
  })();
  return { events, ready, close: () => ac.abort() };
}
