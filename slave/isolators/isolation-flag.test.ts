import test from 'ava';
import { parseIsolation } from './isolation-flag.ts';

const AVAILABLE = 'available: cgroups/cpu, cgroups/mem, cgroups/pids, posix/cpu, posix/mem, namespaces/pid, filesystem/linux, posix/disk, filesystem/posix, docker/runtime, volume/host_path, volume/sandbox_path';

test('valid lists keep their order; passive names are set apart; blanks are ignored', (t) => {
  t.deepEqual(parseIsolation('cgroups/mem, cgroups/cpu,cgroups/pids'), { ok: true, isolators: ['cgroups/mem', 'cgroups/cpu', 'cgroups/pids'], passive: [] });
  t.deepEqual(parseIsolation('posix/cpu,posix/mem'), { ok: true, isolators: ['posix/cpu', 'posix/mem'], passive: [] });
  t.deepEqual(parseIsolation('filesystem/posix,cgroups/cpu,posix/mem,posix/disk,'), { ok: true, isolators: ['cgroups/cpu', 'posix/mem'], passive: ['filesystem/posix', 'posix/disk'] });
  t.deepEqual(parseIsolation(''), { ok: true, isolators: [], passive: [] });
  t.deepEqual(parseIsolation('cgroups/cpu,namespaces/pid,filesystem/linux,docker/runtime'), { ok: true, isolators: ['cgroups/cpu', 'namespaces/pid', 'filesystem/linux'], passive: ['docker/runtime'] });
});

test('errors name the entry: unknown, Mesos-only, twice, the same resource twice', (t) => {
  const cases: Array<[string, string]> = [
    ['cgroups/cpu,cgroups/memory', `--isolation: unknown isolator 'cgroups/memory' (${AVAILABLE})`],
    ['namespaces/ipc', `--isolation: 'namespaces/ipc' is a Mesos isolator that maestro does not implement yet (${AVAILABLE})`],
    ['cgroups/devices', `--isolation: 'cgroups/devices' is a Mesos isolator that maestro does not implement yet (${AVAILABLE})`],
    ['cgroups/mem,cgroups/mem', "--isolation: 'cgroups/mem' is given twice"],
    ['cgroups/cpu,posix/cpu', "--isolation: 'cgroups/cpu' and 'posix/cpu' both isolate cpu; give one of them"],
    ['posix/mem,cgroups/mem', "--isolation: 'cgroups/mem' and 'posix/mem' both isolate mem; give one of them"],
  ];
  for (const [text, message] of cases) t.deepEqual(parseIsolation(text), { ok: false, message }, text);
});
