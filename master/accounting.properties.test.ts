/**
 * Resource accounting under random sequences of master operations, with agents simulated at the
 * agent-protocol seam: they run what RunTask says (command tasks, and tasks of a custom executor
 * that ends with ExecutorExited after its tasks), keep what CheckpointResources says, answer pings
 * (unless partitioned), KillTask and ShutdownFramework with TASK_KILLED, keep each task's updates
 * in a queue sent head first (with `latest_state` when more wait) until acknowledged, resend on
 * re-registration, and answer ReconcileTasks. After every step:
 * - every offer is in its framework's and agent's books, both registered and active;
 * - per agent, offered + used by live tasks <= total; the total stays the agent's resources, with
 *   exactly the dynamic reservations the agent was told to checkpoint (RESERVE, UNRESERVE, and
 *   re-registrations reporting them);
 * - the allocator's allocation (all roles) equals the master's books: outstanding offers plus live
 *   tasks and executors on registered agents;
 * - no task is both live and unreachable.
 * Then everything is brought back and quiesced (frameworks re-subscribe, agents re-register, every
 * task ends, every update is acknowledged, offers are declined): no task may stay in the books and
 * nothing may stay allocated. Finally, with every framework torn down, nothing is offered.
 */
import test from 'ava';
import fc from 'fast-check';
import { Resources } from '../common/resources/resources.ts';
import type { maestro, mesos } from '../proto/types.generated.ts';
import { harness, RecordingAgent, wire } from './test-fixtures.ts';
import { isTerminal } from './task-state-machine.ts';

type Op =
  | { k: 'subscribe'; pa: boolean; failover: number }
  | { k: 'resubscribe' | 'disconnect' | 'teardown' | 'decline' | 'ack' | 'kill' | 'reconcile' | 'reserve' | 'unreserve'; i: number }
  | { k: 'accept'; i: number; n: number; bad: boolean; executor: boolean }
  | { k: 'executor-exit'; i: number }
  | { k: 'register' }
  | { k: 'drop-agent' | 'partition' | 'reregister'; i: number; omit: boolean; fast: boolean }
  | { k: 'update'; i: number; state: mesos.v1.TaskState; dup: boolean }
  | { k: 'stray-update'; i: number }
  | { k: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('subscribe' as const), pa: fc.boolean(), failover: fc.constantFrom(0, 3, 100) }),
  fc.record({ k: fc.constantFrom('resubscribe', 'disconnect', 'teardown', 'decline', 'ack', 'ack', 'kill', 'reconcile'), i: fc.nat(7) }),
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('reserve', 'reserve', 'unreserve'), i: fc.constant(0) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('accept' as const), i: fc.nat(7), n: fc.integer({ min: 1, max: 3 }), bad: fc.boolean(), executor: fc.boolean() }) },
  fc.record({ k: fc.constant('executor-exit' as const), i: fc.nat(7) }),
  fc.record({ k: fc.constant('register' as const) }),
  fc.record({ k: fc.constantFrom('drop-agent', 'partition', 'reregister'), i: fc.nat(7), omit: fc.boolean(), fast: fc.boolean() }),
  { weight: 5, arbitrary: fc.record({
    k: fc.constant('update' as const), i: fc.nat(20),
    state: fc.constantFrom<mesos.v1.TaskState>('TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED', 'TASK_FAILED', 'TASK_KILLED', 'TASK_LOST'),
    dup: fc.boolean(),
  }) },
  fc.record({ k: fc.constant('stray-update' as const), i: fc.nat(7) }),
  fc.record({ k: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 4000 }) }),
);

interface SimTask {
  readonly id: string;
  readonly fid: string;
  readonly agent: SimAgent;
  readonly resources: mesos.v1.Resource[];
  /** The newest state, as the agent knows it. */
  state: mesos.v1.TaskState;
  /** Updates not yet acknowledged, oldest first; the head is the one (re)sent. */
  pending: { state: mesos.v1.TaskState; uuid: string }[];
  /** Left out of a re-registration: the agent no longer knows it. */
  forgotten?: boolean;
  readonly executorId?: string;
}

interface SimExecutor {
  readonly fid: string;
  readonly agent: SimAgent;
  readonly info: mesos.v1.ExecutorInfo;
}

interface SimAgent {
  readonly host: string;
  id: string;
  conn: RecordingAgent;
  seen: number;
  /** Answers no pings while set. */
  partitioned: boolean;
  /** What the master last sent in CheckpointResources, reported on re-registration. */
  checkpointed: mesos.v1.Resource[];
}

function run(ops: readonly Op[]): string | undefined {
  const h = harness({ agentPingTimeoutMs: 1000, maxAgentPingTimeouts: 2 });
  const frameworks: { id: string; info: mesos.v1.FrameworkInfo; streamId: string; sink: ReturnType<typeof h.subscribe>['sink'] }[] = [];
  const agents: SimAgent[] = [];
  const tasks: SimTask[] = [];
  /** Live executors; one leaves with ExecutorExited. */
  const executors: SimExecutor[] = [];
  let seq = 0;
  const uuid = () => Buffer.from(`u${String(seq++).padStart(15, '0')}`).toString('base64');

  const send = (a: SimAgent, status_update: maestro.agent.StatusUpdate) => {
    if (a.conn.closedWith === undefined) h.master.agentMessage(a.conn, { status_update });
  };
  const sendHead = (tk: SimTask) => {
    const head = tk.pending[0];
    if (head === undefined) return;
    const latest = tk.pending.length > 1 ? { latest_state: tk.state } : {};
    send(tk.agent, { framework_id: { value: tk.fid }, status: { task_id: { value: tk.id }, state: head.state, uuid: head.uuid, agent_id: { value: tk.agent.id } }, ...latest });
  };
  const report = (tk: SimTask, state: mesos.v1.TaskState) => {
    tk.state = state;
    tk.pending.push({ state, uuid: uuid() });
    if (tk.pending.length === 1) sendHead(tk);
  };
  /** An executor ends: its tasks' terminal updates first, then ExecutorExited (as the agent protocol asks). */
  const exitExecutor = (e: SimExecutor) => {
    for (const tk of tasks) if (tk.agent === e.agent && tk.fid === e.fid && tk.executorId === e.info.executor_id.value && !isTerminal(tk.state)) report(tk, 'TASK_FAILED');
    executors.splice(executors.indexOf(e), 1);
    if (e.agent.conn.closedWith === undefined) {
      h.master.agentMessage(e.agent.conn, { executor_exited: { framework_id: { value: e.fid }, executor_id: e.info.executor_id, status: 0 } });
    }
  };
  /** The simulated agents act on what the master sent them. */
  const agentsReact = () => {
    for (let round = 0; round < 5; round++) {
      let acted = false;
      for (const a of agents) {
        const fresh = a.conn.sent.slice(a.seen);
        a.seen = a.conn.sent.length;
        for (const m of fresh) {
          acted = true;
          if (m.checkpoint_resources) {
            a.checkpointed = m.checkpoint_resources.resources ?? [];
          } else if (m.ping) {
            if (!a.partitioned && a.conn.closedWith === undefined) h.master.agentMessage(a.conn, { pong: { sequence: m.ping.sequence } });
          } else if (m.run_task) {
            const fid = m.run_task.framework.id!.value;
            const ex = m.run_task.executor;
            if (ex !== undefined && !executors.some((e) => e.agent === a && e.fid === fid && e.info.executor_id.value === ex.executor_id.value)) {
              executors.push({ fid, agent: a, info: { ...ex, framework_id: { value: fid } } });
            }
            tasks.push({ id: m.run_task.task.task_id.value, fid, agent: a, resources: m.run_task.task.resources ?? [], state: 'TASK_STAGING', pending: [], ...(ex ? { executorId: ex.executor_id.value } : {}) });
          } else if (m.status_update_acknowledgement) {
            const ack = m.status_update_acknowledgement;
            const tk = tasks.find((x) => x.agent === a && x.id === ack.task_id.value && x.fid === ack.framework_id.value);
            if (tk && tk.pending[0]?.uuid === ack.uuid) {
              tk.pending.shift();
              sendHead(tk);
            }
          } else if (m.kill_task) {
            const tk = tasks.find((x) => x.agent === a && x.id === m.kill_task!.task_id.value && x.fid === m.kill_task!.framework_id.value);
            if (tk && !isTerminal(tk.state)) report(tk, 'TASK_KILLED');
          } else if (m.shutdown_framework) {
            const fid = m.shutdown_framework.framework_id.value;
            for (const tk of tasks) if (tk.agent === a && tk.fid === fid && !isTerminal(tk.state)) report(tk, 'TASK_KILLED');
            for (const e of executors.filter((x) => x.agent === a && x.fid === fid)) exitExecutor(e);
          } else if (m.reconcile_tasks) {
            for (const id of m.reconcile_tasks.task_ids ?? []) {
              const tk = tasks.find((x) => x.agent === a && x.id === id.value);
              if (tk === undefined) {
                send(a, { framework_id: m.reconcile_tasks.framework_id, status: { task_id: id, state: 'TASK_LOST', uuid: uuid() } });
              } else if (tk.forgotten) {
                if (!isTerminal(tk.state)) report(tk, 'TASK_LOST');
              } else if (tk.pending.length > 0) {
                sendHead(tk);
              } else {
                report(tk, tk.state);
              }
            }
          }
        }
      }
      if (!acted) break;
    }
  };

  const books = (): string | undefined => {
    const s = h.master.state;
    for (const [id, o] of s.offers) {
      const f = s.frameworks.get(o.frameworkId);
      const a = s.agents.get(o.agentId);
      if (f === undefined || !f.offers.has(id)) return `offer ${id} not in its framework's books`;
      if (a === undefined || !a.offers.has(id)) return `offer ${id} names an agent that is gone`;
      if (!f.active) return `offer ${id} held by inactive framework ${f.id}`;
      if (!a.active) return `offer ${id} on inactive agent ${a.id}`;
    }
    for (const f of s.frameworks.values()) for (const id of f.offers) if (!s.offers.has(id)) return `framework ${f.id} lists a dead offer ${id}`;
    for (const a of s.agents.values()) for (const id of a.offers) if (!s.offers.has(id)) return `agent ${a.id} lists a dead offer ${id}`;
    let inBooks = Resources.empty;
    for (const a of s.agents.values()) {
      let held = Resources.empty;
      for (const id of a.offers) held = held.plus(s.offers.get(id)!.resources.unallocate());
      for (const f of s.frameworks.values()) {
        for (const t of f.tasks.values()) if (t.agentId === a.id && !isTerminal(t.task.state)) held = held.plus(t.resources.unallocate());
        for (const e of f.executors.get(a.id)?.values() ?? []) held = held.plus(e.resources.unallocate());
      }
      if (!a.total.contains(held)) return `agent ${a.id}: offered + used ${held} > total ${a.total}`;
      if (a.total.scalar('cpus') !== 2 || a.total.scalar('mem') !== 256) return `agent ${a.id}: total ${a.total} is not the agent's cpus:2;mem:256`;
      const sim = agents.find((x) => x.id === a.id);
      const checkpointed = Resources.fromProto(sim?.checkpointed ?? []).reserved('dev').scalar('cpus');
      if (a.total.reserved('dev').scalar('cpus') !== checkpointed) return `agent ${a.id}: reserved ${a.total.reserved('dev')} but the agent checkpointed cpus(dev):${checkpointed}`;
      inBooks = inBooks.plus(held);
    }
    for (const f of s.frameworks.values()) for (const id of f.tasks.keys()) if (f.unreachableTasks.has(id)) return `task ${id} both live and unreachable`;
    let allocated = Resources.empty;
    for (const r of h.allocator.roleShares()) allocated = allocated.plus(r.allocated);
    for (const name of ['cpus', 'mem']) {
      if (Math.abs(allocated.scalar(name) - inBooks.scalar(name)) > 1e-6) {
        return `allocator holds ${name}:${allocated.scalar(name)} but the books say ${inBooks.scalar(name)}`;
      }
    }
    return undefined;
  };

  for (const [step, o] of ops.entries()) {
    const fw = 'i' in o ? frameworks[o.i % Math.max(1, frameworks.length)] : undefined;
    const agent = 'i' in o ? agents[o.i % Math.max(1, agents.length)] : undefined;
    switch (o.k) {
      case 'subscribe': {
        const info: mesos.v1.FrameworkInfo = {
          user: 'root', name: `f${frameworks.length}`, failover_timeout: o.failover, capabilities: o.pa ? [{ type: 'PARTITION_AWARE' }] : [],
          ...(o.pa ? { role: 'dev', principal: 'ops' } : {}),
        };
        const sub = h.subscribe(info);
        if (sub.out.ok) frameworks.push({ id: sub.id, info: { ...info, id: { value: sub.id } }, streamId: sub.streamId, sink: sub.sink });
        break;
      }
      case 'resubscribe':
        if (fw) {
          const sub = h.subscribe(fw.info);
          if (sub.out.ok) Object.assign(fw, { streamId: sub.streamId, sink: sub.sink });
        }
        break;
      case 'disconnect':
        if (fw) h.master.disconnected(fw.id as never, fw.streamId as never);
        break;
      case 'teardown':
        if (fw) h.master.call(fw.id as never, { type: 'TEARDOWN' });
        break;
      case 'reserve':
      case 'unreserve': {
        const rec = fw && [...h.master.state.offers.values()].find((x) => x.frameworkId === fw.id && x.role === 'dev');
        if (fw && rec) {
          const op: mesos.v1.Offer.Operation = o.k === 'reserve'
            ? { type: 'RESERVE', reserve: { resources: Resources.parse('cpus:0.5').pushReservation({ type: 'DYNAMIC', role: 'dev', principal: 'ops' }).toProto() } }
            : { type: 'UNRESERVE', unreserve: { resources: rec.resources.unallocate().reserved('dev').filter((r) => r.name === 'cpus').toProto() } };
          h.master.call(fw.id as never, { type: 'ACCEPT', accept: { offer_ids: [rec.offer.id], operations: [op], filters: { refuse_seconds: 0 } } });
        }
        break;
      }
      case 'decline': {
        const offer = fw && [...h.master.state.offers.values()].find((x) => x.frameworkId === fw.id);
        if (fw && offer) h.master.call(fw.id as never, { type: 'DECLINE', decline: { offer_ids: [offer.offer.id], filters: { refuse_seconds: 1 } } });
        break;
      }
      case 'accept': {
        const offer = fw && [...h.master.state.offers.values()].find((x) => x.frameworkId === fw.id);
        if (fw && offer) {
          const executor: mesos.v1.ExecutorInfo = { executor_id: { value: 'exec' }, command: { value: 'exec' }, resources: wire('cpus:0.1;mem:32') };
          const infos: mesos.v1.TaskInfo[] = Array.from({ length: o.n }, () => ({
            name: 't', task_id: { value: `t${seq++}` }, agent_id: offer.offer.agent_id, resources: wire('cpus:0.5;mem:32'),
            ...(o.executor ? { executor } : { command: { value: 'x' } }),
          }));
          // A duplicate id of a live task, or more than is offered: TASK_ERROR for that one.
          if (o.bad) infos.push({ name: 't', task_id: tasks.length > 0 ? { value: tasks[0].id } : { value: `t${seq++}` }, agent_id: offer.offer.agent_id, resources: wire('cpus:64;mem:32'), command: { value: 'x' } });
          h.master.call(fw.id as never, { type: 'ACCEPT', accept: { offer_ids: [offer.offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: infos } }], filters: { refuse_seconds: 1 } } });
        }
        break;
      }
      case 'executor-exit': {
        const e = executors[o.i % Math.max(1, executors.length)];
        if (e !== undefined && e.agent.conn.closedWith === undefined) exitExecutor(e);
        break;
      }
      case 'ack': {
        const u = fw?.sink.updates().filter((x) => x.uuid !== undefined).at(-1 - (o.i % 3));
        if (fw && u) h.master.call(fw.id as never, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: u.agent_id!, task_id: u.task_id, uuid: u.uuid! } });
        break;
      }
      case 'kill': {
        const tk = fw && tasks.find((x) => x.fid === fw.id && !isTerminal(x.state));
        if (fw) h.master.call(fw.id as never, { type: 'KILL', kill: { task_id: tk ? { value: tk.id } : { value: 'nope' } } });
        break;
      }
      case 'reconcile':
        if (fw) h.master.call(fw.id as never, { type: 'RECONCILE', reconcile: { tasks: o.i % 2 === 0 ? [] : [{ task_id: { value: tasks[0]?.id ?? 'x' } }] } });
        break;
      case 'register': {
        const host = `h${agents.length}`;
        const r = h.registerAgent(host, 'cpus:2;mem:256');
        agents.push({ host, id: r.id, conn: r.conn, seen: 0, partitioned: false, checkpointed: [] });
        break;
      }
      case 'drop-agent':
        if (agent) h.master.agentDisconnected(agent.conn);
        break;
      case 'partition':
        if (agent) agent.partitioned = !agent.partitioned;
        break;
      case 'reregister':
        if (agent) {
          // Fast: the new connection arrives before the old one is seen closing.
          const old = agent.conn;
          if (!o.fast) h.master.agentDisconnected(old);
          agent.conn = new RecordingAgent();
          agent.seen = 0;
          agent.partitioned = false;
          const running = tasks.filter((x) => x.agent === agent && !isTerminal(x.state) && !x.forgotten).filter((_, n) => !(o.omit && n === 0));
          const fids = new Set(running.map((x) => x.fid));
          h.master.agentMessage(agent.conn, {
            reregister_agent: {
              agent_info: { hostname: agent.host, id: { value: agent.id }, resources: wire('cpus:2;mem:256') }, version: 'test', checkpointed_resources: agent.checkpointed,
              frameworks: frameworks.filter((f) => fids.has(f.id) || executors.some((e) => e.agent === agent && e.fid === f.id)).map((f) => f.info),
              executors: executors.filter((e) => e.agent === agent).map((e) => e.info),
              tasks: running.map((x) => ({ name: 't', task_id: { value: x.id }, framework_id: { value: x.fid }, agent_id: { value: agent.id }, state: x.state, resources: x.resources })),
            },
          });
          // What the agent does not report it no longer runs.
          if (o.omit) for (const x of tasks) if (x.agent === agent && !running.includes(x) && !isTerminal(x.state)) Object.assign(x, { forgotten: true, pending: [] });
          for (const x of tasks) if (x.agent === agent) sendHead(x);
          if (o.fast) h.master.agentDisconnected(old);
        }
        break;
      case 'update': {
        const tk = tasks[o.i % Math.max(1, tasks.length)];
        if (tk === undefined) break;
        if (o.dup) sendHead(tk);
        else if (!isTerminal(tk.state) && !tk.forgotten) report(tk, o.state);
        break;
      }
      case 'stray-update':
        if (agent) {
          send(agent, { framework_id: { value: fw?.id ?? 'nobody' }, status: { task_id: { value: `stray${o.i}` }, state: 'TASK_RUNNING', uuid: uuid() } });
          send(agent, { framework_id: { value: 'nobody' }, status: { task_id: { value: `stray${o.i}` }, state: 'TASK_FAILED', uuid: uuid() } });
        }
        break;
      case 'advance':
        h.time.advance(o.ms);
        break;
    }
    agentsReact();
    h.settle();
    agentsReact();
    const broken = books();
    if (broken !== undefined) return `step ${step} (${JSON.stringify(o)}): ${broken}`;
  }

  // Quiesce: frameworks back, agents back and answering, every task ends, every update is
  // delivered and acknowledged, every offer declined. Then nothing may stay allocated.
  for (const f of frameworks) {
    const sub = h.subscribe(f.info);
    if (sub.out.ok) Object.assign(f, { streamId: sub.streamId, sink: sub.sink });
  }
  for (const a of agents) {
    h.master.agentDisconnected(a.conn);
    a.conn = new RecordingAgent();
    a.seen = 0;
    a.partitioned = false;
    const running = tasks.filter((x) => x.agent === a && !isTerminal(x.state) && !x.forgotten);
    const fids = new Set(running.map((x) => x.fid));
    h.master.agentMessage(a.conn, {
      reregister_agent: {
        agent_info: { hostname: a.host, id: { value: a.id }, resources: wire('cpus:2;mem:256') }, version: 'test', checkpointed_resources: a.checkpointed,
        frameworks: frameworks.filter((f) => fids.has(f.id) || executors.some((e) => e.agent === a && e.fid === f.id)).map((f) => f.info),
        executors: executors.filter((e) => e.agent === a).map((e) => e.info),
        tasks: running.map((x) => ({ name: 't', task_id: { value: x.id }, framework_id: { value: x.fid }, agent_id: { value: a.id }, state: x.state, resources: x.resources })),
      },
    });
  }
  for (const x of tasks) sendHead(x);
  agentsReact();
  for (const x of tasks) if (!isTerminal(x.state)) report(x, x.forgotten ? 'TASK_LOST' : 'TASK_FINISHED');
  agentsReact();
  const acked = new Set<string>();
  /** Every framework acknowledges what it got until no task has an update pending (at most 20 rounds). */
  const ackUntilQuiet = (): void => {
    for (let round = 0; round < 20 && tasks.some((x) => x.pending.length > 0); round++) {
      for (const f of frameworks) {
        for (const u of f.sink.updates()) {
          if (u.uuid === undefined || acked.has(u.uuid)) continue;
          acked.add(u.uuid);
          h.master.call(f.id as never, { type: 'ACKNOWLEDGE', acknowledge: { agent_id: u.agent_id!, task_id: u.task_id, uuid: u.uuid } });
        }
      }
      agentsReact();
    }
  };
  ackUntilQuiet();
  for (const e of [...executors]) exitExecutor(e);
  agentsReact();
  ackUntilQuiet();
  const stuck = tasks.filter((x) => x.pending.length > 0 && frameworks.some((f) => f.id === x.fid && h.master.state.frameworks.has(x.fid as never)));
  if (stuck.length > 0) return `after quiescing, updates never acknowledged: ${stuck.map((x) => `${x.id}:${x.pending.map((p) => p.state).join('>')}`).join(', ')}`;
  h.settle();
  for (const f of frameworks) h.master.call(f.id as never, { type: 'SUPPRESS' });
  for (const f of frameworks) {
    const mine = [...h.master.state.offers.values()].filter((x) => x.frameworkId === f.id).map((x) => x.offer.id);
    if (mine.length > 0) h.master.call(f.id as never, { type: 'DECLINE', decline: { offer_ids: mine, filters: { refuse_seconds: 1000 } } });
  }
  h.settle();
  const quiet = books();
  if (quiet !== undefined) return `after quiescing: ${quiet}`;
  for (const f of h.master.state.frameworks.values()) {
    if (f.tasks.size > 0) return `after quiescing, framework ${f.id} still has tasks ${[...f.tasks.values()].map((x) => `${x.task.task_id.value}:${x.task.state}/${x.task.status_update_state}`).join(',')}`;
  }
  const held = h.allocator.roleShares().reduce((acc, r) => acc.plus(r.allocated), Resources.empty);
  if (held.scalar('cpus') > 1e-9 || held.scalar('mem') > 1e-9) return `after quiescing the allocator still holds ${held}`;

  for (const f of frameworks) h.master.call(f.id as never, { type: 'TEARDOWN' });
  agentsReact();
  h.time.advance(5000);
  const left = h.allocator.roleShares().reduce((acc, r) => acc.plus(r.allocated), Resources.empty);
  if (!left.isEmpty() && (left.scalar('cpus') > 1e-9 || left.scalar('mem') > 1e-9)) return `after teardown of all frameworks the allocator still holds ${left}`;
  if (h.master.state.offers.size > 0) return `after teardown of all frameworks ${h.master.state.offers.size} offers remain`;
  return undefined;
}

test('property: offers, tasks and the allocator agree under random master operations', (t) => {
  const out = fc.check(fc.property(fc.array(opArb, { minLength: 20, maxLength: 80 }), (ops) => {
    const setup: Op[] = [{ k: 'subscribe', pa: true, failover: 100 }, { k: 'subscribe', pa: false, failover: 3 }, { k: 'register' }, { k: 'register' }];
    const broken = run([...setup, ...ops]);
    if (broken !== undefined) throw new Error(broken);
  }), { numRuns: 200, seed: 42 });
  t.false(out.failed, out.failed ? `${String(out.errorInstance)}\ncounterexample: ${JSON.stringify(out.counterexample)}` : '');
});
