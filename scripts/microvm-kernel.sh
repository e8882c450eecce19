#!/usr/bin/env bash
# A small x86_64 kernel for microVMs, built from Debian's linux-source-6.1 with everything a
# microVM needs built in (virtio-mmio, -blk, -net, ext4, the ACPI power button): no modules.
# Debian's cloud kernel does not boot in 64 MiB (its bzImage needs 16 + 51.5 MiB to decompress);
# this one does. See README.md "MicroVMs".
#
#   scripts/microvm-kernel.sh [OUT_DIR]      (default /var/cache/hypervisor-microvm-kernel)
#
# Installs the kernel as OUT_DIR/boot/vmlinuz-RELEASE (and its config as OUT_DIR/boot/config-RELEASE)
# and prints its path on stdout; progress goes to stderr. Skips the build when OUT_DIR already
# holds a kernel built from the same config fragment, source package version and compiler. A
# clean build took 3 min 22 s on 2 cores shared with a test suite (unpacking 10 s, make -j2
# bzImage 188 s), giving a 2.5 MB bzImage; the source is unpacked under $MICROVM_KERNEL_BUILD_DIR
# (default /var/tmp/hypervisor-microvm-kernel, 1.6 GB with the objects), kept for a faster rebuild.
# Needs root for apt-get (skipped when everything is installed).
set -euo pipefail
# The kernel's path is this script's only output on stdout (callers capture it): everything
# else, whatever prints it (apt-get, make), goes to stderr.
exec 3>&1 1>&2
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/lib.sh"

out="${1:-/var/cache/hypervisor-microvm-kernel}"
build_root="${MICROVM_KERNEL_BUILD_DIR:-/var/tmp/hypervisor-microvm-kernel}"
localversion="-hv-microvm"

# What the kernel must have, on top of `make tinyconfig` (x86_64). Every CONFIG_ here is
# checked to be =y (or the value) after `make olddefconfig`.
wanted=(
  # The machine: 64-bit, SMP for microVMs of several vCPUs, a tickless idle (idle guests under
  # TCG cost host CPU for every tick), KVM's paravirt clock when the host has KVM.
  64BIT SMP X86_MPPARSE X86_X2APIC NO_HZ_IDLE HIGH_RES_TIMERS HZ_100
  HYPERVISOR_GUEST PARAVIRT KVM_GUEST
  # Console on the 8250 UART (ttyS0), messages through printk.
  PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE UNIX98_PTYS
  # Our initramfs: gzip'd newc cpio (MicroVmInitramfs). The kernel itself is gzip'd too.
  BLK_DEV_INITRD RD_GZIP KERNEL_GZIP
  # Filesystems the init mounts.
  DEVTMPFS PROC_FS PROC_SYSCTL SYSFS TMPFS SHMEM BLOCK EXT4_FS
  # microvm's devices: virtio-mmio, found through ACPI (acpi=on) or the command line.
  VIRTIO_MENU VIRTIO_MMIO VIRTIO_MMIO_CMDLINE_DEVICES VIRTIO_BLK NETDEVICES NET_CORE VIRTIO_NET
  # Power: ACPI (microvm is reduced hardware: GED), the power button as an input event device.
  # ACPI needs PCI on x86 (without it ACPICA installs no PCI_Config region handler and loads no
  # table: no power button, no devices); the command line's pci=off keeps it from probing.
  ACPI ACPI_BUTTON INPUT INPUT_EVDEV PCI
  # Networking for the workload.
  NET INET PACKET UNIX
  # What userspace (busybox and a container's workload) expects of the kernel.
  MULTIUSER FUTEX EPOLL SIGNALFD TIMERFD EVENTFD POSIX_TIMERS FILE_LOCKING SYSVIPC FHANDLE
  INOTIFY_USER ADVISE_SYSCALLS MEMBARRIER BINFMT_ELF BINFMT_SCRIPT
)
# Off: no modules (everything is built in), no VGA console, no other decompressors for the
# initramfs, no laptop ACPI drivers.
unwanted=(MODULES VT RD_BZIP2 RD_LZMA RD_XZ RD_LZO RD_LZ4 RD_ZSTD KERNEL_XZ HZ_250
  ACPI_AC ACPI_BATTERY ACPI_FAN ACPI_THERMAL)
# Values: the release's suffix, one UART (ttyS0), up to 64 vCPUs.
values=(--set-str LOCALVERSION "$localversion" --disable LOCALVERSION_AUTO --set-val SERIAL_8250_NR_UARTS 1
  --set-val SERIAL_8250_RUNTIME_UARTS 1 --set-val NR_CPUS 64)

apt_install build-essential bc flex bison libelf-dev libssl-dev cpio xz-utils linux-source-6.1
source_version="$(dpkg-query -W -f='${Version}' linux-source-6.1)"
tarball=/usr/src/linux-source-6.1.tar.xz
[[ -f $tarball ]] || { echo "microvm-kernel: $tarball is missing (linux-source-6.1 $source_version)" >&2; exit 1; }

# One build at a time (the benchmark runs this script too): a second run waits, then finds the cache.
mkdir -p "$build_root"
exec 9>"$build_root/.lock"
flock 9

# The cache key: this fragment, the source package's version and the compiler's.
hash="$(printf '%s\n' "${wanted[@]}" -- "${unwanted[@]}" -- "${values[@]}" "$source_version" "$(gcc --version | head -1)" \
  | sha256sum | cut -c1-16)"
if [[ -f $out/.config-hash && $(cat "$out/.config-hash") == "$hash" ]] && compgen -G "$out/boot/vmlinuz-*" >/dev/null; then
  kernel="$(ls "$out"/boot/vmlinuz-* | head -1)"
  log "cached: $kernel (config $hash)"
  echo "$kernel" >&3
  exit 0
fi

src="$build_root/linux-source-6.1"
if [[ ! -f $src/.unpacked-$source_version ]]; then
  log "unpacking $tarball into $build_root"
  rm -rf "$src"
  tar -xJf "$tarball" -C "$build_root"
  touch "$src/.unpacked-$source_version"
fi

start=$SECONDS
cd "$src"
log "configuring (tinyconfig + ${#wanted[@]} options)"
make -s ARCH=x86_64 tinyconfig >/dev/null
args=()
for option in "${wanted[@]}"; do args+=(--enable "$option"); done
for option in "${unwanted[@]}"; do args+=(--disable "$option"); done
scripts/config "${args[@]}" "${values[@]}"
make -s ARCH=x86_64 olddefconfig
missing=()
for option in "${wanted[@]}"; do
  grep -qx "CONFIG_$option=y" .config || missing+=("$option")
done
for option in "${unwanted[@]}"; do
  grep -qx "CONFIG_$option=y" .config && missing+=("!$option")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "microvm-kernel: after make olddefconfig these options are not as wanted: ${missing[*]}" >&2
  exit 1
fi

log "building bzImage (make -j2; about 3-4 minutes on 2 cores)"
make -s ARCH=x86_64 -j2 bzImage KBUILD_BUILD_USER=hypervisord KBUILD_BUILD_HOST=microvm-kernel >&2
release="$(make -s ARCH=x86_64 kernelrelease)"

# OUT_DIR/boot holds this one kernel only (a kernel of another release would be found first).
mkdir -p "$out"
rm -rf "$out/boot.tmp" "$out/.config-hash"
mkdir "$out/boot.tmp"
cp arch/x86/boot/bzImage "$out/boot.tmp/vmlinuz-$release"
cp .config "$out/boot.tmp/config-$release"
rm -rf "$out/boot"
mv "$out/boot.tmp" "$out/boot"
echo "$hash" > "$out/.config-hash"
log "built $out/boot/vmlinuz-$release ($(du -k "$out/boot/vmlinuz-$release" | cut -f1) KiB) in $((SECONDS - start)) s"
echo "$out/boot/vmlinuz-$release" >&3
