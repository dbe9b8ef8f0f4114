#!/usr/bin/env bash
# Heat release matrix: run the in-process functional suite (tests/functional)
# against older Heat releases, each in its own virtualenv pinned by
# tools/constraints/heat-<release>.txt, against the Glance server of the
# same release, in a virtualenv of its own pinned by
# tools/constraints/glance-<release>.txt. The newest release is what the
# main virtualenv (.venv, upper-constraints.txt) runs in the main test run.
#
# Usage: tools/matrix.sh [RELEASE...]     (default: every constraints file)
# Extra "stestr run" arguments: HGP_MATRIX_STESTR_ARGS (e.g. --serial).
# Environment: VENV (the main virtualenv, default .venv), PYTHON (to create
# the release virtualenvs, default python3).
#
# Heat, glanceclient and the test tools come from the release's Heat
# virtualenv; glance-api runs from the release's Glance virtualenv
# (HGP_GLANCE_PYTHON, see tests/harness/glance.py). Prints one
# "heat-<release>: N passed, ..." line per release and exits non-zero if
# any release failed.
set -uo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
# Under build/ (ignored by git and by flake8): one virtualenv and one
# stestr repository per release.
work=build/matrix
mkdir -p "$work"

releases=("$@")
if [ ${#releases[@]} -eq 0 ]; then
    for f in tools/constraints/heat-*.txt; do
        r=${f#tools/constraints/heat-}
        releases+=("${r%.txt}")
    done
fi

# The release's Heat virtualenv gets what the functional suite imports, at
# the release's versions. The plugin itself is installed without its
# dependencies: the release's own versions are the point of the exercise
# (tools/matrix.sh prints what "pip check" says about them).
packages=(openstack-heat python-glanceclient keystoneauth1 oslo.config
          oslo.i18n oslo.log oslo.utils pbr PyYAML fixtures hypothesis
          python-subunit stestr testtools)
# The release's Glance virtualenv: the server and the WSGI server that runs
# it (the harness's gunicorn).
glance_packages=(glance gunicorn)

# Older releases run on eventlet 0.35, whose green http.server (imported by
# heat.common.wsgi through eventlet.wsgi) swaps green copies of socketserver
# and threading into sys.modules while it loads. A test process that
# imports Heat before the harness then gets an http.server whose
# "threads" are greenlets: the harness's data server parks a request
# handler forever and Glance's web-download of the image data never gets
# an answer (the stack create stalls until its timeout). Loading
# eventlet.wsgi first, then the real http.server, socketserver and
# threading, at interpreter start (a .pth file of the release's
# virtualenv) keeps the real modules for everyone. Heat's behaviour is
# unchanged; only the import order of the test process is fixed.
preload() {
    local site
    site=$("$1/bin/python" -c \
        'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "import eventlet.wsgi, http.server, socketserver, threading" \
        >"$site/zz_hgp_matrix_preload.pth"
}

# build VENV CONSTRAINTS EDITABLE PACKAGE...: (re)create VENV with
# PACKAGE... pinned by CONSTRAINTS, plus this project in editable mode
# (without dependencies) when EDITABLE is "yes".
build() {
    local venv=$1 constraints=$2 editable=$3
    shift 3
    local stamp=$venv/.installed
    if [ -f "$stamp" ] && [ "$stamp" -nt "$constraints" ] &&
            [ "$stamp" -nt setup.cfg ] && [ "$stamp" -nt tools/matrix.sh ]; then
        return 0
    fi
    rm -rf "$venv"
    local log
    log=$(mktemp)
    if "$python" -m venv "$venv" &&
            "$venv/bin/python" -m pip install --upgrade pip >"$log" 2>&1 &&
            "$venv/bin/python" -m pip install -c "$constraints" \
                "$@" >>"$log" 2>&1 &&
            { [ "$editable" != yes ] ||
              "$venv/bin/python" -m pip install --no-deps -e . >>"$log" 2>&1; }
    then
        rm -f "$log"
        [ "$editable" != yes ] || preload "$venv"
        touch "$stamp"
    else
        grep -v '^WARNING: Location' "$log" | tail -30 >&2
        rm -f "$log"
        return 1
    fi
}

summary() {
    # Count the last run of the release's stestr repository.
    local p f s
    read -r p f s < <("$1/bin/stestr" --repo-url "$2" last --subunit \
        2>/dev/null | "$1/bin/python" tools/count-tests.py)
    echo "heat-$3: ${p:-0} passed, ${f:-0} failed, ${s:-0} skipped"
}

status=0
for release in "${releases[@]}"; do
    constraints=tools/constraints/heat-$release.txt
    venv=$work/heat-$release
    repo=$work/stestr-heat-$release
    if [ ! -f "$constraints" ]; then
        echo "no constraints file $constraints" >&2
        status=1
        continue
    fi
    glance_constraints=tools/constraints/glance-$release.txt
    glance_venv=$work/glance-$release
    if [ ! -f "$glance_constraints" ]; then
        echo "no constraints file $glance_constraints" >&2
        status=1
        continue
    fi
    echo "== Heat $release: building $venv and $glance_venv"
    # The two virtualenvs are independent: build them side by side.
    build "$venv" "$constraints" yes "${packages[@]}" &
    heat_build=$!
    build "$glance_venv" "$glance_constraints" no "${glance_packages[@]}" &
    glance_build=$!
    built=yes
    wait $heat_build || { echo "heat-$release: could not build $venv" >&2
                          built=no; }
    wait $glance_build || {
        echo "heat-$release: could not build $glance_venv" >&2
        built=no; }
    if [ $built != yes ]; then
        status=1
        continue
    fi
    echo "   $("$venv/bin/python" -c 'import heat.version as v
print("openstack-heat", v.version_info.version_string())'), $(
        "$glance_venv/bin/python" -c 'import importlib.metadata as m
print("glance", m.version("glance"))')"
    "$venv/bin/python" -m pip check 2>&1 | sed 's/^/   pip check: /'
    echo "== Heat $release: tests/functional"
    mkdir -p "$repo"
    # Not the benchmark tool's smoke test: it reports the versions of the
    # virtualenv it runs in, which has no Glance, and it measures rather
    # than checks the plugin.
    HGP_GLANCE_PYTHON=$(cd "$glance_venv/bin" && pwd)/python \
        "$venv/bin/stestr" --repo-url "$repo" \
        --test-path ./tests/functional --top-dir ./ run \
        --exclude-regex 'test_benchmark_smoke' ${HGP_MATRIX_STESTR_ARGS:-} ||
        status=1
    summary "$venv" "$repo" "$release"
done
exit $status
