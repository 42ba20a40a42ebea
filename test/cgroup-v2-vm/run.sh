#!/bin/bash
# Runs the project's real cgroup tests on a pure cgroup v2 kernel: a small KVM guest (Debian's
# linux-image-amd64 kernel, booted with cgroup_no_v1=all) whose root filesystem is this host's,
# shared read-only over virtio 9p under a tmpfs overlay, so the guest runs this very checkout with
# this host's node, node_modules and tools, unchanged, and writes nothing back.
#
#   test/cgroup-v2-vm/run.sh [ava args...]        default: the cgroup test files (DEFAULT_FILES)
#   CGROUP_V2_VM_CMD='shell command' test/cgroup-v2-vm/run.sh     any command instead of ava
#
# Prints the guest's console (its cgroup mounts and controllers first, then the command's output)
# and exits with the guest command's exit status; 125 when the guest gave none (it did not boot,
# crashed, or ran past the time limit). Environment (all optional):
#   CGROUP_V2_VM_MEM (MiB, 4096), CGROUP_V2_VM_CPUS (2), CGROUP_V2_VM_TIMEOUT (seconds, 900 with KVM, 2400 with TCG),
#   CGROUP_V2_VM_KERNEL (a version under /lib/modules, e.g. 6.1.0-56-amd64; default the newest
#   with a /boot/vmlinuz), CGROUP_V2_VM_CGROUP (the guest cgroup the command runs in, default
#   /system.slice/cgroup-v2-vm.service; `/` for the root), CGROUP_V2_VM_ACCEL (kvm | tcg, default
#   kvm when /dev/kvm opens), CGROUP_V2_VM_KEEP=1 (keep the results directory and say where).
# Needs root (the tests need it anyway) and installs what is missing with apt-get.
# Invariants: no qemu outlives this script (a hard timeout, and a trap that kills it); the
# temporary directory (initramfs, results share) is removed unless CGROUP_V2_VM_KEEP=1.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
DEFAULT_FILES=(test/isolators-cgroups.test.ts test/agent-isolation.test.ts slave/containerizer/cgroups-isolation.test.ts slave/isolators/cgroups/*.test.ts)
MEM=${CGROUP_V2_VM_MEM:-4096}
CPUS=${CGROUP_V2_VM_CPUS:-2}
TIMEOUT=${CGROUP_V2_VM_TIMEOUT:-}
MODULES=(virtio_pci 9pnet_virtio 9p overlay)

say() { echo "cgroup-v2-vm: $*" >&2; }

install_missing() {
  local pkgs=()
  command -v qemu-system-x86_64 >/dev/null || pkgs+=(qemu-system-x86)
  # The initramfs needs a static busybox (ldd fails on a static binary).
  { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || pkgs+=(busybox-static)
  command -v cpio >/dev/null || pkgs+=(cpio)
  command -v modprobe >/dev/null || pkgs+=(kmod)
  ls /boot/vmlinuz-*-amd64 >/dev/null 2>&1 || pkgs+=(linux-image-amd64)
  [ ${#pkgs[@]} -eq 0 ] && return 0
  say "installing ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y --no-install-recommends "${pkgs[@]}" >/dev/null; }
}

pick_kernel() {
  if [ -n "${CGROUP_V2_VM_KERNEL:-}" ]; then echo "$CGROUP_V2_VM_KERNEL"; return; fi
  local v
  for v in $(ls /lib/modules 2>/dev/null | sort -rV); do
    [ -f "/boot/vmlinuz-$v" ] && [ -n "$(find "/lib/modules/$v" -name '9p.ko*' -print -quit)" ] && { echo "$v"; return; }
  done
  return 1
}

[ "$(id -u)" = 0 ] || { say 'must run as root'; exit 125; }
install_missing
KVER=$(pick_kernel) || { say 'no kernel with /boot/vmlinuz-<v> and 9p modules in /lib/modules/<v>'; exit 125; }

WORK=$(mktemp -d /tmp/cgroup-v2-vm.XXXXXX)
QEMU_PID=
cleanup() {
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    kill "$QEMU_PID" 2>/dev/null || true
    sleep 1
    kill -9 "$QEMU_PID" 2>/dev/null || true
  fi
  if [ "${CGROUP_V2_VM_KEEP:-}" = 1 ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The initramfs: busybox, init.sh, and the modules (decompressed) in load order.
ROOTFS=$WORK/initramfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/modules" "$WORK/results"
cp /bin/busybox "$ROOTFS/bin/busybox"
cp "$HERE/init.sh" "$ROOTFS/init"
chmod 755 "$ROOTFS/init"
: >"$ROOTFS/modules/order"
for path in $(for m in "${MODULES[@]}"; do modprobe -S "$KVER" --show-depends "$m"; done | awk '$1 == "insmod" { print $2 }'); do
  name=$(basename "$path")
  case $name in
    *.ko.xz) name=${name%.xz}; xz -dc "$path" >"$ROOTFS/modules/$name" ;;
    *.ko.zst) name=${name%.zst}; zstd -qdc "$path" >"$ROOTFS/modules/$name" ;;
    *.ko.gz) name=${name%.gz}; gzip -dc "$path" >"$ROOTFS/modules/$name" ;;
    *) cp "$path" "$ROOTFS/modules/$name" ;;
  esac
  grep -qx "$name" "$ROOTFS/modules/order" || echo "$name" >>"$ROOTFS/modules/order"
done
(cd "$ROOTFS" && find . | cpio -o -H newc --quiet | gzip -1) >"$WORK/initramfs.cpio.gz"

ACCEL=${CGROUP_V2_VM_ACCEL:-}
if [ -z "$ACCEL" ]; then
  if [ -d /sys/module/kvm_pvm ] && [ ! -d /sys/module/kvm_intel ] && [ ! -d /sys/module/kvm_amd ]; then
    # PVM (this project's machines): /dev/kvm opens, but it runs only kernels built as PVM
    # guests; Debian's kernel hangs right after its real-mode setup (docs/cgroup-v2-vm.md).
    ACCEL=tcg
    say '/dev/kvm is PVM (kvm_pvm), which cannot boot a stock kernel: using TCG (software, ~15x slower)'
  elif [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then ACCEL=kvm
  else ACCEL=tcg; fi
fi

# What the guest runs: cwd = this checkout, then ava on the given or default files.
{
  printf 'cd %q || exit 125\n' "$PROJECT"
  if [ -n "${CGROUP_V2_VM_CMD:-}" ]; then
    printf '%s\n' "$CGROUP_V2_VM_CMD"
  else
    [ $# -eq 0 ] && set -- "${DEFAULT_FILES[@]}"
    # ava's own limits only (the tests are unchanged): no test is idle for 2 minutes under TCG,
    # and one test at a time, so that the tests' own start-up bounds (30 s) hold there.
    printf 'exec npx ava --timeout=10m'
    [ "$ACCEL" = tcg ] && printf ' --serial'
    printf ' %q' "$@"
    printf '\n'
  fi
} >"$WORK/results/command"
cp "$HERE/guest.sh" "$WORK/results/guest.sh"
[ -n "${CGROUP_V2_VM_CGROUP:-}" ] && printf '%s\n' "$CGROUP_V2_VM_CGROUP" >"$WORK/results/cgroup"

if [ "$ACCEL" = kvm ]; then CPU=(-enable-kvm -cpu host); else CPU=(-accel tcg -cpu max); fi
[ -n "$TIMEOUT" ] || { [ "$ACCEL" = kvm ] && TIMEOUT=900 || TIMEOUT=2400; }
say "kernel $KVER, $ACCEL, ${MEM} MiB, $CPUS cpus, timeout ${TIMEOUT}s, project $PROJECT"

start=$(date +%s.%N)
set +e
timeout --kill-after=10 "$TIMEOUT" qemu-system-x86_64 \
  "${CPU[@]}" -m "$MEM" -smp "$CPUS" \
  -nodefaults -no-user-config -display none -no-reboot \
  -serial stdio -monitor none \
  -kernel "/boot/vmlinuz-$KVER" -initrd "$WORK/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 rdinit=/init" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap \
  -virtfs "local,path=$WORK/results,mount_tag=results,security_model=passthrough" \
  </dev/null > >(sed -u 's/\r$//') &
QEMU_PID=$!
wait "$QEMU_PID"
qemu_rc=$?
set -e
end=$(date +%s.%N)
say "VM ran $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')s (qemu/timeout status $qemu_rc)"

if [ ! -s "$WORK/results/rc" ]; then
  say 'the guest reported no exit status (no boot, crash, or timeout)'
  exit 125
fi
rc=$(cat "$WORK/results/rc")
say "guest command exit status $rc"
exit "$rc"
