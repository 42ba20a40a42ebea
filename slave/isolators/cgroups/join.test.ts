import test from 'ava';
import { cgroupJoinScript } from './join.ts';

test('the join script writes 0 (the writing process itself) into each cgroup.procs, quoted, and exits 125 on failure', (t) => {
  t.is(
    cgroupJoinScript(['/sys/fs/cgroup/memory/maestro/c1/cgroup.procs', "/odd/it's/cgroup.procs"]),
    `{ echo 0 >'/sys/fs/cgroup/memory/maestro/c1/cgroup.procs'; } 2>/dev/null || { echo "maestro: cannot join cgroup "'/sys/fs/cgroup/memory/maestro/c1/cgroup.procs' >&2; exit 125; }; ` +
      `{ echo 0 >'/odd/it'\\''s/cgroup.procs'; } 2>/dev/null || { echo "maestro: cannot join cgroup "'/odd/it'\\''s/cgroup.procs' >&2; exit 125; }`,
  );
  t.is(cgroupJoinScript([]), '');
});
