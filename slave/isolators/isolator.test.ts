import test from 'ava';
import { Resources } from '../../common/resources/resources.ts';
import { asContainerId, type ContainerId } from '../containerizer.ts';
import { createIsolatorChain, IsolatorError, type ContainerLimitation, type Isolator } from './isolator.ts';

/** A recording isolator: a fake of the seam, for the ordering rules of the chain (pure logic). */
function recording(name: string, log: string[], fail: { prepare?: boolean; cleanup?: boolean } = {}, hit?: ContainerLimitation): Isolator {
  let cleaned = false;
  return {
    name,
    recover: async () => ({ orphans: name === 'b' ? [asContainerId('orphan')] : [] }),
    prepare: async (c) => {
      log.push(`prepare ${name} ${c.containerId}`);
      if (fail.prepare === true) throw new Error('no room');
    },
    isolate: async (id, pid) => void log.push(`isolate ${name} ${pid}`),
    watch: () => (hit === undefined ? new Promise(() => {}) : Promise.resolve(hit)),
    limitation: () => hit,
    update: async () => void log.push(`update ${name}`),
    usage: async () => (name === 'a' ? { cpus_user_time_secs: 1, processes: 1 } : { mem_rss_bytes: 2, processes: 3 }),
    cleanup: async (id: ContainerId) => {
      log.push(`cleanup ${name}${cleaned ? ' (again)' : ''}`);
      cleaned = true;
      if (fail.cleanup === true) throw new Error(`busy ${id}`);
    },
  };
}

const c1 = { containerId: asContainerId('c1'), resources: Resources.parse('cpus:1;mem:64') };

test('prepare and isolate in list order, cleanup in reverse', async (t) => {
  const log: string[] = [];
  const chain = createIsolatorChain([recording('a', log), recording('b', log), recording('c', log)]);
  t.is(chain.name, 'a,b,c');
  await chain.prepare(c1);
  await chain.isolate(c1.containerId, 42);
  await chain.update(c1.containerId, c1.resources);
  await chain.cleanup(c1.containerId);
  t.deepEqual(log, ['prepare a c1', 'prepare b c1', 'prepare c c1', 'isolate a 42', 'isolate b 42', 'isolate c 42', 'update a', 'update b', 'update c', 'cleanup c', 'cleanup b', 'cleanup a']);
});

test('a failed prepare cleans up the failed isolator and those before it, in reverse, and names the isolator', async (t) => {
  const log: string[] = [];
  const chain = createIsolatorChain([recording('a', log), recording('b', log, { prepare: true }), recording('c', log)]);
  const e = await t.throwsAsync(chain.prepare(c1), { instanceOf: IsolatorError, message: 'b: prepare failed: no room' });
  t.is(e?.isolator, 'b');
  t.deepEqual(log, ['prepare a c1', 'prepare b c1', 'cleanup b', 'cleanup a']);
});

test('cleanup tries every isolator, reports the failures together, and can be repeated', async (t) => {
  const log: string[] = [];
  const chain = createIsolatorChain([recording('a', log, { cleanup: true }), recording('b', log), recording('c', log, { cleanup: true })]);
  await t.throwsAsync(chain.cleanup(c1.containerId), { message: 'cleanup of container c1 failed: c: busy c1; a: busy c1' });
  t.deepEqual(log, ['cleanup c', 'cleanup b', 'cleanup a']);
  const ok = createIsolatorChain([recording('a', log), recording('b', log)]);
  await ok.cleanup(c1.containerId);
  await ok.cleanup(c1.containerId);
  t.deepEqual(log.slice(3), ['cleanup b', 'cleanup a', 'cleanup b (again)', 'cleanup a (again)']);
});

test('usage merges in list order; watch and limitation answer the first limit hit; recover collects orphans', async (t) => {
  const log: string[] = [];
  const hit: ContainerLimitation = { reason: 'REASON_CONTAINER_LIMITATION_MEMORY', message: 'over', resources: Resources.parse('mem:64') };
  const chain = createIsolatorChain([recording('a', log), recording('b', log, {}, hit)]);
  t.deepEqual(await chain.usage(c1.containerId), { cpus_user_time_secs: 1, processes: 3, mem_rss_bytes: 2 });
  t.is(await chain.watch(c1.containerId), hit);
  t.is(chain.limitation(c1.containerId), hit);
  t.deepEqual(await chain.recover([c1]), { orphans: ['orphan'] });
  t.is(createIsolatorChain([recording('a', log)]).limitation(c1.containerId), undefined);
});
