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

"""The engine thread group remedy, in the real heat-engine services.

The tier's heat.conf enables it (``[glance_properties]
prune_finished_engine_threads = true``, as doc/source/operators-engines.rst
tells operators of Heat 25 to 27). heat-engine loads the plugin modules in
its master process, which forks the workers: the remedy's log line is
written once per start of each engine service, by its master, just before
the plugin's resource replaces Heat's placeholder. Whether the remedy keeps
a stack working past Heat's limit is shown by ``make bench-services``
(a run of 30 updates, too slow for this tier).
"""

import configparser
import re

from tests.minicloud import base

#: One line of heat-engine's log: date, time, pid, level, logger.
_LINE = re.compile(r'^\S+ \S+ (?P<pid>\d+) (?P<level>[A-Z]+) (?P<logger>\S+) ')

_REMEDY = ('heat-glance-props: this heat-engine keeps the finished threads '
           'of each stack\'s thread group')
_APPLIED = ('heat.engine.service.ThreadGroup.add_thread now drops finished '
            'threads first (checked: a group takes new threads after its '
            'finished ones)')
_PLUGIN_LOADED = 'Changing OS::Glance::Image from'


def _lines(path, text):
    """The log lines of ``path`` with ``text``, parsed by :data:`_LINE`."""
    with open(path, errors='replace') as f:
        return [(_LINE.match(line), line) for line in f if text in line]


class EngineThreadRemedyTest(base.MiniCloudTestCase):

    def test_enabled_in_heat_conf(self):
        self.assertTrue(self.cloud.heat.prune_engine_threads)
        conf = configparser.ConfigParser(interpolation=None, strict=False)
        conf.read(self.cloud.heat_conf)
        self.assertEqual('true', conf.get('glance_properties',
                                          'prune_finished_engine_threads'))

    def test_applied_once_by_each_engine_master(self):
        for engine in self.cloud.engines.values():
            remedy = _lines(engine.log, _REMEDY)
            loaded = _lines(engine.log, _PLUGIN_LOADED)
            # Once per start of the service (other tests restart
            # engines), never again in a worker.
            self.assertGreaterEqual(len(loaded), 1, engine)
            self.assertEqual(len(loaded), len(remedy), engine)
            match, line = remedy[-1]
            self.assertIsNotNone(match, line)
            self.assertEqual(
                ('WARNING', 'heat_glance_props.enginethreads'),
                (match.group('level'), match.group('logger')), line)
            self.assertIn(_APPLIED, line)
            # Written by the running service's master process, which
            # forked the workers after it.
            self.assertEqual(str(engine.proc.pid), match.group('pid'),
                             line)
            self.assertEqual(match.group('pid'),
                             loaded[-1][0].group('pid'))
