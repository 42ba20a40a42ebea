/**
 * The agent protocol against a real `maestro master` process: registration, refusal, re-registration,
 * unreachable after missed pings, return after a partition, and malformed frames.
 */
import test from 'ava';
import WebSocket from 'ws';
import { startMaster, type MaestroProcess } from './support/maestro-process.ts';
import { connectAgent, RegistrationRefusedError } from './support/agent-client.ts';

async function master(t: { teardown(fn: () => Promise<void>): void }, flags: Record<string, string | number> = {}): Promise<MaestroProcess> {
  const m = await startMaster({ agent_ping_timeout: '200ms', max_agent_ping_timeouts: 2, ...flags });
  t.teardown(() => m.stop());
  return m;
}

async function metrics(url: string): Promise<Record<string, number>> {
  const res = await fetch(`${url}/metrics/snapshot`);
  return (await res.json()) as Record<string, number>;
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('register, get pinged, re-register with the same id after a reconnect', async (t) => {
  const m = await master(t);
  const agent = await connectAgent({ masterUrl: m.url, hostname: 'agent-1', resources: 'cpus:2;mem:1024;ports:[31000-31010]' });
  t.teardown(() => agent.close());
  t.regex(agent.agentId, /-S0$/);
  t.is(agent.registration.agent_registered?.master_info.port, Number(new URL(m.url).port));
  await agent.waitFor('ping');
  t.true(agent.all('ping').length >= 1);
  await until(async () => (await metrics(m.url))['master/slaves_active'] === 1);
  t.is((await metrics(m.url))['master/cpus_total'], 2);

  const answer = await agent.reconnect();
  t.is(answer.agent_reregistered?.agent_id.value, agent.agentId);
  await until(async () => (await metrics(m.url))['master/slaves_connected'] === 1);
});

test('a wrong registration is refused with a message', async (t) => {
  const m = await master(t, { agent_token: 'secret' });
  const err = await t.throwsAsync(connectAgent({ masterUrl: m.url, hostname: 'agent-1', resources: 'cpus:1;mem:128', token: 'wrong' }));
  t.true(err instanceof RegistrationRefusedError);
  t.regex(err!.message, /token/);
  const ok = await connectAgent({ masterUrl: m.url, hostname: 'agent-1', resources: 'cpus:1;mem:128', token: 'secret' });
  t.teardown(() => ok.close());
  t.truthy(ok.agentId);
  const flags = await (await fetch(`${m.url}/master/flags`)).text();
  t.true(flags.includes('agent_token'));
  t.false(flags.includes('secret')); // the token is not published
});

test('an agent that stops answering pings becomes unreachable, and comes back by re-registering', async (t) => {
  const m = await master(t);
  const agent = await connectAgent({ masterUrl: m.url, hostname: 'agent-1', resources: 'cpus:1;mem:256' });
  t.teardown(() => agent.close());
  agent.answerPings = false;
  await until(async () => (await metrics(m.url))['master/slaves_unreachable'] === 1);
  t.is((await metrics(m.url))['master/slaves_active'], 0);
  agent.answerPings = true;
  const answer = await agent.reconnect();
  t.is(answer.agent_reregistered?.agent_id.value, agent.agentId);
  await until(async () => (await metrics(m.url))['master/slaves_active'] === 1);
  t.is((await metrics(m.url))['master/slaves_unreachable'], 0);
});

test('a dropped connection turns unreachable after the ping timeouts', async (t) => {
  const m = await master(t);
  const agent = await connectAgent({ masterUrl: m.url, hostname: 'agent-1', resources: 'cpus:1;mem:256' });
  await agent.close();
  await until(async () => (await metrics(m.url))['master/slaves_disconnected'] === 1 || (await metrics(m.url))['master/slaves_unreachable'] === 1);
  await until(async () => (await metrics(m.url))['master/slaves_unreachable'] === 1);
  t.pass();
});

test('a malformed frame is refused and closed; the master keeps serving', async (t) => {
  const m = await master(t);
  const ws = new WebSocket(`${m.url.replace('http', 'ws')}/maestro/agent/v1`);
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  const messages: Buffer[] = [];
  ws.on('message', (d: Buffer) => messages.push(d));
  await new Promise((resolve) => ws.on('open', resolve));
  ws.send(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]), { binary: true });
  await closed;
  t.is(messages.length, 1); // the RegistrationRefused
  const agent = await connectAgent({ masterUrl: m.url, hostname: 'agent-2', resources: 'cpus:1;mem:256' });
  t.teardown(() => agent.close());
  t.truthy(agent.agentId);
});

test('a WebSocket upgrade on another path is answered 404', async (t) => {
  const m = await master(t);
  const ws = new WebSocket(`${m.url.replace('http', 'ws')}/not/the/agent/path`);
  const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
  t.is(status, 404);
});
