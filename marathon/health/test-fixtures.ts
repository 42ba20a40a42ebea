/**
 * Test fixtures for marathon/health and marathon/readiness: a normalised app definition with
 * Marathon's defaults (`app()`), Marathon's health check defaults (`healthCheck()`), real
 * loopback HTTP, HTTPS (a throw-away self-signed certificate from openssl) and TCP servers that
 * tests close, and `until()` to wait (in real time, bounded) for a real probe to land.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppDefinition, type HealthCheck } from '../model.ts';
import { testApp } from '../app/test-app.ts';

export { ManualTime } from '../../master/test-fixtures.ts';

export function app(over: Partial<AppDefinition> = {}): AppDefinition {
  const { id, ...rest } = over;
  return testApp(id ?? '/web', { cpus: 0.1, mem: 32, portDefinitions: [{ port: 10000, protocol: 'tcp', name: 'http' }], ...rest });
}

/** Marathon's defaults: grace 300 s, interval 60 s, timeout 20 s, 3 failures, delay 15 s, portIndex 0. */
export function healthCheck(over: Partial<HealthCheck> = {}): HealthCheck {
  return {
    protocol: 'HTTP',
    path: '/',
    portIndex: 0,
    gracePeriodSeconds: 300,
    intervalSeconds: 60,
    timeoutSeconds: 20,
    maxConsecutiveFailures: 3,
    delaySeconds: 15,
    ignoreHttp1xx: false,
    ...over,
  };
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface Loopback {
  readonly port: number;
  /** Requests (or connections, for TCP) seen so far. */
  hits(): number;
  close(): Promise<void>;
}

function listen(server: Server | TcpServer, count: () => number): Promise<Loopback> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        port,
        hits: count,
        close: () =>
          new Promise<void>((done) => {
            (server as Server).closeAllConnections?.();
            server.close(() => done());
          }),
      });
    });
  });
}

export function httpServer(handler: Handler): Promise<Loopback> {
  let hits = 0;
  const server = createHttpServer((req, res) => {
    hits++;
    handler(req, res);
  });
  server.keepAliveTimeout = 1;
  return listen(server, () => hits);
}

let cert: { key: Buffer; cert: Buffer } | undefined;

/** A self-signed certificate made once per test process (openssl is a dependency, deploy/install-deps). */
export function selfSigned(): { key: Buffer; cert: Buffer } {
  if (cert !== undefined) return cert;
  const dir = mkdtempSync(join(tmpdir(), 'maestro-marathon-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=maestro-test'], { stdio: 'ignore' });
    cert = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
    return cert;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function httpsServer(handler: Handler): Promise<Loopback> {
  let hits = 0;
  const server = createHttpsServer(selfSigned(), (req, res) => {
    hits++;
    handler(req, res);
  });
  server.keepAliveTimeout = 1;
  return listen(server, () => hits);
}

export function tcpServer(): Promise<Loopback> {
  let hits = 0;
  const server = createTcpServer((socket) => {
    hits++;
    socket.on('error', () => {});
    socket.end();
  });
  return listen(server, () => hits);
}

/** A loopback port with nothing listening (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = await tcpServer();
  await s.close();
  return s.port;
}

/** Waits in real time until `cond` holds (a real probe's answer arrives through the event loop); fails after `ms`. */
export async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets a few real event-loop turns pass (to show that nothing arrives). */
export const idle = (ms = 50): Promise<void> => new Promise((r) => setTimeout(r, ms));
