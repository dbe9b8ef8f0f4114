#!/usr/bin/env bash
# Run the whole test suite: flake8 (with hacking), then every test with
# stestr. Extra arguments go to "stestr run" (e.g. a test filter).
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${VENV:-.venv}/bin

echo "== flake8"
if ! "$bin/flake8"; then
    echo "flake8 failed"
    exit 1
fi

echo "== stestr"
"$bin/stestr" run --color "$@"
rc=$?

# One plain summary line, counted from the subunit stream of the run.
"$bin/stestr" last --subunit 2>/dev/null | "$bin/python" -c '
import sys
import subunit
import testtools

result = testtools.StreamSummary()
stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer,
                                          non_subunit_name="stdout")
result.startTestRun()
stream.run(result)
result.stopTestRun()
failed = len(result.errors) + len(result.failures)
skipped = len(result.skipped)
passed = result.testsRun - failed - skipped
print("tests: %d passed, %d failed, %d skipped" % (passed, failed, skipped))
'
exit $rc
