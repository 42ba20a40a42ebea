/**
 * Loads every .proto under proto/ into one protobufjs reflection Root, once per process.
 *
 * Invariants: field names keep their .proto spelling (`keepCase`), so reflection names are the
 * snake_case names of the Mesos JSON form; imports such as "mesos/v1/mesos.proto" resolve
 * relative to this folder; the root is fully resolved before it is handed out.
 */
import protobuf from 'protobufjs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Every schema file, relative to proto/. Order does not matter; imports are followed. */
export const PROTO_FILES: readonly string[] = [
  'mesos/v1/mesos.proto',
  'mesos/v1/scheduler/scheduler.proto',
  'mesos/v1/executor/executor.proto',
  'mesos/v1/master/master.proto',
  'mesos/v1/agent/agent.proto',
  'mesos/v1/quota/quota.proto',
  'mesos/v1/maintenance/maintenance.proto',
  'mesos/v1/allocator/allocator.proto',
  'maestro/agent_protocol.proto',
];

let cached: protobuf.Root | undefined;

/** A fresh, resolved root of all maestro schemas (for callers that adjust reflection data). */
export function createRoot(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string => (isAbsolute(target) ? target : join(here, target));
  root.loadSync(PROTO_FILES.slice(), { keepCase: true });
  root.resolveAll();
  return root;
}

/** The shared reflection root of all maestro schemas; treat it as read-only. */
export function loadRoot(): protobuf.Root {
  if (cached === undefined) cached = createRoot();
  return cached;
}
