# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Print "PASSED FAILED SKIPPED" for the subunit stream on standard input.

Used by tools/run-tests.sh and tools/matrix.sh on the output of
``stestr last --subunit``.
"""

import sys

import subunit
import testtools


def main():
    result = testtools.StreamSummary()
    stream = subunit.ByteStreamToStreamResult(sys.stdin.buffer,
                                              non_subunit_name='stdout')
    result.startTestRun()
    stream.run(result)
    result.stopTestRun()
    failed = len(result.errors) + len(result.failures)
    skipped = len(result.skipped)
    print(result.testsRun - failed - skipped, failed, skipped)


if __name__ == '__main__':
    main()
