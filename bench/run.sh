#!/usr/bin/env bash
# Benchmarks, each figure printed beside a baseline measured in the same run. See bench/README.md.
#   bench/run.sh control-plane [--quick] [options]   (--help lists the options)
# Builds the project first if bench/target/lib is missing. Exit code: 0 all figures pass,
# 1 a figure misses its target, 2 usage error or broken run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

usage() {
  echo "usage: bench/run.sh control-plane [--quick] [options]   (bench/run.sh control-plane --help for options)" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
benchmark="$1"
shift
case "$benchmark" in
  control-plane) main=dev.hypervisor.bench.ControlPlaneBench ;;
  *) usage ;;
esac

jar=bench/target/hypervisor-bench-0.1.0-SNAPSHOT.jar
if [[ ! -d bench/target/lib || ! -f "$jar" ]]; then
  echo "bench: building (mvn -q -B -DskipTests package)" >&2
  mvn -q -B -DskipTests package
fi
exec java -cp "$jar:bench/target/lib/*" "$main" "$@"
