#!/usr/bin/env bash
# Packaging test: build the sdist and, from it, the wheel (as a release
# would), install the WHEEL (not in editable mode) into a fresh virtualenv
# that has Heat, and run there what an operator runs: the plugin-loading
# test (tests/functional/test_plugin_loading.py), "heat-glance-props
# plugin-dir", "validate" (which needs the catalog data files) and
# "introspect". It fails if a file of the package that git tracks (a data
# file of heat_glance_props/data, a module) is not in the wheel, if the
# console script or the oslo.config entry point is missing, or if any of
# the commands fails.
#
# Fast: the fresh virtualenv gets the wheel with "pip install --no-deps",
# and the libraries (Heat and the rest) of the main virtualenv through a
# .pth file that adds its site-packages and processes its .pth files,
# except the one of this project's editable install. Everything runs
# from a scratch directory with PYTHONSAFEPATH=1, so the checkout itself
# is never importable; the test checks where heat_glance_props was
# imported from.
#
# Usage: tools/test-wheel.sh            build the wheel and test it
#        tools/test-wheel.sh WHEEL      test a wheel built elsewhere
# Environment: VENV (the main virtualenv, default .venv). Prints
# "wheel: N passed, N failed, 0 skipped" and exits non-zero on a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
main_venv=$(cd "${VENV:-.venv}" && pwd)
work=$repo/build/wheel-test
rm -rf "$work"
mkdir -p "$work/dist" "$work/scratch/tests"

passed=0
failed=0
# run NAME COMMAND...: one check, counted; its output is shown on failure.
run() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        passed=$((passed + 1))
        echo "   ok: $name"
    else
        failed=$((failed + 1))
        echo "   FAILED: $name"
        echo "$out" | tail -40 | sed 's/^/      /'
    fi
}
finish() {
    echo "wheel: $passed passed, $failed failed, 0 skipped"
    [ "$failed" -eq 0 ]
    exit $?
}

echo "== wheel: build"
if [ $# -ge 1 ]; then
    wheel=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
    # pbr takes the version and the file list from git; --no-isolation
    # uses the main virtualenv's setuptools, wheel and pbr (no download).
    # Not the generated release notes, AUTHORS and ChangeLog: pbr would
    # write them into the checkout (tools/docs.sh reads the notes beside).
    if ! out=$(SKIP_GENERATE_RENO=1 SKIP_GENERATE_AUTHORS=1 \
            SKIP_WRITE_GIT_CHANGELOG=1 "$main_venv/bin/python" -m build \
            --no-isolation \
            --outdir "$work/dist" . 2>&1); then
        echo "$out" | tail -30
        failed=1
        finish
    fi
    wheel=$(ls "$work"/dist/heat_glance_props-*.whl)
    sdist=$(ls "$work"/dist/heat*glance*props-*.tar.gz)
    echo "   $(basename "$sdist"), $(basename "$wheel")"
fi

# The wheel and the sdist have every file of the package that git tracks.
contents() {
    "$main_venv/bin/python" - "$@" <<'EOF'
import sys
import tarfile
import zipfile

path = sys.argv[1]
if path.endswith('.whl'):
    names = zipfile.ZipFile(path).namelist()
else:
    # sdist: strip the top directory, keep the package's files.
    names = [n.split('/', 1)[1] for n in tarfile.open(path).getnames()
             if '/' in n]
for name in names:
    print(name)
EOF
}
missing_from() {
    local listing
    listing=$(contents "$1") || return 1
    local status=0 file
    while read -r file; do
        if ! grep -qxF "$file" <<<"$listing"; then
            echo "missing from $(basename "$1"): $file"
            status=1
        fi
    done < <(git ls-files heat_glance_props | grep -v '\.pyc$')
    return $status
}
# The wheel's metadata declares the console script and the entry point of
# the sample config generator.
entry_points() {
    local listing
    listing=$(unzip -p "$wheel" '*.dist-info/entry_points.txt') || return 1
    echo "$listing"
    grep -qx 'heat-glance-props = heat_glance_props.cmd.cli:main' \
        <<<"$listing" &&
    grep -qx 'heat_glance_props = heat_glance_props.opts:list_opts' \
        <<<"$listing"
}
echo "== wheel: contents"
run "every git-tracked file of heat_glance_props is in the wheel" \
    missing_from "$wheel"
[ -z "${sdist:-}" ] ||
    run "every git-tracked file of heat_glance_props is in the sdist" \
        missing_from "$sdist"
run "entry points: console script and oslo.config.opts" entry_points

echo "== wheel: install into a fresh virtualenv"
venv=$work/venv
if ! "$main_venv/bin/python" -m venv --without-pip "$venv" ||
        ! out=$("$main_venv/bin/python" -m pip --python "$venv/bin/python" \
            install --quiet --no-deps --no-index "$wheel" 2>&1); then
    echo "$out" | tail -20
    failed=$((failed + 1))
    finish
fi
site=$("$venv/bin/python" -c \
    'import sysconfig; print(sysconfig.get_paths()["purelib"])')
main_site=$("$main_venv/bin/python" -c \
    'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# After the wheel's own site-packages: the main virtualenv's libraries,
# without the editable install of the checkout.
cat >"$site/hgp_wheel_test_libs.py" <<EOF
"""The main virtualenv's libraries, for the wheel test (tools/test-wheel.sh)."""
import os
import site
import sys

LIBS = '$main_site'
sys.path.append(LIBS)
known = set(sys.path)
for name in sorted(os.listdir(LIBS)):
    if name.endswith('.pth') and not name.startswith('__editable__'):
        site.addpackage(LIBS, name, known)
EOF
echo "import hgp_wheel_test_libs" >"$site/zz_hgp_wheel_test_libs.pth"
# Heat's own data files (environment.d, templates) are installed under its
# environment's prefix, where the plugin-loading test looks for them.
mkdir -p "$venv/etc" && ln -s "$main_venv/etc/heat" "$venv/etc/heat"

scratch=$work/scratch
# Never the checkout: no current or script directory on sys.path, no
# PYTHONPATH but the copied test module.
in_venv() {
    (cd "$scratch" && env -u PYTHONPATH PYTHONSAFEPATH=1 \
        PATH="$venv/bin:$PATH" PYTHONWARNINGS=ignore "$@")
}
where() {
    local out
    out=$(in_venv "$venv/bin/python" -c '
import importlib.metadata as md
import os
import heat_glance_props
dist = md.distribution("heat-glance-props")
print(os.path.dirname(heat_glance_props.__file__))
print(dist.locate_file(""))
') || { echo "$out"; return 1; }
    echo "$out"
    [ "$(sed -n 1p <<<"$out")" = "$site/heat_glance_props" ] &&
        [ "$(sed -n 2p <<<"$out")" = "$site" ]
}
run "heat_glance_props and its metadata come from the wheel" where
run "console script installed" test -x "$venv/bin/heat-glance-props"

echo "== wheel: commands"
plugin_dir() {
    local out
    out=$(in_venv "$venv/bin/heat-glance-props" plugin-dir) || return 1
    echo "$out"
    [ "$out" = "$site/heat_glance_props/heat_plugins" ] &&
        [ -f "$out/glance_image.py" ]
}
run "heat-glance-props plugin-dir" plugin_dir

cat >"$scratch/image.yaml" <<'EOF'
heat_template_version: 2021-04-16
resources:
  image:
    type: OS::Glance::Image
    properties:
      disk_format: raw
      container_format: bare
      location: http://127.0.0.1/image.raw
      properties:
        hw_tpm_modle: tpm-crb
        hw_wrs_live_migration_timeout: 60
        hw_disk_bus: virtio
EOF
validate() {
    local out
    # Exit status 1 (errors found) is the expected answer.
    out=$(in_venv "$venv/bin/heat-glance-props" validate image.yaml)
    local rc=$?
    echo "$out"
    [ $rc -eq 1 ] &&
        # glance.json (Nova/Glance keys) and catalog.yaml (StarlingX).
        grep -q "did you mean 'hw_tpm_model'" <<<"$out" &&
        grep -q 'hw_wrs_live_migration_timeout.*from 120 to 800' \
            <<<"$out" &&
        ! grep -q 'hw_disk_bus' <<<"$out"
}
run "heat-glance-props validate (catalog data present)" validate

introspect() {
    local out
    out=$(in_venv "$venv/bin/heat-glance-props" introspect \
        "$repo/tests/fixtures/images/stream-lsilogic.vmdk") || return 1
    echo "$out"
    grep -qx 'disk_format: vmdk' <<<"$out" &&
        grep -q 'hw_scsi_model: lsilogic' <<<"$out"
}
run "heat-glance-props introspect" introspect

echo "== wheel: plugin-loading test"
cp tests/functional/test_plugin_loading.py "$scratch/tests/"
plugin_loading() {
    in_venv env PYTHONPATH="$scratch/tests" "$venv/bin/python" -m \
        testtools.run test_plugin_loading
}
run "tests/functional/test_plugin_loading.py" plugin_loading

finish
