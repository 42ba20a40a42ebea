/**
 * Redis for tests: a unique key prefix per test on a server chosen once per test process:
 *   1. `MAESTRO_TEST_REDIS_URL` or `REDIS_URL`, if it answers;
 *   2. else the local server at 127.0.0.1:6379, if it answers;
 *   3. else one Debian `redis-server` on an ephemeral loopback port with a temp dir, stopped when
 *      the process exits (SIGTERM from our 'exit' handler) and, if the process was killed, by a
 *      small detached watcher that then removes the dir.
 * `MAESTRO_TEST_EMBEDDED_REDIS=1` forces 3 (a fresh Debian machine has no Redis).
 *
 * `createTestRedis()` gives `{ url, prefix, close }`: use `prefix` for every key (BullMQ's `prefix`
 * option); `close` removes the keys under it. A test that must flush or restart Redis asks for
 * `{ privateServer: true }`: a redis-server of its own (path 3, whatever the environment), which
 * `close` stops and removes. Shared servers are never flushed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';

export type TestRedisKind = 'env' | 'local' | 'embedded' | 'private';

export interface TestRedis {
  readonly url: string;
  /** Unique to this test: `maestro-test:<pid>:<n>:<hex>`. */
  readonly prefix: string;
  readonly kind: TestRedisKind;
  /** Embedded and private servers: the redis-server's pid and temp dir. */
  readonly pid?: number;
  readonly dir?: string;
  /** Removes the keys under `prefix` (a private server: stops it and removes its dir). Idempotent. */
  close(): Promise<void>;
}

export interface TestRedisOptions {
  /** A redis-server for this test alone (to FLUSHALL or restart it). */
  readonly privateServer?: boolean;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** SIGTERM, wait for the exit, remove the dir. Idempotent. */
  stop(): Promise<void>;
}

interface SharedServer {
  readonly kind: Exclude<TestRedisKind, 'private'>;
  readonly url: string;
  readonly server?: RedisServer;
}

const LOCAL_URL = 'redis://127.0.0.1:6379';

let shared: Promise<SharedServer> | undefined;
let counter = 0;

export async function createTestRedis(options: TestRedisOptions = {}): Promise<TestRedis> {
  const prefix = `maestro-test:${process.pid}:${++counter}:${randomBytes(3).toString('hex')}`;
  if (options.privateServer) {
    const server = await startRedisServer();
    return { url: server.url, prefix, kind: 'private', pid: server.pid, dir: server.dir, close: server.stop };
  }
  shared ??= chooseServer();
  const { kind, url, server } = await shared;
  let closed: Promise<void> | undefined;
  return {
    url, prefix, kind, pid: server?.pid, dir: server?.dir,
    close: () => (closed ??= deleteKeys(url, prefix)),
  };
}

async function chooseServer(): Promise<SharedServer> {
  if (process.env.MAESTRO_TEST_EMBEDDED_REDIS !== '1') {
    const fromEnv = process.env.MAESTRO_TEST_REDIS_URL || process.env.REDIS_URL;
    if (fromEnv && await answers(fromEnv)) return { kind: 'env', url: fromEnv };
    if (await answers(LOCAL_URL)) return { kind: 'local', url: LOCAL_URL };
  }
  const server = await startRedisServer();
  return { kind: 'embedded', url: server.url, server };
}

/**
 * Starts Debian's redis-server on a free loopback port, no persistence, its dir a fresh temp dir.
 * It stops when `stop` is called or this process exits, however it exits. `port`: that port (a
 * restart of a stopped server at the same address), else a free one.
 */
export async function startRedisServer(options: { readonly port?: number } = {}): Promise<RedisServer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'maestro-test-redis-'));
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? await freePort();
    const child = spawn('redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'notice',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      await untilReady(child, 15_000);
    } catch (err) {
      lastError = err as Error;
      if (child.exitCode === null) child.kill('SIGKILL');
      continue; // most likely the port was taken between freePort and the bind
    }
    return serverHandle(child, port, dir);
  }
  await fs.rm(dir, { recursive: true, force: true });
  throw new Error(`could not start redis-server: ${lastError?.message}`, { cause: lastError });
}

function serverHandle(child: ChildProcess, port: number, dir: string): RedisServer {
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  process.once('exit', onExit);
  // If this process is killed outright: stop the server (only while it is still ours to stop) and
  // remove its dir once both are gone.
  spawn('/bin/sh', ['-c', [
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 0.2; done',
    'if ! kill -0 "$1" 2>/dev/null; then kill "$2" 2>/dev/null; fi',
    'while kill -0 "$2" 2>/dev/null; do sleep 0.2; done',
    'rm -rf "$3"',
  ].join('; '), 'sh', String(process.pid), String(pid), dir], { detached: true, stdio: 'ignore' }).unref();
  child.stdout?.resume();
  child.stderr?.resume();
  let stopped: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`, port, pid, dir,
    stop: () => (stopped ??= (async () => {
      process.removeListener('exit', onExit);
      onExit();
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    })()),
  };
}

function untilReady(child: ChildProcess, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => done(new Error(`redis-server not ready within ${ms} ms: ${out.slice(-500)}`)), ms);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) done();
    };
    const onExit = (code: number | null) => done(new Error(`redis-server exited (${code}): ${out.slice(-500)}`));
    const onError = (err: Error) => done(err);
    function done(err?: Error) {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) reject(err);
      else resolve();
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 3 });
  client.on('error', () => {});
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
