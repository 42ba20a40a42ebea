import test from 'ava';
import fc from 'fast-check';
import { codec, ProtoError } from './codec.ts';
import type { Codec } from './codec.ts';
import type { maestro, mesos } from './types.generated.ts';

const callCodec = codec('mesos.v1.scheduler.Call');
const eventCodec = codec('mesos.v1.scheduler.Event');
const statusCodec = codec('mesos.v1.TaskStatus');
const envelopeCodec = codec('maestro.agent.Envelope');

/** plain -> bytes -> plain and plain -> JSON text -> fromJson must both give back the input. */
function roundTrips<T>(c: Codec<T>, plain: T): { viaBytes: T; viaJson: T } {
  const viaBytes = c.decode(c.encode(plain));
  const viaJson = c.fromJson(JSON.parse(JSON.stringify(c.toJson(plain))));
  return { viaBytes, viaJson };
}

function errorOf(fn: () => unknown): ProtoError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtoError) return err;
    throw err;
  }
  throw new Error('expected a ProtoError');
}

const cpus = (value: number, role?: string): mesos.v1.Resource => ({
  name: 'cpus',
  type: 'SCALAR',
  scalar: { value },
  ...(role === undefined ? {} : { allocation_info: { role } }),
});

const offer = (i: number): mesos.v1.Offer => ({
  id: { value: `offer-${i}` },
  framework_id: { value: 'fw-1' },
  agent_id: { value: `agent-${i}` },
  hostname: `host-${i}.example`,
  resources: [
    cpus(4, 'dev'),
    { name: 'mem', type: 'SCALAR', scalar: { value: 8192.5 } },
    { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31099 }, { begin: 32000, end: 32000 }] } },
    { name: 'zones', type: 'SET', set: { item: ['a', 'b'] } },
    {
      name: 'disk',
      type: 'SCALAR',
      scalar: { value: 1024 },
      reservations: [
        { type: 'STATIC', role: 'eng' },
        { type: 'DYNAMIC', role: 'eng/web', principal: 'ops', labels: { labels: [{ key: 'k', value: 'v' }] } },
      ],
      disk: { persistence: { id: 'vol-1' }, volume: { mode: 'RW', container_path: 'data' } },
    },
  ],
  attributes: [
    { name: 'rack', type: 'TEXT', text: { value: 'r1' } },
    { name: 'level', type: 'SCALAR', scalar: { value: 3 } },
  ],
  allocation_info: { role: 'dev' },
});

test('an OFFERS event round-trips through protobuf and through JSON', (t) => {
  const event: mesos.v1.scheduler.Event = { type: 'OFFERS', offers: { offers: [offer(1), offer(2)] } };
  const { viaBytes, viaJson } = roundTrips(eventCodec, event);
  t.deepEqual(viaBytes, event);
  t.deepEqual(viaJson, event);
});

test('an ACCEPT call with LAUNCH and RESERVE operations round-trips', (t) => {
  const call: mesos.v1.scheduler.Call = {
    framework_id: { value: 'fw-1' },
    type: 'ACCEPT',
    accept: {
      offer_ids: [{ value: 'o1' }, { value: 'o2' }],
      operations: [
        { type: 'RESERVE', reserve: { resources: [{ ...cpus(1), reservations: [{ type: 'DYNAMIC', role: 'dev' }] }] } },
        {
          type: 'LAUNCH',
          launch: {
            task_infos: [
              {
                name: 'web',
                task_id: { value: 't1' },
                agent_id: { value: 'a1' },
                resources: [cpus(0.5)],
                command: { value: 'sleep 10', shell: true, environment: { variables: [{ name: 'A', value: '1' }] } },
                data: Buffer.from([0, 1, 2, 255]).toString('base64'),
                limits: { cpus: { value: 2 } },
              },
            ],
          },
        },
      ],
      filters: { refuse_seconds: 30 },
    },
  };
  const { viaBytes, viaJson } = roundTrips(callCodec, call);
  t.deepEqual(viaBytes, call);
  t.deepEqual(viaJson, call);
});

test('a TaskStatus keeps its uuid bytes, state, reason and timestamps', (t) => {
  const uuid = Buffer.from('0123456789abcdef0123456789abcdef', 'hex').toString('base64');
  const status: mesos.v1.TaskStatus = {
    task_id: { value: 't1' },
    state: 'TASK_FAILED',
    message: 'oom',
    source: 'SOURCE_AGENT',
    reason: 'REASON_CONTAINER_LIMITATION_MEMORY',
    agent_id: { value: 'a1' },
    timestamp: 1700000000.25,
    uuid,
    healthy: false,
    unreachable_time: { nanoseconds: 1700000000123456789 },
  };
  const { viaBytes, viaJson } = roundTrips(statusCodec, status);
  t.deepEqual(viaBytes, status);
  t.deepEqual(viaJson, status);
  t.is(Buffer.from(viaBytes.uuid as string, 'base64').length, 16);
});

test('every agent-protocol envelope member round-trips', (t) => {
  const agentInfo: mesos.v1.AgentInfo = { hostname: 'h', port: 5051, resources: [cpus(2)] };
  const envelopes: maestro.agent.Envelope[] = [
    { register_agent: { agent_info: agentInfo, version: '0.1.0', capabilities: [{ type: 'MULTI_ROLE' }], endpoint: 'h:5051' } },
    { reregister_agent: { agent_info: { ...agentInfo, id: { value: 'a1' } }, version: '0.1.0', checkpointed_resources: [cpus(1)] } },
    { agent_registered: { agent_id: { value: 'a1' }, master_info: { id: 'm', ip: 16777343, port: 5050 }, ping_interval_seconds: 15 } },
    { registration_refused: { message: 'bad token' } },
    { status_update: { framework_id: { value: 'f' }, status: { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid: 'AAAA' }, latest_state: 'TASK_RUNNING' } },
    { status_update_acknowledgement: { agent_id: { value: 'a1' }, framework_id: { value: 'f' }, task_id: { value: 't' }, uuid: 'AAAA' } },
    { ping: { sequence: 2 ** 40 } },
    { pong: { sequence: 7 } },
    { kill_task: { framework_id: { value: 'f' }, task_id: { value: 't' }, kill_policy: { grace_period: { nanoseconds: 5e9 } } } },
    { reconcile_tasks: { framework_id: { value: 'f' } } },
    { shutdown_agent: {} },
  ];
  for (const env of envelopes) {
    t.deepEqual(envelopeCodec.decode(envelopeCodec.encode(env)), env);
  }
});

test('the SUBSCRIBE call a real client sends (explicit nulls) parses and drops the nulls', (t) => {
  const body =
    '{"type":"SUBSCRIBE","framework_id":null,"subscribe":{"framework_info":{"user":"root","name":"x","id":null,' +
    '"failover_timeout":null,"roles":["*"],"capabilities":[{"type":"MULTI_ROLE"}]}}}';
  const call = callCodec.fromJson(JSON.parse(body));
  t.deepEqual(call, {
    type: 'SUBSCRIBE',
    subscribe: { framework_info: { user: 'root', name: 'x', roles: ['*'], capabilities: [{ type: 'MULTI_ROLE' }] } },
  });
  t.false('framework_id' in call);
});

test('fromJson ignores unknown fields and drops empty repeated fields', (t) => {
  const call = callCodec.fromJson({ type: 'REVIVE', revive: { roles: [] }, some_future_field: { a: 1 } });
  t.deepEqual(call, { type: 'REVIVE', revive: {} });
});

test('64-bit integers are accepted as numbers and as decimal strings', (t) => {
  const time = codec('mesos.v1.TimeInfo');
  t.deepEqual(time.fromJson({ nanoseconds: '1700000000000000000' }), { nanoseconds: 1700000000000000000 });
  t.deepEqual(time.fromJson({ nanoseconds: 42 }), { nanoseconds: 42 });
  t.deepEqual(time.decode(time.encode({ nanoseconds: -5 })), { nanoseconds: -5 });
});

const badJson: ReadonlyArray<[string, string, unknown, string, string]> = [
  // [title, type, input, expected path, expected message]
  ['unknown enum name', 'mesos.v1.scheduler.Call', { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }, { type: 'FOO' }] } } },
    'subscribe.framework_info.capabilities[1].type', "Failed to find enum value 'FOO' for field 'subscribe.framework_info.capabilities[1].type'"],
  ['missing required field', 'mesos.v1.scheduler.Call', { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'n' } } },
    'subscribe.framework_info.user', "Missing required field 'subscribe.framework_info.user'"],
  ['required field given as null', 'mesos.v1.FrameworkInfo', { user: null, name: 'n' }, 'user', "Missing required field 'user'"],
  ['number for a string', 'mesos.v1.scheduler.Call', { subscribe: { framework_info: { user: 5, name: 'n' } } },
    'subscribe.framework_info.user', "expected a string for 'subscribe.framework_info.user'"],
  ['string for a repeated field', 'mesos.v1.FrameworkInfo', { user: 'u', name: 'n', roles: '*' }, 'roles', "expected an array for 'roles'"],
  ['array for a message', 'mesos.v1.FrameworkInfo', { user: 'u', name: 'n', id: [] }, 'id', "expected an object for 'id'"],
  ['fraction for an integer', 'mesos.v1.AgentInfo', { hostname: 'h', port: 1.5 }, 'port', "expected an integer for 'port'"],
  ['string for a boolean', 'mesos.v1.FrameworkInfo', { user: 'u', name: 'n', checkpoint: 'yes' }, 'checkpoint', "expected a boolean for 'checkpoint'"],
  ['number for an enum', 'mesos.v1.scheduler.Call', { type: 1 }, 'type', "expected an enum value name for 'type'"],
  ['negative unsigned', 'mesos.v1.Value.Range', { begin: -1, end: 2 }, 'begin', "expected a non-negative integer for 'begin'"],
  ['bad base64 bytes', 'mesos.v1.TaskStatus', { task_id: { value: 't' }, state: 'TASK_RUNNING', uuid: 'not base64!' }, 'uuid', "expected a base64 string for 'uuid'"],
  ['non-object message', 'mesos.v1.scheduler.Call', 'SUBSCRIBE', '', "expected an object for 'mesos.v1.scheduler.Call'"],
];
for (const [title, typeName, input, path, message] of badJson) {
  test(`fromJson rejects ${title} with the path`, (t) => {
    const err = errorOf(() => codec(typeName).fromJson(input));
    t.is(err.path, path);
    t.is(err.message, message);
  });
}

test('decode reports a missing required field with its path', (t) => {
  // Call{ subscribe: Subscribe{ framework_info: FrameworkInfo{} } }: user and name are missing.
  const err = errorOf(() => callCodec.decode(new Uint8Array([0x1a, 0x02, 0x0a, 0x00])));
  t.is(err.path, 'subscribe.framework_info.user');
});

test('decode drops an unknown enum number in an optional field and fails it in a required one', (t) => {
  // TaskStatus{ task_id{value:"t"}, state: 1 (TASK_RUNNING), reason: 99 (unknown) }
  const unknownReason = new Uint8Array([0x0a, 0x03, 0x0a, 0x01, 0x74, 0x10, 0x01, 0x50, 0x63]);
  t.deepEqual(statusCodec.decode(unknownReason), { task_id: { value: 't' }, state: 'TASK_RUNNING' });
  // same, but state: 99 (unknown)
  const unknownState = new Uint8Array([0x0a, 0x03, 0x0a, 0x01, 0x74, 0x10, 0x63]);
  t.is(errorOf(() => statusCodec.decode(unknownState)).path, 'state');
  // repeated enum: capabilities [{type: 6}, {type: 99}] -> the second loses its type
  const fi = codec('mesos.v1.FrameworkInfo');
  const bytes = fi.encode({ user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }, { type: 'UNKNOWN' }] });
  const patched = Buffer.from(bytes);
  const at = patched.lastIndexOf(0x08); // tag of Capability.type (field 1, varint) in the last capability
  patched[at + 1] = 99;
  t.deepEqual(fi.decode(patched), { user: 'u', name: 'n', capabilities: [{ type: 'MULTI_ROLE' }, {}] });
});

test('decode of arbitrary bytes returns a value or throws ProtoError, never anything else', (t) => {
  const types = ['mesos.v1.scheduler.Call', 'mesos.v1.scheduler.Event', 'maestro.agent.Envelope', 'mesos.v1.TaskInfo'];
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.uint8Array({ maxLength: 200 }), (typeName, bytes) => {
      try {
        codec(typeName).decode(bytes);
      } catch (err) {
        return err instanceof ProtoError;
      }
      return true;
    }),
    { numRuns: 3000, seed: 42 },
  );
  t.pass();
});

test('decode of truncated valid messages throws ProtoError', (t) => {
  const bytes = eventCodec.encode({ type: 'OFFERS', offers: { offers: [offer(1)] } });
  let protoErrors = 0;
  for (let cut = 1; cut < bytes.length; cut++) {
    try {
      eventCodec.decode(bytes.subarray(0, cut));
    } catch (err) {
      t.true(err instanceof ProtoError, `cut at ${cut}`);
      protoErrors++;
    }
  }
  // bytes = [0x08 0x02] (type) + offers field. Only the cut right after `type` is a complete
  // message; every other cut ends inside a field.
  t.is(protoErrors, bytes.length - 2);
});

test('toJson drops undefined and null fields but keeps the canonical form otherwise', (t) => {
  const messy = { type: 'DECLINE', decline: { offer_ids: [{ value: 'o' }], filters: undefined }, framework_id: null };
  t.deepEqual(callCodec.toJson(messy as unknown as mesos.v1.scheduler.Call), { type: 'DECLINE', decline: { offer_ids: [{ value: 'o' }] } });
  const clean: mesos.v1.scheduler.Call = { type: 'TEARDOWN', framework_id: { value: 'f' } };
  t.is(callCodec.toJson(clean), clean);
});

test('codec() caches per type and rejects unknown type names', (t) => {
  t.is(codec('mesos.v1.Offer'), codec('mesos.v1.Offer'));
  t.is(codec('mesos.v1.Offer').typeName, 'mesos.v1.Offer');
  t.throws(() => codec('mesos.v1.NoSuchMessage'), { instanceOf: ProtoError });
});

test('fromJson of arbitrary JSON returns a value or throws ProtoError, never anything else', (t) => {
  const types = ['mesos.v1.scheduler.Call', 'mesos.v1.FrameworkInfo', 'mesos.v1.Resource', 'maestro.agent.Envelope'];
  const fieldNames = ['type', 'subscribe', 'framework_info', 'user', 'name', 'roles', 'capabilities', 'scalar', 'value',
    'ranges', 'range', 'begin', 'end', 'reservations', 'uuid', 'offer_filters', 'register_agent', 'agent_info', '__proto__'];
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constantFrom(null, true, 0, -1, 1.5, '', 'SCALAR', 'MULTI_ROLE', '12', 'AAAA'),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom(...fieldNames), tie('value'), { maxKeys: 4 }),
    ),
  }));
  fc.assert(
    fc.property(fc.constantFrom(...types), value, (typeName, input) => {
      try {
        codec(typeName).fromJson(input);
      } catch (err) {
        return err instanceof ProtoError;
      }
      return true;
    }),
    { numRuns: 3000, seed: 99 },
  );
  t.pass();
});
