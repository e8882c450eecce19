#!/usr/bin/env bash
# Quick start, step 2: installs what the tests need and runs the whole suite:
# unit, contract, gRPC and end-to-end tests (mvn verify), then a smoke test of the
# launchers bin/hypervisord and bin/hvctl as a user runs them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
source scripts/lib.sh

ensure_build_tools
apt_install procps

log "mvn verify"
mvn -B verify

log "smoke test: bin/hypervisord + bin/hvctl"
scripts/smoke.sh
