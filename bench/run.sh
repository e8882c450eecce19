#!/usr/bin/env bash
# Benchmarks, each figure printed beside a baseline measured in the same run. See bench/README.md.
#   bench/run.sh control-plane [--quick] [options]   (--help lists the options)
#   bench/run.sh mtls [--quick]                      (figure 6 of control-plane alone)
#   bench/run.sh creates [--quick] [options]         (figure 3 of control-plane alone)
#   bench/run.sh cli [--quick] [--grpcurl PATH]      (bin/hvctl against grpcurl; installs GNU time when missing)
#   bench/run.sh images [--quick] [options]          (installs docker-registry, skopeo, umoci when missing)
#   bench/run.sh containers [--quick] [options]      (installs runc, conmon, podman and the image tools when missing)
#   bench/run.sh vm [--quick] [options]              (installs QEMU, genisoimage, e2fsprogs, busybox-static when missing)
#   bench/run.sh store-etcd [--quick] [options]      (installs etcd-server when missing)
#   bench/run.sh microvm [--quick] [options]         (installs QEMU, e2fsprogs and the image tools when missing;
#                                                     builds the 64 MiB figure's kernel with scripts/microvm-kernel.sh)
# Builds the project first if bench/target/lib is missing. Exit code: 0 all figures pass,
# 1 a figure misses its target, 2 usage error or broken run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/lib.sh

usage() {
  echo "usage: bench/run.sh control-plane|mtls|creates|cli|images|containers|vm|microvm|store-etcd [--quick] [options]   (bench/run.sh <benchmark> --help for options)" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
benchmark="$1"
shift
jvm_opts=()
case "$benchmark" in
  control-plane) main=dev.hypervisor.bench.ControlPlaneBench ;;
  mtls) main=dev.hypervisor.bench.MtlsBench ;;  # figure 6 of control-plane alone
  creates) main=dev.hypervisor.bench.CreateThroughputBench ;;  # figure 3 of control-plane alone
  cli)
    main=dev.hypervisor.bench.CliBench
    # GNU time reports each process's peak RSS; bin/hvctl runs the jar that mvn package built in cli/target.
    apt_install time
    ;;
  images)
    main=dev.hypervisor.bench.images.ImagesBench
    # Figure 1 pulls in this JVM: give it bin/hypervisord's heap and collector.
    jvm_opts=(-Xms64m -Xmx384m -XX:+UseSerialGC)
    # The loopback registry, the baseline's tools, and the busybox the test images are built from (as test.sh).
    apt_install docker-registry skopeo umoci busybox-static
    ;;
  containers)
    main=dev.hypervisor.bench.containers.ContainersBench
    # The real container driver's runtime and monitor, the baselines (plain runc, podman), the
    # loopback registry and the busybox the image is built from, and jcmd for the daemon's heap.
    apt_install runc conmon podman docker-registry skopeo umoci busybox-static iptables iproute2
    ;;
  vm)
    main=dev.hypervisor.bench.vm.VmBench
    # The real VM driver's tools, and what the guest is built from (as test.sh: the kernel
    # package comes from the Debian mirror through apt-get download).
    apt_install qemu-system-x86 qemu-utils genisoimage e2fsprogs busybox-static iptables iproute2
    ;;
  microvm)
    main=dev.hypervisor.bench.microvms.MicroVmsBench
    # QEMU and mkfs.ext4 (the driver's and the baselines'), the loopback registry, the busybox the
    # images and the initramfs are built from, umoci for the baseline's tree, and the daemon's bridge tools.
    # The small kernel of figure 3 (--density-kernel small) is built by the benchmark itself through
    # scripts/microvm-kernel.sh when missing (it installs linux-source-6.1 and the build tools).
    apt_install qemu-system-x86 qemu-utils e2fsprogs docker-registry skopeo umoci busybox-static iptables iproute2
    ;;
  store-etcd)
    main=dev.hypervisor.bench.StoreEtcdBench
    # One etcd member on loopback, started by the benchmark (as the tests start theirs).
    apt_install etcd-server
    ;;
  *) usage ;;
esac

jar=bench/target/hypervisor-bench-0.1.0-SNAPSHOT.jar
if [[ ! -d bench/target/lib || ! -f "$jar" ]]; then
  echo "bench: building (mvn -q -B -DskipTests package)" >&2
  mvn -q -B -DskipTests package
fi
exec java ${jvm_opts[@]+"${jvm_opts[@]}"} -cp "$jar:bench/target/lib/*" "$main" "$@"
