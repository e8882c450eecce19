#!/usr/bin/env bash
# Quick start, step 2: installs what the tests need and runs the whole suite:
# unit, contract, gRPC and end-to-end tests (mvn verify), then a smoke test of the
# launchers bin/hypervisord and bin/hvctl as a user runs them, then a short fuzzing run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source scripts/lib.sh

ensure_build_tools
# Real components the tests drive: a registry on loopback, skopeo to push test images,
# qemu-img to check disk images, busybox-static for image contents, attr for xattrs,
# runc (and gVisor's runsc) + conmon + iproute2 + iptables + e2fsprogs for containers, ping for network tests,
# QEMU + genisoimage for VMs; the VM tests fetch a Debian kernel package with apt-get download;
# etcd-server for the etcd store's tests, which start their own members on loopback ports; openssl makes their certificates;
# curl (HTTP/2 over a unix socket) calls the daemon's socket as another user, under util-linux's setpriv.
apt_install procps docker-registry skopeo qemu-utils busybox-static attr apache2-utils \
  runc runsc conmon iproute2 iptables e2fsprogs iputils-ping qemu-system-x86 genisoimage etcd-server etcd-client openssl \
  curl util-linux

# The VM tests boot Debian's cloud kernel: fetch its package once (apt-get download, no install).
guest_kernels=/var/cache/hypervisor-vm-test
if [[ ! -d $guest_kernels/kernel/boot ]] && ! compgen -G "$guest_kernels/download/linux-image-*-cloud-amd64_*.deb" >/dev/null; then
  apt_lists
  kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | sed -n 's/^ *Depends: \(linux-image-.*\)$/\1/p' | head -1)
  log "fetching $kernel_pkg for the VM tests"
  mkdir -p "$guest_kernels/download"
  (cd "$guest_kernels/download" && apt-get download -qq "$kernel_pkg")
fi

# The microVM driver tests boot the small microVM kernel at 64 MiB (built from Debian's
# linux-source once, about 3.5 min on 2 cores, then cached); the microVM end-to-end tests boot
# Debian's cloud kernel with its modules, so both kernel paths run.
log "small microVM kernel (scripts/microvm-kernel.sh)"
HV_MICROVM_KERNEL="$(scripts/microvm-kernel.sh)"
export HV_MICROVM_KERNEL HV_MICROVM_MEMORY_MIB=64

log "mvn verify"
mvn -B verify

log "smoke test: bin/hypervisord + bin/hvctl"
scripts/smoke.sh

log "fuzz tests, 10 s each (scripts/fuzz.sh; longer: scripts/fuzz.sh 600)"
scripts/fuzz.sh 10
