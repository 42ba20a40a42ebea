import test from 'ava';
import { codec, ProtoError } from './codec.ts';
import type { mesos } from './types.generated.ts';

// Hand-built byte strings for the proto2 corner cases the differential test cannot reach
// (protobufjs and our encoder never produce them, but other peers may).

function errorOf(fn: () => unknown): ProtoError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtoError) return err;
    throw err;
  }
  throw new Error('expected a ProtoError');
}

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const httpCheck = codec('mesos.v1.HealthCheck.HTTPCheckInfo');
const frameworkId = codec('mesos.v1.FrameworkID');

test('repeated numbers are read both packed and unpacked', (t) => {
  // port = 80 (field 1 varint), statuses (field 4): packed [200, 204] then unpacked 301
  const wire = bytes(0x08, 0x50, 0x22, 0x04, 0xc8, 0x01, 0xcc, 0x01, 0x20, 0xad, 0x02);
  t.deepEqual(httpCheck.decode(wire), { port: 80, statuses: [200, 204, 301] });
});

test('unknown fields of every wire type, groups included, are skipped', (t) => {
  const wire = bytes(
    0x0a, 0x01, 0x78, // value = "x"
    0x10, 0x96, 0x01, // field 2 varint 150
    0x19, 1, 2, 3, 4, 5, 6, 7, 8, // field 3 fixed64
    0x25, 1, 2, 3, 4, // field 4 fixed32
    0x2a, 0x02, 0x61, 0x62, // field 5 length-delimited
    0x33, 0x38, 0x01, 0x34, // field 6 group { field 7 varint 1 }
  );
  t.deepEqual(frameworkId.decode(wire), { value: 'x' });
});

test('a known field with the wrong wire type is skipped like an unknown one', (t) => {
  // value (field 1, a string) sent as varint 5, then as the string "ok"
  t.deepEqual(frameworkId.decode(bytes(0x08, 0x05, 0x0a, 0x02, 0x6f, 0x6b)), { value: 'ok' });
});

test('the last value of a singular field wins and a sub-message sent twice is merged', (t) => {
  const resource = codec('mesos.v1.Resource');
  // name "a", type SCALAR, scalar{value 1.0}, name "b", scalar{} again (merged: value kept)
  const one = [0x3f, 0xf0, 0, 0, 0, 0, 0, 0].reverse();
  const wire = bytes(0x0a, 0x01, 0x61, 0x10, 0x00, 0x1a, 0x09, 0x09, ...one, 0x0a, 0x01, 0x62, 0x1a, 0x00);
  t.deepEqual(resource.decode(wire), { name: 'b', type: 'SCALAR', scalar: { value: 1 } });
});

test('malformed input is a ProtoError with a clear message', (t) => {
  const cases: ReadonlyArray<[Uint8Array, RegExp]> = [
    [bytes(0x0a, 0x05, 0x61), /length exceeds the input/],
    [bytes(0x08), /truncated varint/],
    [bytes(0x0f), /invalid wire type 7/],
    [bytes(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), /varint longer than 10 bytes/],
    [bytes(0x00, 0x00), /field number 0/],
  ];
  for (const [wire, message] of cases) t.regex(errorOf(() => frameworkId.decode(wire)).message, message);
});

test('nesting deeper than 100 levels is refused, not a stack overflow', (t) => {
  const containerId = codec('mesos.v1.ContainerID');
  let deep: mesos.v1.ContainerID = { value: 'root' };
  for (let i = 0; i < 150; i++) deep = { value: `c${i}`, parent: deep };
  const wire = containerId.encode(deep);
  t.regex(errorOf(() => containerId.decode(wire)).message, /nesting too deep/);
  let shallow: mesos.v1.ContainerID = { value: 'root' };
  for (let i = 0; i < 50; i++) shallow = { value: `c${i}`, parent: shallow };
  t.deepEqual(containerId.decode(containerId.encode(shallow)), shallow);
});

test('64-bit values keep their sign and size across the wire', (t) => {
  const time = codec('mesos.v1.TimeInfo');
  const range = codec('mesos.v1.Value.Range');
  for (const n of [0, 1, 127, 128, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -1, -(2 ** 31), -(2 ** 53 - 1)]) {
    t.is(time.decode(time.encode({ nanoseconds: n })).nanoseconds, n, `int64 ${n}`);
  }
  t.deepEqual(range.decode(range.encode({ begin: 0, end: 2 ** 53 - 1 })), { begin: 0, end: 2 ** 53 - 1 });
  // -1 as int64 is ten bytes 0xff..0x01 on the wire, as protobuf writes it
  t.deepEqual([...time.encode({ nanoseconds: -1 })], [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
});

test('map fields encode as key/value entries and decode back', (t) => {
  const fi = codec('mesos.v1.FrameworkInfo');
  const info: mesos.v1.FrameworkInfo = {
    user: 'u',
    name: 'n',
    offer_filters: { dev: { min_allocatable_resources: { quantities: [{ quantities: { cpus: { value: 1 } } }] } }, ops: {} },
  };
  t.deepEqual(fi.decode(fi.encode(info)), info);
});

test('encode refuses unknown enum names and missing required fields, naming the path', (t) => {
  const call = codec('mesos.v1.scheduler.Call');
  const badEnum = { type: 'SUBSCRIBE', subscribe: { framework_info: { user: 'u', name: 'n', capabilities: [{ type: 'NOPE' }] } } };
  const e1 = errorOf(() => call.encode(badEnum as unknown as mesos.v1.scheduler.Call));
  t.is(e1.path, 'subscribe.framework_info.capabilities[0].type');
  t.is(e1.message, "Unknown enum value 'NOPE' for field 'subscribe.framework_info.capabilities[0].type'");
  const noUser = { type: 'SUBSCRIBE', subscribe: { framework_info: { name: 'n' } } };
  const e2 = errorOf(() => call.encode(noUser as unknown as mesos.v1.scheduler.Call));
  t.is(e2.path, 'subscribe.framework_info.user');
});

test('strings survive the wire byte for byte, multi-byte and long ones included', (t) => {
  for (const value of ['', 'plain', 'ünïcødé ✓', '😀'.repeat(50), 'x'.repeat(5000), 'é'.repeat(42), 'é'.repeat(43)]) {
    t.deepEqual(frameworkId.decode(frameworkId.encode({ value })), { value });
  }
});

test("a map key '__proto__' is an ordinary entry, from JSON and from the wire", (t) => {
  const quota = codec('mesos.v1.quota.QuotaConfig');
  const parsed = quota.fromJson(JSON.parse('{"role":"r","limits":{"__proto__":{"value":1},"cpus":{"value":2}}}'));
  t.deepEqual(Object.keys(parsed.limits ?? {}), ['__proto__', 'cpus']);
  t.is(Object.getPrototypeOf(parsed.limits), Object.prototype);
  const back = quota.decode(quota.encode(parsed));
  t.deepEqual(Object.keys(back.limits ?? {}).sort(), ['__proto__', 'cpus']);
  t.is(Object.getPrototypeOf(back.limits), Object.prototype);
});
