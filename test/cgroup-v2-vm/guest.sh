#!/bin/busybox sh
# PID 1 of the guest after switch_root (run by the host's /bin/busybox; init.sh set up the mounts).
#
# Role: prove the guest is a pure cgroup v2 host (cgroup lines of mountinfo, the root's
# cgroup.controllers), enable every controller in the root's cgroup.subtree_control (as systemd
# does), bring up `lo`, then run the `command` file of the results share with bash inside a leaf
# cgroup /system.slice/cgroup-v2-vm.service (where a systemd service would run; the file `cgroup`
# of the share, when present, names another, `/` for the root), its output going to the console
# and to `output`, its exit status to `rc`. Then sync and power off.
# Invariant: PID 1 never exits (the kernel would panic): it always ends in a power-off.
R=/run/cgroup-v2-vm
B=/bin/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
off() {
  $B sync
  # poweroff -f is the reboot(2) call itself; sysrq only queues the power-off, so PID 1 waits.
  $B poweroff -f
  echo o >/proc/sysrq-trigger
  while :; do $B sleep 1 2>/dev/null; done
}
trap off EXIT

read -r up _ </proc/uptime
echo "== guest up after ${up}s (kernel $($B uname -r))"
echo '== /proc/self/mountinfo | grep cgroup'
$B grep cgroup /proc/self/mountinfo
echo '== /sys/fs/cgroup/cgroup.controllers'
$B cat /sys/fs/cgroup/cgroup.controllers
for c in $($B cat /sys/fs/cgroup/cgroup.controllers); do
  echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || echo "cannot enable $c in the root"
done
echo "== /sys/fs/cgroup/cgroup.subtree_control: $($B cat /sys/fs/cgroup/cgroup.subtree_control)"

$B ip link set lo up
$B hostname cgroup-v2-vm

leaf=/system.slice/cgroup-v2-vm.service
[ -f $R/cgroup ] && leaf=$($B cat $R/cgroup)
if [ "$leaf" != / ]; then
  # Controllers flow down every level above the leaf, as systemd delegates them.
  dir=/sys/fs/cgroup
  ctl=$($B cat $dir/cgroup.subtree_control)
  for part in $(echo "${leaf#/}" | $B tr / ' '); do
    dir=$dir/$part
    $B mkdir -p "$dir"
    [ "$dir" = "/sys/fs/cgroup$leaf" ] && break
    for c in $ctl; do echo "+$c" >"$dir/cgroup.subtree_control"; done
  done
fi
echo "== command (in cgroup $leaf):"
$B cat $R/command
echo '== output'

# The subshell moves itself into the leaf before bash starts, so every test process starts there.
(
  echo 0 >"/sys/fs/cgroup${leaf%/}/cgroup.procs" || echo "cannot enter cgroup $leaf"
  /bin/bash $R/command </dev/null 2>&1
  echo $? >$R/rc
) | $B tee $R/output
echo "== guest command exit status: $($B cat $R/rc 2>/dev/null || echo none)"
