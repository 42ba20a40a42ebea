/**
 * Encoding benchmark of the scheduler API hot path (proto/codec.ts):
 *   - encode an OFFERS event of 100 offers (4 resources each: cpus, mem, disk, ports ranges;
 *     2 attributes; hostname) as JSON text and as protobuf bytes;
 *   - decode an ACCEPT call (one LAUNCH of 10 tasks) from JSON text and from protobuf bytes;
 *   - and, for the framework side (frameworks/sdk), decode that OFFERS event both ways.
 * Figures: median over runs of a batch, as operations per second and payload MB per second.
 */
import { codec } from '../proto/codec.ts';
import type { mesos } from '../proto/types.generated.ts';
import { emit, median, printTable, timeRuns } from './report.ts';
import type { BenchResult } from './report.ts';

const OFFERS = 100;
const TASKS = 10;
const BATCH = 20;
const RUNS = 15;

const scalar = (name: string, value: number): mesos.v1.Resource => ({
  name,
  type: 'SCALAR',
  scalar: { value },
  allocation_info: { role: 'dev' },
});

function offersEvent(): mesos.v1.scheduler.Event {
  const offers: mesos.v1.Offer[] = [];
  for (let i = 0; i < OFFERS; i++) {
    offers.push({
      id: { value: `2f6a1e3c-0b7d-4c55-9d1a-0000000${String(i).padStart(5, '0')}-O${i}` },
      framework_id: { value: '2f6a1e3c-0b7d-4c55-9d1a-6c1e4d2f9a10-0001' },
      agent_id: { value: `2f6a1e3c-0b7d-4c55-9d1a-6c1e4d2f9a10-S${i}` },
      hostname: `agent-${i}.cluster.example.com`,
      resources: [
        scalar('cpus', 7.5),
        scalar('mem', 30720),
        scalar('disk', 409600),
        { name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 31000, end: 31999 }, { begin: 33000, end: 33100 }] }, allocation_info: { role: 'dev' } },
      ],
      attributes: [
        { name: 'rack', type: 'TEXT', text: { value: `rack-${i % 8}` } },
        { name: 'zone', type: 'TEXT', text: { value: `zone-${i % 3}` } },
      ],
      allocation_info: { role: 'dev' },
    });
  }
  return { type: 'OFFERS', offers: { offers } };
}

function acceptCall(): mesos.v1.scheduler.Call {
  const tasks: mesos.v1.TaskInfo[] = [];
  for (let i = 0; i < TASKS; i++) {
    tasks.push({
      name: `web-${i}`,
      task_id: { value: `web.instance-${i}` },
      agent_id: { value: '2f6a1e3c-0b7d-4c55-9d1a-6c1e4d2f9a10-S1' },
      resources: [scalar('cpus', 0.5), scalar('mem', 256)],
      command: { shell: true, value: 'python3 -m http.server $PORT0', environment: { variables: [{ name: 'PORT0', value: '31000' }] } },
      labels: { labels: [{ key: 'app', value: 'web' }] },
    });
  }
  return {
    framework_id: { value: '2f6a1e3c-0b7d-4c55-9d1a-6c1e4d2f9a10-0001' },
    type: 'ACCEPT',
    accept: {
      offer_ids: [{ value: '2f6a1e3c-0b7d-4c55-9d1a-000000000001-O1' }],
      operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }],
      filters: { refuse_seconds: 5 },
    },
  };
}

const eventCodec = codec('mesos.v1.scheduler.Event');
const callCodec = codec('mesos.v1.scheduler.Call');
const event = offersEvent();
const call = acceptCall();
const callJson = JSON.stringify(callCodec.toJson(call));
const callBytes = callCodec.encode(call);

const config = { offers: OFFERS, resources_per_offer: 4, accept_tasks: TASKS, batch: BATCH, runs: RUNS };
const results: BenchResult[] = [];

function measure(name: string, bytesPerOp: number, op: () => void): void {
  const perRun = timeRuns(() => {
    for (let i = 0; i < BATCH; i++) op();
  }, RUNS, 3);
  const msPerOp = median(perRun) / BATCH;
  const opsPerSec = 1000 / msPerOp;
  for (const r of [
    { metric: `${name}_ops`, value: opsPerSec, unit: 'ops/s' },
    { metric: `${name}_throughput`, value: (opsPerSec * bytesPerOp) / 1e6, unit: 'MB/s' },
    { metric: `${name}_size`, value: bytesPerOp, unit: 'bytes' },
  ]) {
    const result: BenchResult = { bench: 'encoding', config, ...r };
    results.push(result);
    emit(result);
  }
}

let sink = 0;
measure('offers_event_encode_json', Buffer.byteLength(JSON.stringify(eventCodec.toJson(event))), () => {
  sink += JSON.stringify(eventCodec.toJson(event)).length;
});
measure('offers_event_encode_protobuf', eventCodec.encode(event).length, () => {
  sink += eventCodec.encode(event).length;
});
measure('accept_call_decode_json', Buffer.byteLength(callJson), () => {
  sink += callCodec.fromJson(JSON.parse(callJson)).accept === undefined ? 0 : 1;
});
measure('accept_call_decode_protobuf', callBytes.length, () => {
  sink += callCodec.decode(callBytes).accept === undefined ? 0 : 1;
});
const eventJson = JSON.stringify(eventCodec.toJson(event));
const eventBytes = eventCodec.encode(event);
measure('offers_event_decode_json', Buffer.byteLength(eventJson), () => {
  sink += eventCodec.fromJson(JSON.parse(eventJson)).offers === undefined ? 0 : 1;
});
measure('offers_event_decode_protobuf', eventBytes.length, () => {
  sink += eventCodec.decode(eventBytes).offers === undefined ? 0 : 1;
});
if (sink < 0) process.stdout.write('unreachable\n');
printTable(results);
