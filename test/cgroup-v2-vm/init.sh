#!/bin/busybox sh
# /init of the guest's initramfs (run.sh builds it): a static busybox, this script, and the
# few kernel modules needed before the host's root can be seen (virtio_pci, 9p, overlay).
#
# Role: turn the host's root filesystem (9p, read-only, tag `hostroot`) into a writable root
# (overlayfs, upper layer on tmpfs: nothing the guest writes reaches the host), mount the kernel
# filesystems with cgroup2 alone at /sys/fs/cgroup (the kernel runs with cgroup_no_v1=all), mount
# the results share (9p, tag `results`, the only writable host directory) at /run/cgroup-v2-vm,
# then switch_root and hand PID 1 to guest.sh (copied into the results share by run.sh).
# Invariant: any failure here powers the guest off at once (run.sh then reports no exit code).
set -u
B=/bin/busybox
$B mkdir -p /proc /sys /dev /lower /rw /newroot
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev

die() {
  echo "cgroup-v2-vm init: $*" >/dev/console
  { $B grep -E '9p|overlay' /proc/filesystems; $B ls /sys/bus/virtio/devices /sys/bus/pci/devices; $B cat /proc/modules; $B dmesg | $B tail -20; } >/dev/console 2>&1
  $B poweroff -f
  echo o >/proc/sysrq-trigger
  while :; do $B sleep 1; done
}

# Modules in dependency order (modprobe --show-depends at build time).
for m in $($B cat /modules/order); do
  $B insmod "/modules/$m" || die "insmod $m failed"
done

# The virtio devices may still be probing: retry for a few seconds.
i=0
until $B mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=524288,cache=loose hostroot /lower; do
  i=$((i + 1)); [ $i -lt 50 ] || die 'mount 9p hostroot failed'; $B sleep 0.2
done
$B mount -t tmpfs -o mode=755,size=75% tmpfs /rw || die 'tmpfs for the overlay upper layer failed'
$B mkdir -p /rw/upper /rw/work
$B mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || die 'overlay over 9p failed'

N=/newroot
$B mount -t proc proc $N/proc || die 'proc'
$B mount -t sysfs sysfs $N/sys || die 'sysfs'
$B mount --move /dev $N/dev || die 'move /dev'
$B mkdir -p $N/dev/pts $N/dev/shm
$B mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $N/dev/pts || die 'devpts'
$B mount -t tmpfs -o mode=1777 tmpfs $N/dev/shm || die '/dev/shm'
# cgroup v2 only, with the options systemd uses on a unified host.
$B mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 $N/sys/fs/cgroup || die 'cgroup2'
for d in tmp var/tmp; do $B mount -t tmpfs -o mode=1777 tmpfs $N/$d || die "tmpfs /$d"; done
# tsx's transform cache (os.tmpdir()/tsx-<uid>) from the host: compiling every .ts file afresh
# costs tens of seconds when the guest runs without KVM.
for d in /lower/tmp/tsx-*; do [ -d "$d" ] && $B cp -a "$d" $N/tmp/; done
$B mount -t tmpfs -o mode=755 tmpfs $N/run || die 'tmpfs /run'
$B mkdir -p $N/run/cgroup-v2-vm $N/run/netns $N/run/lock
$B mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=none results $N/run/cgroup-v2-vm || die 'mount 9p results failed'
$B umount /proc /sys 2>/dev/null
exec $B switch_root $N /bin/busybox sh /run/cgroup-v2-vm/guest.sh
