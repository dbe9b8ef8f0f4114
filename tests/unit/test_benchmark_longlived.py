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

"""What the updates-in-a-row benchmark reads from heat-engine's log.

The lines are in the form heat-engine writes them (oslo.log's defaults:
every line of a traceback carries the record's prefix).
"""

import testtools

from benchmarks.cloud import longlived

_PREFIX = '2026-12-05 11:55:01.%03d %d %s %s '

_REMEDY = (
    'heat-glance-props: this heat-engine keeps the finished threads of '
    'each stack\'s thread group and refuses new ones after 1000 ("Maximum '
    'number of threads reached"); as [glance_properties] '
    'prune_finished_engine_threads asks, ...')


def _line(ms, pid, text, level='ERROR',
          logger='heat.engine.check_resource'):
    return _PREFIX % (ms, pid, level, logger) + text


def _failure(pid, first_ms):
    return [
        _line(first_ms, pid, '[None req-1 u p - - default default] '
              'Unexpected exception in resource check.: RuntimeError: '
              'Maximum number of threads reached'),
        _line(first_ms, pid, 'Traceback (most recent call last):'),
        _line(first_ms, pid, '  File "/srv/venv/lib/python3.11/'
              'site-packages/heat/engine/service.py", line 148, in '
              'add_thread'),
        _line(first_ms, pid, '    raise RuntimeError('),
        _line(first_ms, pid, 'RuntimeError: Maximum number of threads '
              'reached'),
        _line(first_ms, pid, ''),
    ]


class FirstFailureTest(testtools.TestCase):

    def test_traceback_of_the_first_failure_only(self):
        lines = ([_line(1, 700, _REMEDY, 'WARNING',
                        'heat_glance_props.enginethreads'),
                  _line(2, 701, 'updating GlanceImage "image00"', 'INFO',
                        'heat.engine.resource')] +
                 _failure(702, 3) + _failure(703, 4))
        # Another worker's line in the middle of the traceback.
        lines.insert(5, _line(3, 701, 'updating GlanceImage "image01"',
                              'INFO', 'heat.engine.resource'))
        found = longlived.first_failure('\n'.join(lines))
        self.assertEqual([
            'ERROR heat.engine.check_resource [None req-1 u p - - default '
            'default] Unexpected exception in resource check.: '
            'RuntimeError: Maximum number of threads reached',
            'ERROR heat.engine.check_resource Traceback (most recent call '
            'last):',
            'ERROR heat.engine.check_resource   File ".../heat/engine/'
            'service.py", line 148, in add_thread',
            'ERROR heat.engine.check_resource     raise RuntimeError(',
            'ERROR heat.engine.check_resource RuntimeError: Maximum number '
            'of threads reached',
        ], found)

    def test_the_remedys_line_is_no_failure(self):
        text = _line(1, 700, _REMEDY, 'WARNING',
                     'heat_glance_props.enginethreads')
        self.assertIsNone(longlived.first_failure(text))
