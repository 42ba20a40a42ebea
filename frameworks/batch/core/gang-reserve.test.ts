import test from 'ava';
import { offer } from '../../../marathon/placement/test-builders.ts';
import { createOfferPool } from '../../../marathon/placement/offer-pool.ts';
import { holdsOffers, reservedAgents, usageByAgent } from './gang-reserve.ts';

const task = { cpus: 3, mem: 512, disk: 0, gpus: 0 };
const pool = (agent: string, cpus: number, mem = 4096) => createOfferPool(offer().offerId(`o-${agent}`).agentId(agent).hostname(agent).cpus(cpus).mem(mem).build());

test('reservedAgents: offered plus our own usage fits one task of the head (table)', (t) => {
  const usage = usageByAgent([
    { agentId: 'a2', scalars: { cpus: 2, mem: 64, disk: 0, gpus: 0 } },
    { agentId: 'a2', scalars: { cpus: 1, mem: 64, disk: 0, gpus: 0 } },
    { agentId: undefined, scalars: { cpus: 8, mem: 64, disk: 0, gpus: 0 } }, // not placed: counts nowhere
  ]);
  t.deepEqual(usage.get('a2'), { cpus: 3, mem: 128, disk: 0, gpus: 0 });
  const cases: [pool: ReturnType<typeof pool>, reserved: boolean][] = [
    [pool('a1', 4), true], //  4 offered >= 3
    [pool('a2', 0.5), true], // 0.5 offered + 3 ours >= 3
    [pool('a3', 2), false], // 2 < 3, nothing of ours there
    [pool('a4', 8, 256), false], // cpus enough, mem 256 < 512
  ];
  const got = reservedAgents(task, cases.map(([p]) => p), usage);
  for (const [p, reserved] of cases) t.is(got.has(p.agent.agentId), reserved, p.agent.agentId);
});

test('holdsOffers: only a parallel run, only once it has waited long enough', (t) => {
  t.false(holdsOffers(1, 0, 60_000, 10_000), 'one task: never');
  t.false(holdsOffers(2, 0, 9_999, 10_000));
  t.true(holdsOffers(2, 0, 10_000, 10_000));
});
