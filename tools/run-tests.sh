#!/usr/bin/env bash
# Run the whole test suite: flake8 (with hacking), then every test with
# stestr, then the Heat release matrix. Extra arguments go to "stestr run"
# (e.g. a test filter); the matrix runs only when there are none.
#
# The stestr run includes the mini-cloud tier (tests/minicloud: Keystone,
# Glance, heat-api, heat-engine and RabbitMQ on 127.0.0.1, driven with the
# openstack command); tools/setup-system.sh installs RabbitMQ for it, and
# qemu-img for the harness Glance's image conversion, when they are
# missing. The matrix (tools/matrix.sh) runs the functional suite again
# on the oldest supported Heat release (doc/source/heat-releases.rst).
# HGP_SKIP_MINICLOUD=1 skips the tier, HGP_SKIP_MATRIX=1 the matrix.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${VENV:-.venv}/bin

echo "== flake8"
if ! "$bin/flake8"; then
    echo "flake8 failed"
    exit 1
fi

tools/setup-system.sh || exit 1

echo "== stestr"
"$bin/stestr" run --color "$@"
rc=$?

# Counts of the last run of a stestr repository, from its subunit stream:
# "passed failed skipped".
count() {
    "$bin/stestr" "$@" last --subunit 2>/dev/null |
        "$bin/python" tools/count-tests.py
}
read -r passed failed skipped < <(count)
passed=${passed:-0} failed=${failed:-0} skipped=${skipped:-0}

# The Heat release matrix: the functional suite again, on the oldest
# supported Heat release (see doc/source/heat-releases.rst).
if [ $# -eq 0 ] && [ "${HGP_SKIP_MATRIX:-0}" != 1 ]; then
    echo "== Heat release matrix"
    VENV=${VENV:-.venv} tools/matrix.sh || rc=1
    for constraints in tools/constraints/heat-*.txt; do
        release=${constraints#tools/constraints/heat-}
        release=${release%.txt}
        [ -d "build/matrix/stestr-heat-$release" ] || continue
        read -r p f s < <(count --repo-url "build/matrix/stestr-heat-$release")
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        skipped=$((skipped + ${s:-0}))
    done
fi

# One plain summary line for everything that ran.
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $rc
