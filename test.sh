#!/usr/bin/env bash
# Quick start, step 2: installs what the tests need and runs the whole suite:
# unit, contract, gRPC and end-to-end tests (mvn verify), then a smoke test of the
# launchers bin/hypervisord and bin/hvctl as a user runs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source scripts/lib.sh

ensure_build_tools
# Real components the tests drive: a registry on loopback, skopeo to push test images,
# qemu-img to check disk images, busybox-static for image contents, attr for xattrs,
# runc + conmon + iproute2 + iptables + e2fsprogs for containers, ping for network tests,
# QEMU + genisoimage for VMs; the VM tests fetch a Debian kernel package with apt-get download.
apt_install procps docker-registry skopeo qemu-utils busybox-static attr apache2-utils \
  runc conmon iproute2 iptables e2fsprogs iputils-ping qemu-system-x86 genisoimage

log "mvn verify"
mvn -B verify

log "smoke test: bin/hypervisord + bin/hvctl"
scripts/smoke.sh
