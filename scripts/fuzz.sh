#!/usr/bin/env bash
# Fuzzes every Jazzer @FuzzTest for SECONDS each (default 10), one after another.
#   scripts/fuzz.sh [SECONDS] [maven args...]     e.g. scripts/fuzz.sh 600 -o
# Jazzer fuzzes only one @FuzzTest per JVM, so each test class (one @FuzzTest each) runs in a
# test JVM of its own (-DreuseForks=false), all in one Maven run. Without JAZZER_FUZZ the same
# tests only replay their kept inputs, as part of mvn test.
# A finding fails the run and leaves its input as crash-<sha1> in the test's inputs directory
# (src/test/resources/<package>/<Class>Inputs/<method>/): fix the bug, give the file a name
# that says what it is, and commit it as a regression input. The corpus grows in
# <module>/.cifuzz-corpus/ (not committed), so each run goes on from the last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/lib.sh

seconds=${1:-10}
shift || true
[[ $seconds =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS] [maven args...]" >&2; exit 2; }

files=$(grep -rl --include='*.java' '@FuzzTest' -- */src/test adapters/*/src/test | sort)
[[ -n $files ]] || { log "no @FuzzTest found"; exit 1; }
classes=$(for f in $files; do basename "$f" .java; done | paste -sd,)
modules=$(for f in $files; do echo "${f%%/src/test/*}"; done | sort -u | paste -sd,)
log "fuzzing ${classes//,/, } for ${seconds}s each"

# Coverage guidance in our classes and in the tar reader the unpacker drives; not in Jackson or
# the generated protobuf classes (well fuzzed upstream, and ~25 ms to instrument each of their
# hundreds of classes would eat a short run).
export JAZZER_INSTRUMENT=${JAZZER_INSTRUMENT:-'dev.hypervisor.**,org.apache.commons.compress.**'}
export JAZZER_INSTRUMENTATION_EXCLUDES=${JAZZER_INSTRUMENTATION_EXCLUDES:-'dev.hypervisor.api.**'}
# JUnit's per-test timeout (3 m, in the root pom) would cut a long run short: one fuzz test is one
# JUnit invocation. Jazzer takes the same value as its per-input timeout; the fuzz tests bound
# each input themselves (call deadlines, unpack bounds) and fail with that input.
JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" mvn -B test -pl "$modules" -am \
  -Dtest="$classes" -Dsurefire.failIfNoSpecifiedTests=false -DreuseForks=false \
  -Djunit.jupiter.execution.timeout.testtemplate.method.default="$((seconds + 120)) s" \
  -Dsurefire.timeout=$((seconds + 600)) "$@"
