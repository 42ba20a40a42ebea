import test from 'ava';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpProbe, probeUrl } from './http-probe.ts';

interface Loopback {
  readonly server: Server;
  readonly port: number;
  /** Requests that reached the server, by path. */
  readonly seen: string[];
  /** Resolves when a request for /hang has arrived. */
  hanging(): Promise<void>;
  close(): Promise<void>;
}

/** A loopback server: /ok 200, /fail 500, /created 201, /redirect 302 → /ok, /loop 302 → /loop, /hang never answers. */
async function loopback(): Promise<Loopback> {
  const seen: string[] = [];
  let hangArrived: () => void = () => {};
  const arrived = new Promise<void>((r) => (hangArrived = r));
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    switch (req.url) {
      case '/ok':
      case '/':
        res.end('ok');
        return;
      case '/created':
        res.writeHead(201).end();
        return;
      case '/fail':
        res.writeHead(500).end('no');
        return;
      case '/redirect':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      case '/hang':
        hangArrived();
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    seen,
    hanging: () => arrived,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const connections = (server: Server) => new Promise<number>((r) => server.getConnections((_, n) => r(n)));

async function until(predicate: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if (await predicate()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return predicate();
}

const cases: readonly [string, object][] = [
  ['/ok', { kind: 'response', statusCode: 200 }],
  ['/created', { kind: 'response', statusCode: 201 }],
  ['/fail', { kind: 'response', statusCode: 500 }],
  ['/missing', { kind: 'response', statusCode: 404 }],
  ['/redirect', { kind: 'response', statusCode: 200 }], // followed, as curl -L
];
for (const [path, expected] of cases) {
  test(`http probe: GET ${path}`, async (t) => {
    const server = await loopback();
    try {
      t.deepEqual(await createHttpProbe({ port: server.port, path })(new AbortController().signal), expected);
      t.true(await until(async () => (await connections(server.server)) === 0)); // no keep-alive socket left
    } finally {
      await server.close();
    }
  });
}

test('http probe: no path requests /', async (t) => {
  const server = await loopback();
  try {
    t.deepEqual(await createHttpProbe({ port: server.port })(new AbortController().signal), { kind: 'response', statusCode: 200 });
    t.deepEqual(server.seen, ['/']);
  } finally {
    await server.close();
  }
});

test('http probe: a redirect loop ends after 50 redirects with an error', async (t) => {
  const server = await loopback();
  try {
    t.deepEqual(await createHttpProbe({ port: server.port, path: '/loop' })(new AbortController().signal), { kind: 'error', message: 'Maximum (50) redirects followed' });
    t.is(server.seen.length, 51);
  } finally {
    await server.close();
  }
});

test('http probe: abort of a hanging request closes its connection', async (t) => {
  const server = await loopback();
  try {
    const controller = new AbortController();
    const pending = createHttpProbe({ port: server.port, path: '/hang' })(controller.signal);
    await server.hanging();
    t.is(await connections(server.server), 1);
    controller.abort();
    const result = await pending;
    t.is(result.kind, 'error');
    t.true(await until(async () => (await connections(server.server)) === 0));
  } finally {
    await server.close();
  }
});

test('http probe: nothing listening is an error naming the URL', async (t) => {
  const server = await loopback();
  const port = server.port;
  await server.close();
  const result = await createHttpProbe({ port, path: '/ok' })(new AbortController().signal);
  t.is(result.kind, 'error');
  t.regex((result as { message: string }).message, new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/ok failed: .*ECONNREFUSED`));
});

const urls: readonly [object, string][] = [
  [{ port: 8080 }, 'http://127.0.0.1:8080/'],
  [{ port: 8080, path: '/health?x=1' }, 'http://127.0.0.1:8080/health?x=1'],
  [{ port: 443, scheme: 'https', path: '/h' }, 'https://127.0.0.1/h'],
  [{ port: 80, protocol: 'IPv6', path: '/h' }, 'http://[::1]/h'],
];
for (const [target, href] of urls) {
  test(`probeUrl: ${href}`, (t) => {
    t.is(probeUrl(target as { port: number }).href, href);
  });
}

test('http probe: https with a self-signed certificate (not verified, as curl -k)', async (t) => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer: createHttpsServer } = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'maestro-health-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=maestro-test'], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    t.log('openssl is not available: checking the https URL only');
    t.is(probeUrl({ port: 8443, scheme: 'https' }).protocol, 'https:');
    return;
  }
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_, res) => res.writeHead(204).end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    t.deepEqual(await createHttpProbe({ port, scheme: 'https', path: '/' })(new AbortController().signal), { kind: 'response', statusCode: 204 });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
});
