#!/usr/bin/env bash
# Run the test suite, or some of its tiers. "make test" and the tox envs
# (tox.ini) call this script, so there is one way the checks run.
#
# Usage: tools/run-tests.sh                   every tier
#        tools/run-tests.sh TIER... [-- ARG...]  those tiers; ARG... go to
#                                              "stestr run" (e.g. a filter)
#        tools/run-tests.sh FILTER...          flake8, then the stestr tiers
#                                              with that filter (e.g.
#                                              tests.unit.test_cli)
# Tiers:
#   pep8        flake8 with the hacking checks
#   unit        tests/unit
#   functional  tests/functional: real Glance, Heat's engine in-process
#   minicloud   tests/minicloud: Keystone, Glance, heat-api, heat-engine
#               and RabbitMQ on 127.0.0.1, driven with the openstack
#               command (tools/setup-system.sh installs RabbitMQ, and
#               qemu-img for the harness Glance, when they are missing)
#   matrix      tools/matrix.sh: the functional suite on the oldest Heat
#               release against its own Glance (doc/source/heat-releases.rst)
#   docs        tools/docs.sh: the docs, the release notes and the sample
#               config, Sphinx warnings as errors
#   wheel       tools/test-wheel.sh: the sdist and wheel, the wheel
#               installed into a fresh virtualenv and used there
# The three stestr tiers run as one stestr run. The matrix, docs and wheel
# tiers run in the background beside it (their output is shown when they
# are done). HGP_SKIP_MINICLOUD=1, HGP_SKIP_MATRIX=1, HGP_SKIP_DOCS=1 and
# HGP_SKIP_WHEEL=1 leave a tier out. Environment: VENV (the virtualenv,
# default .venv).
#
# Ends with one line "tests: N passed, N failed, N skipped" for everything
# that ran, and exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export VENV=${VENV:-.venv}
bin=$VENV/bin
all_tiers=(pep8 unit functional minicloud matrix docs wheel)

is_tier() {
    local t
    for t in "${all_tiers[@]}"; do
        [ "$1" = "$t" ] && return 0
    done
    return 1
}

tiers=()
stestr_args=()
if [ $# -eq 0 ]; then
    tiers=("${all_tiers[@]}")
elif is_tier "$1"; then
    while [ $# -gt 0 ] && is_tier "$1"; do
        tiers+=("$1")
        shift
    done
    [ "${1:-}" != -- ] || shift
    stestr_args=("$@")
else
    # A filter: flake8 and the stestr tiers, as "stestr run FILTER...".
    tiers=(pep8 unit functional minicloud)
    stestr_args=("$@")
fi

selected() {
    local t
    for t in "${tiers[@]}"; do
        [ "$1" = "$t" ] && return 0
    done
    return 1
}
skip() {
    # skip TIER VARIABLE: leave TIER out when VARIABLE is 1.
    if [ "${!2:-0}" = 1 ] && selected "$1"; then
        echo "== $1: skipped ($2=1)"
        local kept=() t
        for t in "${tiers[@]}"; do
            [ "$t" = "$1" ] || kept+=("$t")
        done
        tiers=("${kept[@]}")
    fi
}
skip minicloud HGP_SKIP_MINICLOUD
skip matrix HGP_SKIP_MATRIX
skip docs HGP_SKIP_DOCS
skip wheel HGP_SKIP_WHEEL

rc=0
passed=0 failed=0 skipped=0
add() {
    passed=$((passed + ${1:-0}))
    failed=$((failed + ${2:-0}))
    skipped=$((skipped + ${3:-0}))
}

if selected pep8; then
    echo "== flake8"
    if "$bin/flake8"; then
        add 1 0 0
    else
        echo "flake8 failed"
        echo "tests: $passed passed, 1 failed, $skipped skipped"
        exit 1
    fi
fi

# What the tiers need from the operating system (qemu-img for the harness
# Glance, RabbitMQ for the mini-cloud).
if selected functional || selected minicloud || selected matrix; then
    if selected minicloud; then
        tools/setup-system.sh || exit 1
    else
        HGP_SKIP_MINICLOUD=1 tools/setup-system.sh || exit 1
    fi
fi

# The background tiers: one log each under build/logs, shown when done.
logs=build/logs
mkdir -p "$logs"
jobs_started=()
start() {
    local tier=$1
    shift
    echo "== $tier: started in the background"
    "$@" >"$logs/$tier.log" 2>&1 &
    eval "pid_$tier=$!"
    jobs_started+=("$tier")
}
selected matrix && start matrix tools/matrix.sh
selected docs && start docs tools/docs.sh
selected wheel && start wheel tools/test-wheel.sh

# The stestr tiers, as one run: a filter per tier unless all three run.
stestr_tiers=()
for t in unit functional minicloud; do
    selected "$t" && stestr_tiers+=("$t")
done
if [ ${#stestr_tiers[@]} -gt 0 ]; then
    # One tier: only its directory is discovered (a tier does not import
    # the others' modules). Two: a filter.
    where=()
    filter=()
    if [ ${#stestr_tiers[@]} -eq 1 ]; then
        where=(--test-path "./tests/${stestr_tiers[0]}")
    elif [ ${#stestr_tiers[@]} -eq 2 ]; then
        filter=("^tests\.($(IFS='|'; echo "${stestr_tiers[*]}"))\.")
    fi
    echo "== stestr: ${stestr_tiers[*]}"
    "$bin/stestr" "${where[@]}" run --color "${filter[@]}" \
        "${stestr_args[@]}" || rc=1
    read -r p f s < <("$bin/stestr" last --subunit 2>/dev/null |
                      "$bin/python" tools/count-tests.py)
    add "$p" "$f" "$s"
fi

# The background tiers' results: their logs, their counts.
for tier in "${jobs_started[@]}"; do
    pid_var=pid_$tier
    wait "${!pid_var}"
    status=$?
    echo "== $tier"
    cat "$logs/$tier.log"
    [ $status -eq 0 ] || rc=1
    case $tier in
    matrix)
        for constraints in tools/constraints/heat-*.txt; do
            release=${constraints#tools/constraints/heat-}
            release=${release%.txt}
            repo=build/matrix/stestr-heat-$release
            if [ ! -d "$repo" ]; then
                add 0 1 0
                continue
            fi
            read -r p f s < <("$bin/stestr" --repo-url "$repo" last \
                --subunit 2>/dev/null | "$bin/python" tools/count-tests.py)
            add "$p" "$f" "$s"
        done
        ;;
    docs | wheel)
        # Their own summary line: "TIER: N passed, N failed, N skipped".
        line=$(grep -E "^$tier: [0-9]+ passed, [0-9]+ failed" \
            "$logs/$tier.log" | tail -1)
        if [ -z "$line" ]; then
            add 0 1 0
        else
            read -r p f s < <(sed -E \
                's/^[a-z]+: ([0-9]+) passed, ([0-9]+) failed, ([0-9]+).*/\1 \2 \3/' \
                <<<"$line")
            add "$p" "$f" "$s"
        fi
        ;;
    esac
done

# One plain summary line for everything that ran.
[ "$failed" -eq 0 ] || rc=1
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $rc
