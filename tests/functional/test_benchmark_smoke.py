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

"""The benchmark command still runs, in its smallest mode.

This runs ``benchmarks/run.py --smoke`` as a user would (its own Glance,
1 MiB images, 3 properties, a stack of 3 images) and checks the
structure of its JSON and the request counts it measured, and that it
draws its plots (``--plots``). It never checks a time: speed is what the
benchmark reports, not what the test suite asserts.
"""

import json
import os
import subprocess
import sys
import tempfile

import testtools

from tests.harness import glance

SCRIPT = os.path.join(glance.REPO_ROOT, 'benchmarks', 'run.py')


class BenchmarkSmokeTest(testtools.TestCase):

    # One test method: the run takes most of the time, and a parallel test
    # runner would repeat a class fixture in each of its workers.
    def test_smoke_run(self):
        with tempfile.TemporaryDirectory() as tmp:
            output = os.path.join(tmp, 'results.json')
            plots = os.path.join(tmp, 'plots')
            proc = subprocess.run(
                [sys.executable, SCRIPT, '--smoke', '--output', output,
                 '--plots', plots],
                cwd=glance.REPO_ROOT, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, timeout=300,
                universal_newlines=True)
            self.assertEqual(0, proc.returncode, proc.stdout)
            with open(output) as f:
                results = json.load(f)
            self.check_plots(proc.stdout, plots)
        self.check_table_and_json(proc.stdout, results)
        self.check_in_place_and_replacement(results)
        self.check_plugin_request_counts(results)
        self.check_other_clients(results)
        self.check_scaling(results)

    def check_table_and_json(self, stdout, results):
        for title in ('in place vs replacement', 'Glance requests per '
                      'operation', 'Scaling with N properties',
                      'Stack of 3 images', 'Checks'):
            self.assertIn(title.lower(), stdout.lower())
        self.assertEqual('smoke', results['mode'])
        for key in ('machine', 'settings', 'in_place_vs_replacement',
                    'requests', 'scaling', 'fleet', 'checks', 'duration_s'):
            self.assertIn(key, results)
        machine = results['machine']
        self.assertGreaterEqual(machine['nproc'], 1)
        self.assertIsNotNone(machine['versions']['glance'])
        self.assertIsNotNone(machine['versions']['openstack-heat'])

    def check_plots(self, stdout, plots):
        # The in-process run's two plots; the third is the services'.
        names = ['benchmark-in-place-vs-replacement.svg',
                 'benchmark-requests-per-operation.svg']
        self.assertEqual(names, sorted(os.listdir(plots)))
        for name in names:
            self.assertIn('Plot written to %s' % os.path.join(plots, name),
                          stdout)
            with open(os.path.join(plots, name)) as f:
                self.assertIn('<svg', f.read())

    def check_in_place_and_replacement(self, results):
        sizes = results['in_place_vs_replacement']['sizes']
        self.assertEqual([1], [s['size_mib'] for s in sizes])
        for side in ('in_place', 'replacement'):
            self.assertEqual(1, len(sizes[0][side]['runs_s']))
        fleet = results['fleet']
        self.assertEqual(3, fleet['images'])
        self.assertIsNotNone(fleet['ratio'])

    def check_plugin_request_counts(self, results):
        plugin = results['requests']['clients']['plugin']
        for op in ('change_one', 'change_half', 'remove_some'):
            # One PATCH; a removal may read the image first.
            methods = [m for m, _p in plugin[op]['requests']]
            self.assertIn(methods, (['PATCH'], ['GET', 'PATCH']), op)
            self.assertEqual(['PATCH', '/v2/images/{id}'],
                             plugin[op]['requests'][-1], op)
            self.assertFalse(plugin[op]['image_replaced'], op)
            self.assertTrue(plugin[op]['properties_ok'], op)
        for op in ('noop_same_template', 'noop_metadata_only',
                   'same_template_again'):
            self.assertEqual([], plugin[op]['requests'], op)
        writes = [r for r in plugin['create']['requests'] if r[0] != 'GET']
        self.assertEqual(['POST', '/v2/images'], writes[0])
        self.assertEqual(['POST', '/v2/images/{id}/import'], writes[-1])
        self.assertLessEqual(len(writes), 3)
        checks = results['checks']
        self.assertTrue(checks['update_is_one_patch']['ok'],
                        checks['update_is_one_patch'])
        self.assertTrue(checks['noop_makes_no_request']['ok'])

    def check_other_clients(self, results):
        clients = results['requests']['clients']
        # Heat's WebImage is created once, not retried: its image data is
        # served after its PATCH (tests/harness/glance.py, DataAfterPatch).
        create = clients['heat_webimage']['create']
        self.assertEqual('CREATE_COMPLETE', create['state'], create)
        self.assertTrue(create['data_waited_for_patch'], create)
        self.assertTrue(create['import_lock_released'], create)
        # Glance may lose WebImage's create-time PATCH (its race, recorded
        # and put right by the benchmark): only then may the map differ.
        self.assertEqual(create['properties_ok'],
                         not create.get('lost_by_glance'), create)
        for name in ('heat_webimage', 'openstacksdk'):
            if clients[name].get('skipped'):
                # openstacksdk is not measured under an older Heat.
                continue
            change = clients[name]['change_one']
            self.assertTrue(change['properties_ok'], name)
            self.assertEqual(1, change['by_method']['PATCH'], name)

    def check_scaling(self, results):
        rows = results['scaling']['rows']
        self.assertEqual([3], [r['n'] for r in rows])
        heat_side = rows[0]['through_heat']
        for name in ('stack create', 'stack update of 1 key'):
            self.assertGreater(heat_side[name]['wall_s'], 0)
        client = rows[0]['glanceclient']
        self.assertEqual(3, client['images.update setting N keys']
                         ['requests'])
        self.assertEqual(1, client['PATCH with 1 op (N-key image)']
                         ['requests'])
        self.assertIn('profile', results['scaling'])
