/**
 * `POST /api/v1` on the agent through the app, with the fake AgentView: every implemented call in
 * JSON and protobuf, and the request errors with Mesos' codes and texts.
 */
import test from 'ava';
import { codec } from '../../proto/codec.ts';
import type { mesos } from '../../proto/types.generated.ts';
import { createAgentApp } from './app.ts';
import { commandExecutor, fakeAgentView, frameworkInfo, runningTask, sandboxFixture, statistics, STDOUT_TEXT } from './test-fixtures.ts';

const fixture = sandboxFixture();
const view = fakeAgentView(fixture);
const app = createAgentApp({ view, logger: false, version: '0.1.0', build: { gitSha: 'abc123' } });
test.after.always(async () => {
  await app.close();
  fixture.cleanup();
});

const callCodec = codec<mesos.v1.agent.Call>('mesos.v1.agent.Call');
const responseCodec = codec<mesos.v1.agent.Response>('mesos.v1.agent.Response');

async function call(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return app.inject({ method: 'POST', url: '/api/v1', headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function jsonCall(body: object): Promise<mesos.v1.agent.Response> {
  const res = await call(body);
  if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`);
  return responseCodec.fromJson(res.json());
}

test('GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS', async (t) => {
  t.deepEqual(await jsonCall({ type: 'GET_HEALTH' }), { type: 'GET_HEALTH', get_health: { healthy: true } });
  const flags = await jsonCall({ type: 'GET_FLAGS' });
  t.deepEqual(flags.get_flags?.flags?.find((f) => f.name === 'port'), { name: 'port', value: '5051' });
  t.deepEqual(await jsonCall({ type: 'GET_VERSION' }), { type: 'GET_VERSION', get_version: { version_info: { version: '0.1.0', git_sha: 'abc123' } } });
  const metrics = await jsonCall({ type: 'GET_METRICS', get_metrics: {} });
  t.deepEqual(metrics.get_metrics?.metrics, [{ name: 'slave/registered', value: 1 }, { name: 'slave/tasks_running', value: 1 }]);
});

test('GET_STATE, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, GET_AGENT, GET_CONTAINERS answer the view', async (t) => {
  const state = await jsonCall({ type: 'GET_STATE' });
  t.is(state.type, 'GET_STATE');
  t.deepEqual(state.get_state?.get_tasks?.launched_tasks?.[0].task_id, runningTask.task_id);
  t.deepEqual((await jsonCall({ type: 'GET_FRAMEWORKS' })).get_frameworks?.frameworks?.[0].framework_info.id, frameworkInfo.id);
  t.deepEqual((await jsonCall({ type: 'GET_EXECUTORS' })).get_executors?.executors?.[0].executor_info.executor_id, commandExecutor.executor_id);
  t.deepEqual((await jsonCall({ type: 'GET_TASKS' })).get_tasks?.completed_tasks?.map((x) => x.task_id.value), ['task-0']);
  t.deepEqual(await jsonCall({ type: 'GET_AGENT' }), { type: 'GET_AGENT', get_agent: view.getAgent() });
  const containers = await jsonCall({ type: 'GET_CONTAINERS' });
  t.deepEqual(containers.get_containers?.containers?.[0].resource_statistics, statistics);
});

test('protobuf in, protobuf out', async (t) => {
  const res = await app.inject({
    method: 'POST', url: '/api/v1',
    headers: { 'content-type': 'application/x-protobuf', accept: 'application/x-protobuf' },
    payload: Buffer.from(callCodec.encode({ type: 'GET_TASKS' })),
  });
  t.is(res.statusCode, 200);
  t.is(res.headers['content-type'], 'application/x-protobuf');
  const decoded = responseCodec.decode(new Uint8Array(res.rawPayload));
  t.deepEqual(decoded.get_tasks?.launched_tasks?.map((x) => x.task_id.value), ['task-1']);
});

test('LIST_FILES and READ_FILE go through the sandbox jail', async (t) => {
  const listed = await jsonCall({ type: 'LIST_FILES', list_files: { path: `${fixture.virtual}/sub` } });
  t.is(listed.type, 'LIST_FILES');
  t.deepEqual(listed.list_files?.file_infos?.map((f) => [f.path, f.size]), [[`${fixture.virtual}/sub/inner.txt`, 5]]);
  const read = await jsonCall({ type: 'READ_FILE', read_file: { path: `${fixture.virtual}/stdout`, offset: 6, length: 4 } });
  t.deepEqual(read.read_file, { size: Buffer.byteLength(STDOUT_TEXT), data: Buffer.from('from').toString('base64') });
  const escape = await call({ type: 'READ_FILE', read_file: { path: `${fixture.virtual}/etc-link/passwd`, offset: 0 } });
  t.is(escape.statusCode, 400);
  t.regex(escape.body, /is inaccessible/);
  t.is((await call({ type: 'READ_FILE', read_file: { path: '/etc/passwd', offset: 0 } })).statusCode, 404);
  t.is((await call({ type: 'LIST_FILES', list_files: { path: `${fixture.virtual}/..` } })).statusCode, 400);
  const dir = await call({ type: 'READ_FILE', read_file: { path: fixture.virtual, offset: 0 } });
  t.deepEqual([dir.statusCode, dir.body], [400, 'Cannot read a directory.\n']);
});

const errors: [string, { method?: string; headers?: Record<string, string>; body?: string }, number, string][] = [
  ['GET', { method: 'GET' }, 405, "405 Method Not Allowed. Expecting one of { 'POST' }, but received 'GET'."],
  ['no Content-Type', { headers: {}, body: '{"type":"GET_HEALTH"}' }, 400, "Expecting 'Content-Type' to be present"],
  ['text/plain', { headers: { 'content-type': 'text/plain' }, body: '{"type":"GET_HEALTH"}' }, 415,
    "Expecting 'Content-Type' of application/json or application/x-protobuf or application/recordio"],
  ['recordio without Message-Content-Type', { headers: { 'content-type': 'application/recordio' }, body: '' }, 400,
    "Expecting 'Message-Content-Type' to be set for streaming requests"],
  ['recordio with Message-Content-Type text/plain', { headers: { 'content-type': 'application/recordio', 'message-content-type': 'text/plain' }, body: '' }, 415,
    "Expecting 'Message-Content-Type' of application/json or application/x-protobuf"],
  ['recordio streaming call', { headers: { 'content-type': 'application/recordio', 'message-content-type': 'application/json' }, body: '' }, 501,
    'Streaming calls (application/recordio) are not implemented by this agent'],
  ['Message-Content-Type on a JSON call', { headers: { 'content-type': 'application/json', 'message-content-type': 'application/json' }, body: '{"type":"GET_HEALTH"}' }, 415,
    "Expecting 'Message-Content-Type' to be not set for non-streaming requests"],
  ['Accept recordio for a one-message call', { headers: { 'content-type': 'application/json', accept: 'application/recordio' }, body: '{"type":"GET_HEALTH"}' }, 406,
    'Request must accept json or protobuf'],
  ['Accept recordio, Message-Accept text/html', { headers: { 'content-type': 'application/json', accept: 'application/recordio', 'message-accept': 'text/html' }, body: '{"type":"GET_HEALTH"}' }, 406,
    "Expecting 'Message-Accept' to allow application/json or application/x-protobuf"],
  ['Message-Accept on a one-message answer', { headers: { 'content-type': 'application/json', 'message-accept': 'application/json' }, body: '{"type":"GET_HEALTH"}' }, 406,
    "Expecting 'Message-Accept' to be not set for non-streaming responses"],
  ['Accept checked before the body', { headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{"type":' }, 406,
    "Expecting 'Accept' to allow application/json or application/x-protobuf or application/recordio"],
  ['bad JSON', { body: '{"type":' }, 400, 'Failed to parse body into JSON'],
  ['unknown enum', { body: '{"type":"GET_NOTHING"}' }, 400, 'Failed to convert JSON into Call protobuf'],
  ['no type', { body: '{}' }, 400, "Failed to validate agent::Call: Expecting 'type' to be present"],
  ['GET_METRICS without get_metrics', { body: '{"type":"GET_METRICS"}' }, 400, "Failed to validate agent::Call: Expecting 'get_metrics' to be present"],
  ['READ_FILE without read_file', { body: '{"type":"READ_FILE"}' }, 400, "Failed to validate agent::Call: Expecting 'read_file' to be present"],
  ['Accept text/html', { headers: { 'content-type': 'application/json', accept: 'text/html' }, body: '{"type":"GET_HEALTH"}' }, 406,
    "Expecting 'Accept' to allow application/json or application/x-protobuf or application/recordio"],
  ['GET_LOGGING_LEVEL', { body: '{"type":"GET_LOGGING_LEVEL"}' }, 501, "Call 'GET_LOGGING_LEVEL' is not implemented by this agent"],
  ['KILL_CONTAINER', { body: '{"type":"KILL_CONTAINER","kill_container":{"container_id":{"value":"C1"}}}' }, 501,
    "Call 'KILL_CONTAINER' is not implemented by this agent"],
];

for (const [name, request, status, message] of errors) {
  test(`operator API error: ${name} -> ${status}`, async (t) => {
    const res = await app.inject({
      method: (request.method ?? 'POST') as 'POST',
      url: '/api/v1',
      headers: request.headers ?? { 'content-type': 'application/json' },
      payload: request.body,
    });
    t.is(res.statusCode, status);
    t.true(res.body.startsWith(message), res.body);
  });
}

test('while the agent recovers, /api/v1 answers 503', async (t) => {
  let recovering = true;
  const recoveringApp = createAgentApp({ view: fakeAgentView(fixture, { recovering: () => recovering }), logger: false, version: '0.1.0' });
  try {
    const res = await recoveringApp.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: '{"type":"GET_HEALTH"}' });
    t.deepEqual([res.statusCode, res.body], [503, 'Agent has not finished recovery']);
    recovering = false;
    const after = await recoveringApp.inject({ method: 'POST', url: '/api/v1', headers: { 'content-type': 'application/json' }, payload: '{"type":"GET_HEALTH"}' });
    t.is(after.statusCode, 200);
  } finally {
    await recoveringApp.close();
  }
});
