import test from 'ava';
import { createServer, type AddressInfo } from 'node:net';
import { httpGet, mediaType } from './http-get.ts';
import { closedPort, httpServer, httpsServer, until } from './test-fixtures.ts';

const signal = () => new AbortController().signal;

test('mediaType: parameters dropped, lower case, empty when absent', (t) => {
  t.is(mediaType('application/json; charset=utf-8'), 'application/json');
  t.is(mediaType('Text/Plain'), 'text/plain');
  t.is(mediaType(undefined), '');
});

test('httpGet: status, media type and body (kept only when asked)', async (t) => {
  const server = await httpServer((req, res) => res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(`{"path":"${req.url}"}`));
  t.teardown(() => server.close());
  const url = new URL(`http://127.0.0.1:${server.port}/ready?x=1`);
  t.deepEqual(await httpGet(url, signal(), { readBody: true }), { ok: true, response: { status: 200, contentType: 'application/json', body: '{"path":"/ready?x=1"}' } });
  t.deepEqual(await httpGet(url, signal()), { ok: true, response: { status: 200, contentType: 'application/json', body: '' } });
});

test('httpGet: a redirect is the answer (not followed)', async (t) => {
  const server = await httpServer((_, res) => res.writeHead(302, { location: 'http://127.0.0.1:1/elsewhere' }).end());
  t.teardown(() => server.close());
  const result = await httpGet(new URL(`http://127.0.0.1:${server.port}/`), signal());
  t.deepEqual(result, { ok: true, response: { status: 302, contentType: '', body: '' } });
  t.is(server.hits(), 1);
});

test('httpGet: an informational 1xx answer is seen as the answer', async (t) => {
  // A raw server that answers 102 Processing and never sends a final response.
  const raw = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write('HTTP/1.1 102 Processing\r\n\r\n'));
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => raw.close(() => r())));
  const { port } = raw.address() as AddressInfo;
  t.deepEqual(await httpGet(new URL(`http://127.0.0.1:${port}/`), signal()), { ok: true, response: { status: 102, contentType: '', body: '' } });
});

test('httpGet: https with a self-signed certificate is not verified', async (t) => {
  const server = await httpsServer((_, res) => res.writeHead(204).end());
  t.teardown(() => server.close());
  t.deepEqual(await httpGet(new URL(`https://localhost:${server.port}/`), signal()), { ok: true, response: { status: 204, contentType: '', body: '' } });
});

test('httpGet: connection refused is an error naming the URL', async (t) => {
  const port = await closedPort();
  const result = await httpGet(new URL(`http://127.0.0.1:${port}/h`), signal());
  t.false(result.ok);
  t.regex((result as { error: string }).error, new RegExp(`^GET http://127\\.0\\.0\\.1:${port}/h failed: .*ECONNREFUSED`));
});

test('httpGet: the body is cut at maxBodyBytes', async (t) => {
  const server = await httpServer((_, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000)));
  t.teardown(() => server.close());
  const result = await httpGet(new URL(`http://127.0.0.1:${server.port}/`), signal(), { readBody: true, maxBodyBytes: 100 });
  t.deepEqual(result, { ok: true, response: { status: 200, contentType: 'text/plain', body: 'x'.repeat(100) } });
});

test('httpGet: an abort settles with an error and closes the connection', async (t) => {
  let closed = false;
  const raw = createServer((socket) => {
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    socket.resume(); // read the request (and so see the client go), never answer
  });
  await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => raw.close(() => r())));
  const { port } = raw.address() as AddressInfo;
  const controller = new AbortController();
  const pending = httpGet(new URL(`http://127.0.0.1:${port}/`), controller.signal);
  await new Promise((r) => setTimeout(r, 50));
  controller.abort();
  const result = await pending;
  t.false(result.ok);
  t.regex((result as { error: string }).error, /aborted/);
  await until(() => closed);
  t.true(closed);
});

test('httpGet: an unsupported scheme is an error', async (t) => {
  t.deepEqual(await httpGet(new URL('ftp://127.0.0.1/'), signal()), { ok: false, error: "GET ftp://127.0.0.1/ failed: unsupported scheme 'ftp:'", cause: "unsupported scheme 'ftp:'" });
});
