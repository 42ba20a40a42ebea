/**
 * A real Docker Registry HTTP API v2 on loopback for tests: Debian's `docker-registry`
 * (`/usr/bin/docker-registry serve <config.yml>`) on 127.0.0.1, a free port, storage in a temp dir.
 *
 * Authentication:
 * - `none`: the registry as it is.
 * - `token`: the registry's `auth.token` scheme. A token server runs in the test process: it takes
 *   HTTP Basic credentials (`user`/`password`, 401 otherwise) and answers an RS256 JWT signed with
 *   a key made by `openssl` whose self-signed certificate the registry trusts
 *   (`auth.token.rootcertbundle`); the JWT carries that certificate in `x5c`.
 * - `basic`: HTTP Basic in front of the registry. Debian's registry checks htpasswd files with
 *   bcrypt, which neither Node nor the base system can produce, so a small proxy in the test
 *   process checks the credentials and forwards to the registry (the registry's own answers pass
 *   through unchanged).
 *
 * `stop()` kills the registry, closes the servers and removes the temp dir; call it from
 * `t.teardown` / `test.after.always`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createSign, randomUUID, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type RegistryAuth = 'none' | 'token' | 'basic';

export interface TestRegistry {
  /** `http://127.0.0.1:<port>` (the address clients use; the proxy's under `basic`). */
  readonly url: string;
  /** `127.0.0.1:<port>`: the registry part of image references. */
  readonly host: string;
  readonly user: string;
  readonly password: string;
  /** A Docker config.json (`auths`) with the right credentials for `host`, written in the temp dir. */
  readonly dockerConfig: string;
  /** Token requests the token server answered with a token (to see that auth was used). */
  tokensIssued(): number;
  /**
   * Pushes an image of an OCI layout to `repoTag` (`repo:tag`, no host) with skopeo. `source` is
   * the layout's `org.opencontainers.image.ref.name`; without it the layout must hold one image.
   */
  push(layoutDir: string, repoTag: string, source?: string): Promise<void>;
  stop(): Promise<void>;
}

const SERVICE = 'maestro-test-registry';
const ISSUER = 'maestro-test-token-issuer';

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function basicCredentials(req: IncomingMessage): { user: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const raw = Buffer.from(h.slice(6), 'base64').toString();
  const i = raw.indexOf(':');
  return i < 0 ? undefined : { user: raw.slice(0, i), password: raw.slice(i + 1) };
}

function tokenServer(dir: string, user: string, password: string, onIssue: () => void): { server: Server; certPath: string } {
  const keyPath = join(dir, 'token.key');
  const certPath = join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', '/CN=maestro-test-token'], { stdio: 'ignore' });
  const key = readFileSync(keyPath);
  const certDer = new X509Certificate(readFileSync(certPath)).raw;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const creds = basicCredentials(req);
    if (!creds || creds.user !== user || creds.password !== password) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="maestro-test-token"' });
      res.end(JSON.stringify({ details: 'incorrect username or password' }));
      return;
    }
    const url = new URL(req.url ?? '/', 'http://token');
    const access = url.searchParams.getAll('scope').flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      return type && name && actions !== undefined ? [{ type, name, actions: actions.split(',').filter((a) => a === 'pull' || a === 'push') }] : [];
    });
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', x5c: [certDer.toString('base64')] };
    const claims = { iss: ISSUER, sub: creds.user, aud: url.searchParams.get('service') ?? SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    const signature = createSign('RSA-SHA256').update(input).sign(key);
    const token = `${input}.${b64url(signature)}`;
    onIssue();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ token, access_token: token, expires_in: 300, issued_at: new Date(now * 1000).toISOString() }));
  });
  return { server, certPath };
}

function basicProxy(target: number, user: string, password: string): Server {
  return createServer((req, res) => {
    const creds = basicCredentials(req);
    if (!creds || creds.user !== user || creds.password !== password) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="maestro-test-registry"', 'docker-distribution-api-version': 'registry/2.0' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const up = request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });
}

async function waitForRegistry(port: number, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited (${proc.exitCode}): ${logs()}`);
    const up = await new Promise<boolean>((resolve) => {
      const r = request({ host: '127.0.0.1', port, path: '/v2/', timeout: 1000 }, (res) => {
        res.resume();
        resolve(true);
      });
      r.on('error', () => resolve(false));
      r.end();
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`docker-registry did not answer on 127.0.0.1:${port} in 15 s: ${logs()}`);
}

export async function startTestRegistry(opts: { readonly auth: RegistryAuth; readonly user?: string; readonly password?: string } = { auth: 'none' }): Promise<TestRegistry> {
  const user = opts.user ?? 'tester';
  const password = opts.password ?? 'secret-pass';
  const dir = mkdtempSync(join(tmpdir(), 'maestro-registry-'));
  const servers: Server[] = [];
  let proc: ChildProcess | undefined;
  let issued = 0;
  const stop = async (): Promise<void> => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc!.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    }
    await Promise.all(servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    let authYaml = '';
    if (opts.auth === 'token') {
      const ts = tokenServer(dir, user, password, () => { issued += 1; });
      servers.push(ts.server);
      const tport = await listen(ts.server);
      authYaml = [
        'auth:',
        '  token:',
        `    realm: http://127.0.0.1:${tport}/token`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${ts.certPath}`,
      ].join('\n');
    }
    const config = join(dir, 'config.yml');
    writeFileSync(config, [
      'version: 0.1',
      'log:',
      '  level: warn',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: 127.0.0.1:${port}`,
      `  secret: ${randomUUID()}`,
      authYaml,
      '',
    ].join('\n'));
    let output = '';
    proc = spawn('/usr/bin/docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-4000); });
    proc.stderr!.on('data', (d: Buffer) => { output = (output + d.toString()).slice(-4000); });
    await waitForRegistry(port, proc, () => output);
    let clientPort = port;
    if (opts.auth === 'basic') {
      const proxy = basicProxy(port, user, password);
      servers.push(proxy);
      clientPort = await listen(proxy);
    }
    const host = `127.0.0.1:${clientPort}`;
    const dockerConfig = join(dir, 'docker-config.json');
    writeFileSync(dockerConfig, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } }), { mode: 0o600 });
    return {
      url: `http://${host}`,
      host,
      user,
      password,
      dockerConfig,
      tokensIssued: () => issued,
      push: async (layoutDir, repoTag, source) => {
        const args = ['copy', '--quiet', '--dest-tls-verify=false'];
        if (opts.auth !== 'none') args.push('--dest-creds', `${user}:${password}`);
        args.push(source ? `oci:${layoutDir}:${source}` : `oci:${layoutDir}`, `docker://${host}/${repoTag}`);
        await new Promise<void>((resolve, reject) => {
          const p = spawn('skopeo', args, { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          p.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
          p.on('error', reject);
          p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo push to ${host}/${repoTag} failed (${code}): ${err.trim()}`))));
        });
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
