/** The simulator's flag handling (pure parts): resources per agent and the agents' hostnames. */
import test from 'ava';
import { FlagError } from '../../common/flags.ts';
import { simulatedResources } from './run.ts';
import { simulatedHostname } from './simulated-fleet.ts';

test('--resources: default cpus:2;mem:1024;disk:4096;ports:[31000-32000]; a partial value is completed from it', (t) => {
  t.is(simulatedResources(undefined).toString(), 'cpus(*):2; mem(*):1024; disk(*):4096; ports(*):[31000-32000]');
  const partial = simulatedResources('cpus:8;gpus:1');
  t.is(partial.scalar('cpus'), 8);
  t.is(partial.scalar('gpus'), 1);
  t.is(partial.scalar('mem'), 1024);
  t.deepEqual(partial.ranges('ports'), [[31000, 32000]]);
  t.is(simulatedResources('[{"name":"mem","type":"SCALAR","scalar":{"value":64}}]').scalar('mem'), 64);
});

test('--resources that do not parse: a FlagError naming the flag', (t) => {
  const bad = t.throws(() => simulatedResources('cpus:lots'), { instanceOf: FlagError });
  t.is(bad?.flag, 'resources');
  t.regex(bad?.message ?? '', /^--resources: /);
  const json = t.throws(() => simulatedResources('[not json'), { instanceOf: FlagError });
  t.regex(json?.message ?? '', /^--resources: invalid JSON resources/);
});

test('hostnames: sim-NNNN.<base>, zero-padded to at least 4 digits and to the widest index', (t) => {
  t.is(simulatedHostname(1, 3, 'h'), 'sim-0001.h');
  t.is(simulatedHostname(42, 100_000, 'node.example'), 'sim-00042.node.example');
});
