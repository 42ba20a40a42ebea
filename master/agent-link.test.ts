/**
 * The agent endpoint over a real HTTP server and real WebSockets (ws): a follower answers the
 * upgrade with 307 to the leader's agent endpoint (which `ws` clients with followRedirects follow,
 * as slave/master-link.ts does) or 503 while no leader is known; the leader accepts it.
 */
import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { silentLogger } from '../common/ports.ts';
import { attachAgentLink, AGENT_PATH, type AgentLinkTarget } from './agent-link.ts';
import type { LeaderStatus } from './http/leader-check.ts';
import { codec } from '../proto/codec.ts';
import type { maestro } from '../proto/types.generated.ts';

const envelopeCodec = codec<maestro.agent.Envelope>('maestro.agent.Envelope');

async function endpoint(t: import('ava').ExecutionContext, leader?: () => LeaderStatus | undefined) {
  const messages: string[] = [];
  const target: AgentLinkTarget = {
    agentMessage: (_c, envelope) => { messages.push(Object.keys(envelope)[0]); },
    agentDisconnected: () => undefined,
  };
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const link = attachAgentLink(server, target, silentLogger, leader);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(async () => {
    await link.close();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, messages };
}

/** The status and headers of the upgrade answer, without following redirects. */
function upgradeAnswer(address: string): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${address}${AGENT_PATH}`);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      ws.terminate();
    });
    ws.on('open', () => { ws.close(); resolve({ status: 101 }); });
    ws.on('error', (e) => { if (!/Unexpected server response/.test(e.message)) reject(e); });
  });
}

test('a follower sends agents to the leader with 307; 503 while no leader is known; a ws client lands on the leader', async (t) => {
  const leader = await endpoint(t);
  let status: LeaderStatus | undefined = { kind: 'elsewhere', base: `//${leader.address}` };
  const follower = await endpoint(t, () => status);

  t.deepEqual(await upgradeAnswer(follower.address), { status: 307, location: `ws://${leader.address}${AGENT_PATH}` });
  t.deepEqual(await upgradeAnswer(leader.address), { status: 101 });

  // Followed as the agent's link does: the first frame reaches the leader, not the follower.
  await new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(`ws://${follower.address}${AGENT_PATH}`, { followRedirects: true });
    ws.on('open', () => ws.send(envelopeCodec.encode({ pong: { sequence: 1 } }), { binary: true }));
    ws.on('error', reject);
    const check = setInterval(() => {
      if (leader.messages.length > 0) {
        clearInterval(check);
        ws.terminate();
        resolve();
      }
    }, 10);
  });
  t.deepEqual(follower.messages, []);
  t.deepEqual(leader.messages, ['pong']);

  status = { kind: 'none' };
  t.deepEqual(await upgradeAnswer(follower.address), { status: 503, location: undefined });
});
