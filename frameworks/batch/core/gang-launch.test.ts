import test from 'ava';
import fc from 'fast-check';
import { createOfferPool } from '../../../marathon/placement/offer-pool.ts';
import { offer } from '../../../marathon/placement/test-builders.ts';
import type { JobSpec } from '../model.ts';
import { buildRunTasks, jobDemand, placeGang, toPlacementConstraint } from './gang-launch.ts';

const job = (over: Partial<JobSpec['run']> = {}, parallelism?: number): JobSpec => ({
  id: 'etl', labels: {},
  run: { cmd: 'true', cpus: 0.6, mem: 64, disk: 0, gpus: 0, env: { A: 'b' }, placement: { constraints: [] }, artifacts: [], volumes: [], maxLaunchDelay: 3600, restart: { policy: 'NEVER' }, secrets: {}, ...over },
  ...(parallelism === undefined ? {} : { parallelism }),
});
const pool = (n: number, cpus = 1) => createOfferPool(offer().offerId(`o${n}`).agentId(`a${n}`).hostname(`h${n}`).cpus(cpus).mem(1024).ports(31000, 31010).build());

test('a gang is placed whole or not at all: 3 tasks of 0.6 cpus need 3 agents of 1 cpu', (t) => {
  const demand = jobDemand(job(), '*');
  const two = placeGang(demand, 3, [pool(1), pool(2)]);
  t.false(two.ok);
  const three = placeGang(demand, 3, [pool(1), pool(2), pool(3)]);
  if (!three.ok) return t.fail(three.reasons.join());
  t.deepEqual(three.placements.map((p) => p.offerId), ['o1', 'o2', 'o3']);
  t.deepEqual(three.placements.map((p) => p.index), [0, 1, 2]);
});

test('every task gets its index, the count, its port and the same peer list', (t) => {
  const placed = placeGang(jobDemand(job(), '*'), 2, [pool(1), pool(2)]);
  if (!placed.ok) return t.fail();
  const tasks = buildRunTasks(job({}, 2), { jobId: 'etl', runId: 'r1', taskIds: ['t0', 't1'] }, placed.placements);
  const env = (i: number) => Object.fromEntries((tasks[i].command?.environment?.variables ?? []).map((v) => [v.name, v.value]));
  t.is(env(0).MAESTRO_TASK_INDEX, '0');
  t.is(env(1).MAESTRO_TASK_INDEX, '1');
  t.is(env(1).MAESTRO_TASK_COUNT, '2');
  t.is(env(0).MAESTRO_PEERS, 'h1:31000,h2:31000');
  t.is(env(0).MAESTRO_PEERS, env(1).MAESTRO_PEERS);
  t.is(env(0).A, 'b');
  t.deepEqual(tasks.map((x) => x.task_id.value), ['t0', 't1']);
  t.deepEqual(tasks.map((x) => x.agent_id.value), ['a1', 'a2']);
  t.true(tasks[0].command?.shell);
});

test('Metronome constraints map onto the placement pipeline (EQ is IS)', (t) => {
  t.deepEqual(toPlacementConstraint({ attribute: 'rack', operator: 'EQ', value: 'r1' }), ['rack', 'IS', 'r1']);
  t.deepEqual(toPlacementConstraint({ attribute: 'hostname', operator: 'like', value: 'h.*' }), ['hostname', 'LIKE', 'h.*']);
});

test('property: a gang never takes more than the offers hold, and fits only when every task found room', (t) => {
  fc.assert(fc.property(
    fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }), // agent cpus (tenths)
    fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 8 }), // tasks, task cpus (tenths)
    (agentTenths, count, taskTenths) => {
      const pools = agentTenths.map((c, i) => pool(i, c / 10));
      const r = placeGang(jobDemand(job({ cpus: taskTenths / 10, mem: 32 }), '*'), count, pools);
      const capacity = agentTenths.reduce((sum, c) => sum + Math.floor(c / taskTenths), 0);
      if (!r.ok) return capacity < count;
      const perAgent = new Map<string, number>();
      for (const p of r.placements) perAgent.set(p.match.agentId, (perAgent.get(p.match.agentId) ?? 0) + taskTenths);
      return r.placements.length === count && [...perAgent].every(([a, used]) => used <= agentTenths[Number(a.slice(1))]);
    },
  ));
  t.pass();
});
