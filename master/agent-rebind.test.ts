/**
 * A connection that registers again (RegisterAgent a second time, or ReregisterAgent with another
 * id than the one it is bound to) starts over as that agent: the old agent is disconnected, the
 * new one is admitted on the same, still open, connection. The connection is not closed, so the
 * new agent must stay connected after its admission (with or without a registrar).
 */
import test from 'ava';
import { asAgentId } from '../common/ids.ts';
import { createMemoryRegistryStore } from './registry/memory-registry-store.ts';
import { createRegistrar } from './registry/registrar.ts';
import { harness, RecordingAgent, wire } from './test-fixtures.ts';

/** The master of test-fixtures.ts, with a registrar over the in-memory store or none. */
function setup(withRegistrar: boolean) {
  return harness({}, withRegistrar ? { registrar: createRegistrar(createMemoryRegistryStore()) } : {});
}

const registerMsg = (hostname: string) => ({ register_agent: { agent_info: { hostname, resources: wire('cpus:2;mem:1024') }, version: 'test', endpoint: `${hostname}:5051` } });

for (const withRegistrar of [false, true]) {
  const name = withRegistrar ? 'with a registrar' : 'without a registrar';

  test(`${name}: RegisterAgent again on an open connection admits a new agent that stays connected`, async (t) => {
    const s = setup(withRegistrar);
    const conn = new RecordingAgent('10.0.0.1');
    s.master.agentMessage(conn, registerMsg('h1'));
    await s.flush();
    const first = conn.of('agent_registered')[0]?.agent_id.value;
    t.truthy(first);
    s.master.agentMessage(conn, registerMsg('h1'));
    await s.flush();
    const second = conn.of('agent_registered')[1]?.agent_id.value;
    t.truthy(second);
    t.not(second, first);
    t.is(conn.closedWith, undefined, 'the connection stays open');
    t.false(s.master.state.agents.get(asAgentId(first!))!.connected, 'the old agent is disconnected');
    const agent = s.master.state.agents.get(asAgentId(second!))!;
    t.true(agent.connected, 'the new agent is connected');
    t.true(agent.active, 'the new agent is active');
    // Its messages are taken: a pong is not refused as from an unregistered agent.
    s.master.agentMessage(conn, { pong: { sequence: 1 } });
    t.deepEqual(conn.of('registration_refused'), []);
    t.is(conn.closedWith, undefined);
  });

  test(`${name}: ReregisterAgent with another id on a bound connection leaves that agent connected`, async (t) => {
    const s = setup(withRegistrar);
    const conn = new RecordingAgent('10.0.0.1');
    s.master.agentMessage(conn, registerMsg('h1'));
    await s.flush();
    s.master.agentMessage(conn, {
      reregister_agent: { agent_info: { hostname: 'h2', id: { value: 'other-agent' }, resources: wire('cpus:2;mem:1024') }, version: 'test', endpoint: 'h2:5051' },
    });
    await s.flush();
    t.is(conn.of('agent_reregistered').length, 1);
    t.is(conn.closedWith, undefined, 'the connection stays open');
    const agent = s.master.state.agents.get(asAgentId('other-agent'))!;
    t.true(agent.connected, 'the re-registered agent is connected');
    t.true(agent.active);
  });
}
