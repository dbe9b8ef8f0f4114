#!/usr/bin/env bash
# Build the documentation, with Sphinx warnings as errors:
#   docs          doc/source -> doc/build/html (the resource reference from
#                 the plugin's schema, the sample config, the release notes)
#   releasenotes  releasenotes/source -> releasenotes/build/html
#   genconfig     etc/heat-glance-props.conf.sample (oslo-config-generator)
# Usage: tools/docs.sh [docs|releasenotes|genconfig]...   (default: all
# three). Environment: VENV (default .venv). tox -e docs, releasenotes
# and genconfig call this script; so does tools/run-tests.sh.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${VENV:-.venv}/bin
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(docs releasenotes genconfig)

# check FILE PATTERN...: fail unless FILE has a line matching each pattern.
check() {
    local file=$1 pattern
    shift
    for pattern in "$@"; do
        if ! grep -q -- "$pattern" "$file"; then
            echo "$file: no line matches '$pattern'" >&2
            return 1
        fi
    done
}

# sphinx SOURCE BUILD: an HTML build from scratch, warnings as errors.
# Python's own warnings (e.g. eventlet's deprecation, printed when Heat is
# imported for the resource reference) are not Sphinx warnings.
sphinx() {
    rm -rf "$2"
    PYTHONWARNINGS=ignore "$bin/sphinx-build" -W --keep-going -E -q \
        -d "$2/doctrees" -b html "$1" "$2/html"
}

status=0
passed=0
failed=0
for target in "${targets[@]}"; do
    before=$status
    case $target in
    docs)
        echo "== docs: doc/build/html"
        # A cache that a package build may have left would hide new notes.
        rm -f releasenotes/notes/reno.cache
        sphinx doc/source doc/build &&
        check doc/build/html/reference/os-glance-image.html \
            'Required properties' 'Can be updated without replacement' \
            'Template syntax' &&
        check doc/build/html/configuration/index.html \
            'glance_properties' 'catalog_mode' &&
        check doc/build/html/releasenotes.html 'New Features' &&
        check doc/build/html/benchmarks.html \
            '_images/benchmark-in-place-vs-replacement.svg' \
            '_images/benchmark-requests-per-operation.svg' \
            '_images/benchmark-stack-of-images.svg' ||
            { echo "docs failed" >&2; status=1; }
        ;;
    releasenotes)
        echo "== releasenotes: releasenotes/build/html"
        rm -f releasenotes/notes/reno.cache
        sphinx releasenotes/source releasenotes/build &&
        check releasenotes/build/html/index.html 'New Features' ||
            { echo "releasenotes failed" >&2; status=1; }
        ;;
    genconfig)
        echo "== genconfig: etc/heat-glance-props.conf.sample"
        PYTHONWARNINGS=ignore "$bin/oslo-config-generator" --config-file \
            etc/oslo-config-generator/heat-glance-props.conf &&
        check etc/heat-glance-props.conf.sample '^\[glance_properties\]' \
            '^#catalog_mode = strict' '^#catalog_files' ||
            { echo "genconfig failed" >&2; status=1; }
        ;;
    *)
        echo "usage: $0 [docs|releasenotes|genconfig]..." >&2
        exit 2
        ;;
    esac
    if [ $status -eq $before ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
done
echo "docs: $passed passed, $failed failed, 0 skipped"
exit $status
