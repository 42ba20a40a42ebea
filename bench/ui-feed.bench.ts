/**
 * The master UI's live feed at scale: a real Master (in process, the master's own test harness:
 * manual clock, agent connections that record what the master sends) with 10,000 SIMULATED agents
 * registered over the agent protocol's messages, 10 frameworks in 5 roles, and 100,000 tasks
 * launched by real ACCEPT calls (90% of them moved to TASK_RUNNING by status updates), plus the
 * offers the allocator makes of what is left. Then, for every topic of master/ui/web/master-protocol.ts:
 *
 *   compute_ms   computing the snapshot in a fresh state generation (what the hub does after a
 *                change: the shared index is rebuilt), median of 7 runs after a warm-up, for the
 *                first page (50 rows, default sort), a filtered page, a page sorted on another key
 *                and a deep page (offset 50,000) where the topic pages; wall time (compute_ms)
 *                and the process's CPU time (compute_cpu_ms, user + system: steadier than wall
 *                time on a loaded machine);
 *   push_bytes   the bytes of the snapshot message the hub pushed for it over a real WebSocket
 *                (loopback) to a subscribed client.
 *
 * `node --import=tsx bench/ui-feed.bench.ts 1000 10000` runs other sizes (agents, tasks).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { WebSocket } from 'ws';
import { harness, wire } from '../master/test-fixtures.ts';
import { createMasterUi } from '../master/ui/master-ui.ts';
import type { UiViews } from '../master/ui/views.ts';
import type { PageParams } from '../common/ui/web/live-protocol.ts';
import { emit, median, printTable, timeRuns, type BenchResult } from './report.ts';

const [agentArg, taskArg] = process.argv.slice(2).map(Number);
const AGENTS = agentArg > 0 ? agentArg : 10_000;
const TASKS = taskArg > 0 ? taskArg : 100_000;
const FRAMEWORKS = 10;
const config = { agents: AGENTS, tasks: TASKS, agents_kind: 'simulated', harness: 'in-process master' };
const results: BenchResult[] = [];

function record(extra: Record<string, string | number>, metric: string, value: number, unit: string): void {
  const r: BenchResult = { bench: 'ui-feed', config: { ...config, ...extra }, metric, value, unit };
  emit(r);
  results.push(r);
}

// Build the state.
const t0 = process.hrtime.bigint();
const h = harness({ allocationIntervalMs: 3_600_000 });
const frameworks = Array.from({ length: FRAMEWORKS }, (_, i) => h.subscribe({ name: `fw-${i}`, roles: [`role-${i % 5}`], capabilities: [{ type: 'MULTI_ROLE' }] }));
const agents = Array.from({ length: AGENTS }, (_, i) => h.registerAgent(`sim-${String(i).padStart(5, '0')}.bench`, 'cpus:64;mem:262144;disk:1000000;ports:[31000-32000]', {
  agent_info: { hostname: `sim-${String(i).padStart(5, '0')}.bench`, resources: wire('cpus:64;mem:262144;disk:1000000;ports:[31000-32000]'), attributes: [{ name: 'rack', type: 'TEXT', text: { value: `r${i % 40}` } }] },
}));
const connOf = new Map(agents.map((a) => [a.id, a.conn]));
h.settle();

let launched = 0;
const perAgent = Math.ceil(TASKS / AGENTS);
const running: { fw: string; agent: string; task: string }[] = [];
for (const fw of frameworks) {
  for (const offer of fw.sink.offers()) {
    if (launched >= TASKS) break;
    const n = Math.min(perAgent, TASKS - launched);
    const role = offer.resources?.[0]?.allocation_info?.role ?? '*';
    const res = (text: string) => wire(text).map((r) => ({ ...r, allocation_info: { role } }));
    const taskInfos = Array.from({ length: n }, (_, k) => {
      const id = `task-${String(launched + k).padStart(6, '0')}`;
      return { name: `app-${(launched + k) % 500}`, task_id: { value: id }, agent_id: offer.agent_id, resources: res('cpus:0.5;mem:512'), command: { value: 'sleep 1000' } };
    });
    const out = h.master.call(fw.id, { type: 'ACCEPT', accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: taskInfos } }], filters: { refuse_seconds: 0 } } });
    if (!out.ok) throw new Error(`ACCEPT refused: ${JSON.stringify(out)}`);
    for (const ti of taskInfos) if (launched++ % 10 !== 0) running.push({ fw: fw.id, agent: offer.agent_id.value, task: ti.task_id.value });
  }
}
if (launched < TASKS) throw new Error(`only ${launched} of ${TASKS} tasks launched: not enough offers`);
for (const r of running) {
  h.master.agentMessage(connOf.get(r.agent)!, { status_update: { framework_id: { value: r.fw }, status: { task_id: { value: r.task }, state: 'TASK_RUNNING', uuid: randomBytes(16).toString('base64') } } });
}
h.settle();
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
record({}, 'state_build_ms', Math.round(buildMs), 'ms');
record({}, 'outstanding_offers', h.master.state.offers.size, 'offers');

// The feed over that master, on a loopback server with one real client.
const ui = createMasterUi({ sampleIntervalMs: 3_600_000 });
const server = createServer((_q, s) => s.end());
ui.attach(server, h.master, h.allocator, []);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/ui/ws`);
await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
const pending = new Map<number, (bytes: number) => void>();
ws.on('message', (data: Buffer) => {
  const id = Number(/"id":(-?\d+)/.exec(data.toString('utf8', 0, 64))?.[1]);
  pending.get(id)?.(data.length);
  pending.delete(id);
});
let nextId = 1;
async function pushedBytes(topic: string, params: Record<string, unknown>): Promise<number> {
  const id = nextId++;
  const bytes = new Promise<number>((resolve) => pending.set(id, resolve));
  ws.send(JSON.stringify({ op: 'subscribe', id, topic, params }));
  const n = await bytes;
  ws.send(JSON.stringify({ op: 'unsubscribe', id }));
  return n;
}

const page = (p: Partial<PageParams> = {}): PageParams => ({ offset: 0, limit: 50, filter: '', sort: '', desc: false, ...p });

interface Case {
  readonly topic: string;
  readonly variant: string;
  readonly params: Record<string, unknown>;
  readonly run: (v: UiViews) => unknown;
}

const cases: Case[] = [];
const add = (topic: string, variant: string, params: Record<string, unknown>, run: (v: UiViews) => unknown) => cases.push({ topic, variant, params, run });
add('overview', 'snapshot', {}, (v) => v.overview());
add('roles', 'snapshot', {}, (v) => v.roles());
for (const [topic, defaultSort, filter, otherSort] of [
  ['agents', 'hostname', 'sim-0424', 'tasks'],
  ['frameworks', 'name', 'fw-3', 'tasks'],
  ['offers', 'id', 'sim-0424', 'cpus'],
  ['tasks', 'id', 'task-01234', 'state'],
  ['maintenance', 'hostname', 'sim-0424', 'mode'],
] as const) {
  const call = (p: PageParams) => (v: UiViews): unknown => {
    switch (topic) {
      case 'agents': return v.agents(p);
      case 'frameworks': return v.frameworks({ ...p, completed: false });
      case 'offers': return v.offers(p);
      case 'tasks': return v.tasks({ ...p, scope: 'active' });
      default: return v.maintenance(p);
    }
  };
  const variants: [string, PageParams][] = [
    ['first page', page({ sort: defaultSort })],
    [`filter '${filter}'`, page({ sort: defaultSort, filter })],
    [`sort ${otherSort} desc`, page({ sort: otherSort, desc: true })],
  ];
  if (topic === 'tasks') variants.push(['deep page (offset 50000)', page({ sort: defaultSort, offset: 50_000 })]);
  for (const [variant, p] of variants) add(topic, variant, { ...p }, call(p));
}

for (const c of cases) {
  const cpu: number[] = [];
  const ms = timeRuns(() => {
    const before = process.cpuUsage();
    ui.changed(); // a new generation: the shared index is rebuilt, as after a real change
    c.run(ui.views());
    const used = process.cpuUsage(before);
    cpu.push((used.user + used.system) / 1000);
  }, 7, 1);
  record({ topic: c.topic, variant: c.variant }, 'compute_ms', Math.round(median(ms) * 100) / 100, 'ms');
  record({ topic: c.topic, variant: c.variant }, 'compute_cpu_ms', Math.round(median(cpu.slice(1)) * 100) / 100, 'ms');
  record({ topic: c.topic, variant: c.variant }, 'push_bytes', await pushedBytes(c.topic, c.params), 'bytes');
}

ws.close();
await ui.close();
await new Promise<void>((resolve) => server.close(() => resolve()));
h.master.stop();
printTable(results);
