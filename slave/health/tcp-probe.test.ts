import test from 'ava';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createTcpProbe } from './tcp-probe.ts';

async function listening(): Promise<{ server: Server; port: number; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    socket.on('error', () => {});
    socket.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, accepted: () => accepted };
}

const close = (server: Server) => new Promise<void>((r) => server.close(() => r()));
const connections = (server: Server) => new Promise<number>((r) => server.getConnections((_, n) => r(n)));

test('tcp probe: a listening port connects, and the probe closes its connection', async (t) => {
  const { server, port, accepted } = await listening();
  try {
    t.deepEqual(await createTcpProbe({ port })(new AbortController().signal), { kind: 'connected' });
    for (let i = 0; i < 500 && (accepted() === 0 || (await connections(server)) > 0); i++) await new Promise((r) => setTimeout(r, 10));
    t.is(accepted(), 1);
    t.is(await connections(server), 0);
  } finally {
    await close(server);
  }
});

test('tcp probe: a closed port is an error naming the address', async (t) => {
  const { server, port } = await listening();
  await close(server);
  const result = await createTcpProbe({ port })(new AbortController().signal);
  t.is(result.kind, 'error');
  t.regex((result as { message: string }).message, new RegExp(`^Failed to connect to 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`));
});

test('tcp probe: protocol IPv6 connects to ::1', async (t) => {
  const server = createServer((socket) => socket.end());
  const bound = await new Promise<boolean>((r) => {
    server.once('error', () => r(false));
    server.listen(0, '::1', () => r(true));
  });
  if (!bound) {
    t.log('no IPv6 loopback here: checking that ::1 is refused instead of reaching 127.0.0.1');
    t.is((await createTcpProbe({ port: 9, protocol: 'IPv6' })(new AbortController().signal)).kind, 'error');
    return;
  }
  try {
    const port = (server.address() as AddressInfo).port;
    t.deepEqual(await createTcpProbe({ port, protocol: 'IPv6' })(new AbortController().signal), { kind: 'connected' });
  } finally {
    await close(server);
  }
});
