#!/usr/bin/env bash
# Quick start, step 1: installs what is missing (JDK 17, Maven), builds, and runs
# hypervisord on 127.0.0.1:50051 with its embedded store in ./data.
# Arguments pass through to the daemon: ./run.sh --listen 0.0.0.0:50051 --data-dir /var/lib/hv
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source scripts/lib.sh

ensure_build_tools
# What the daemon itself runs: qemu-img checks disk images, setfattr marks overlay layers.
# Images (qemu-img, setfattr), containers (runc, runsc, conmon, ip, iptables, mkfs.ext4), VMs (QEMU, genisoimage).
apt_install qemu-utils attr runc runsc conmon iproute2 iptables e2fsprogs qemu-system-x86 genisoimage busybox-static
build_if_stale
has_data_dir=no
for arg in "$@"; do [[ "$arg" == --data-dir* ]] && has_data_dir=yes; done
if [[ $has_data_dir == no ]]; then
  exec bin/hypervisord --data-dir ./data "$@"
fi
exec bin/hypervisord "$@"
