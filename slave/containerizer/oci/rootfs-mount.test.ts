/** The mount table parser (the mounting itself is tested with real mounts in test/oci-runtime.test.ts). */
import test from 'ava';
import { parseMountInfo } from './rootfs-mount.ts';

test('parseMountInfo: mount point, type and source, optional fields and octal escapes', (t) => {
  const text = [
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
    '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:15 master:3 - cgroup cgroup rw,memory',
    '90 27 0:50 / /var/run/x/bundle\\040with\\040space/rootfs rw,relatime - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c',
    'garbage line',
    '',
  ].join('\n');
  t.deepEqual(parseMountInfo(text), [
    { mountPoint: '/', fsType: 'ext4', source: '/dev/vda' },
    { mountPoint: '/sys/fs/cgroup/memory', fsType: 'cgroup', source: 'cgroup' },
    { mountPoint: '/var/run/x/bundle with space/rootfs', fsType: 'overlay', source: 'overlay' },
  ]);
});
