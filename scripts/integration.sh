#!/usr/bin/env bash
# make integration / make integration-all: the integration tests in two labs of their own, run at the same time
# (tests/lab/README.md, "Which tests run on which controllers"):
#   [real]  LAB_CONTROLLERS=real: the real Cluster API managers reconcile every cluster - the create tests (kill and
#           resume included), the AWX jobs (create, cancel and resume, upgrade) and tests/integration/real;
#   [sim]   LAB_CONTROLLERS=sim (capi-sim): every other package (day 2, workload clusters, the fleet, preflight, ...)
#           and the bundle over HTTPS (a transport test).
# Each lab is started clean in its own state dir and stopped at the end, whatever happened: the demo's lab and its
# clusters are never touched (`make demo` and `make test` in either order). The labs start one after the other (no
# two processes picking the same free port), then the two pytest runs share the machine; each output line is
# prefixed with its group. INTEGRATION_JOBS=1 runs the groups one after the other.
#
# usage: scripts/integration.sh <python> <pytest -m expression> [pytest args...]
set -uo pipefail

py=$1 marks=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1
real_state=${TEST_LAB_STATE:-${TMPDIR:-/tmp}/eksa-anywhere-lab-test}
sim_state=${TEST_SIM_LAB_STATE:-${real_state}-sim}
real_tests=(tests/integration/create tests/integration/awx tests/integration/real)
# a bundle's transport (HTTPS, its CA) is not the controllers' business: on capi-sim, where it balances the groups' time
on_sim=(tests/integration/create/test_bundle_https.py)
real_ignore=() ignore=()
for t in "${on_sim[@]}"; do real_ignore+=("--ignore=$t"); done
for t in tests/integration/create/test_create_cluster.py tests/integration/create/test_create_registry_mirror.py \
         tests/integration/awx tests/integration/real; do ignore+=("--ignore=$t"); done

lab() {  # lab <state dir> <controllers> <command>
  LAB_STATE_DIR=$1 LAB_CONTROLLERS=$2 "$py" tests/lab/lab.py "$3"
}
stop() {
  lab "$real_state" real down >/dev/null 2>&1
  lab "$sim_state" sim down >/dev/null 2>&1
}
trap stop EXIT
trap 'exit 130' INT TERM

stop
for spec in "$real_state real" "$sim_state sim"; do
  read -r state mode <<<"$spec"
  echo "lab ($mode controllers) in $state: starting"
  if ! lab "$state" "$mode" up >/dev/null; then
    echo "the $mode lab could not be started (its logs: $state/logs)" >&2
    exit 1
  fi
done

group() {  # group <name> <state dir> <controllers> <pytest args...>
  local name=$1 state=$2 mode=$3
  shift 3
  LAB_STATE_DIR=$state LAB_CONTROLLERS=$mode PYTHONUNBUFFERED=1 "$py" -m pytest "$@" 2>&1 | sed -u "s/^/[$name] /"
  return "${PIPESTATUS[0]}"
}
common=(-m "$marks" -q -p no:cacheprovider --durations=15 "${@}")  # each group's slowest tests, for its time budget
start=$(date +%s)
if [ "${INTEGRATION_JOBS:-2}" = 1 ]; then
  group real "$real_state" real "${real_tests[@]}" "${real_ignore[@]}" "${common[@]}"; real_rc=$?
  group sim "$sim_state" sim tests/integration "${ignore[@]}" "${common[@]}"; sim_rc=$?
else
  group real "$real_state" real "${real_tests[@]}" "${real_ignore[@]}" "${common[@]}" & real_pid=$!
  group sim "$sim_state" sim tests/integration "${ignore[@]}" "${common[@]}" & sim_pid=$!
  wait "$real_pid"; real_rc=$?
  wait "$sim_pid"; sim_rc=$?
fi
echo "integration: real controllers rc=$real_rc, capi-sim rc=$sim_rc, $(( $(date +%s) - start ))s"
[ "$real_rc" = 0 ] && [ "$sim_rc" = 0 ]
