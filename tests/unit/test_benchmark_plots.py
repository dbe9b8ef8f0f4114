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

"""The benchmark plots and the JSON the docs commit agree.

The docs draw every plot of :mod:`benchmarks.plots` from
``doc/source/benchmark-results.json`` and
``doc/source/benchmark-services.json``. These tests draw them the same
way, and fail when a JSON lacks a series a plot expects or has one a plot
would leave out (e.g. a new variant of a benchmark run, its plot not yet
taught about it).
"""

import copy
import os
from xml.etree import ElementTree

import fixtures
import testtools

from benchmarks.cloud import longlived
from benchmarks.cloud import scenarios as cloud_scenarios
from benchmarks.inprocess import report as inprocess_report
from benchmarks import plots
from benchmarks import results as results_file

DOC_SOURCE = os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'doc', 'source')

COMMITTED = {
    'inprocess': os.path.join(DOC_SOURCE, 'benchmark-results.json'),
    'services': os.path.join(DOC_SOURCE, 'benchmark-services.json'),
}


def _committed(source):
    return results_file.load(COMMITTED[source])


def _at(tree, path):
    for step in path:
        tree = tree[step]
    return tree


def _svg_text(svg):
    """Every text of an SVG (matplotlib writes text as text here)."""
    root = ElementTree.fromstring(svg)
    return ' '.join(t.strip() for t in root.itertext() if t.strip())


class CommittedJsonTest(testtools.TestCase):
    """The plots the docs build draws, from the committed JSON."""

    def draw_all(self):
        outdir = self.useFixture(fixtures.TempDir()).path
        written = []
        for source in sorted(COMMITTED):
            written += plots.draw(source, _committed(source), outdir)
        return dict((os.path.basename(p)[:-len('.svg')], p)
                    for p in written)

    def test_every_plot_is_drawn(self):
        written = self.draw_all()
        self.assertEqual(sorted(plots.PLOTS), sorted(written))
        for name, path in written.items():
            with open(path) as f:
                svg = f.read()
            self.assertTrue(svg.startswith('<?xml'), name)
            ElementTree.fromstring(svg)

    def test_series_are_named_from_the_benchmarks(self):
        written = self.draw_all()

        def text(name):
            with open(written[name]) as f:
                return _svg_text(f.read())

        sizes = text('benchmark-in-place-vs-replacement')
        for _side, title in plots.SIZE_SIDES:
            self.assertIn(title, sizes)
        requests = text('benchmark-requests-per-operation')
        for _client, title in inprocess_report.CLIENTS:
            self.assertIn(title, requests)
        for _op, title in inprocess_report.OP_TITLES:
            self.assertIn(title, requests)
        stack = text('benchmark-stack-of-images')
        for _variant, title in cloud_scenarios.FLEET:
            self.assertIn(title, stack)
        in_a_row = text('benchmark-updates-in-a-row')
        for _run, _on, title in longlived.RUNS:
            self.assertIn(title, in_a_row)

    def test_svg_is_the_same_for_the_same_data(self):
        # Drawn twice, byte for byte the same: no date, no random ids.
        first = self.draw_all()
        second = self.draw_all()
        for name in first:
            with open(first[name]) as a, open(second[name]) as b:
                svg = a.read()
                self.assertEqual(svg, b.read(), name)
            self.assertNotIn('<dc:date>', svg)

    def test_stack_plot_points(self):
        services = _committed('services')
        series = dict((v, points) for v, _t, points in
                      plots.stack_series(services))
        sizes = services['fleet']['sizes']
        # Several sizes: a curve, not a segment.
        self.assertGreaterEqual(len(sizes), 3)
        for variant, _title in cloud_scenarios.FLEET:
            self.assertEqual(
                [(size['images'], size['variants'][variant]['wall_s'])
                 for size in sizes], series[variant][-len(sizes):])
        # At one image: the one-image section's same calls.
        one = services['one_image']['variants']
        for variant, one_variant in plots.ONE_IMAGE_POINTS.items():
            self.assertEqual((1, one[one_variant]['wall_s']),
                             series[variant][0])

    def test_updates_in_a_row_points(self):
        # The committed run shows what the docs say: every update with
        # the remedy completes; without it, an update gets stuck at
        # Heat's limit, and the same update completes after a restart.
        record = _committed('services')['long_lived']
        series = dict((name, (points, retry)) for name, _t, points, retry
                      in plots.long_lived_series(_committed('services')))
        on, on_retry = series['remedy_on']
        self.assertEqual(record['updates'], len(on))
        self.assertEqual({'UPDATE_COMPLETE'}, set(p[2] for p in on))
        self.assertIsNone(on_retry)
        off, off_retry = series['remedy_off']
        self.assertEqual('stuck', off[-1][2])
        self.assertLess(len(off), record['updates'])
        self.assertEqual((len(off), 'UPDATE_COMPLETE'),
                         (off_retry[0], off_retry[2]))
        self.assertTrue(record['runs']['remedy_off']['after_restart']
                        ['in_place'])


class SeriesMismatchTest(testtools.TestCase):
    """A JSON and a plot that disagree stop the drawing."""

    def assertRefused(self, source, results, *words):
        outdir = self.useFixture(fixtures.TempDir()).path
        error = self.assertRaises(plots.SeriesMismatch, plots.draw,
                                  source, results, outdir)
        for word in words:
            self.assertIn(word, str(error))
        self.assertEqual([], os.listdir(outdir))

    def assertRefusedWithout(self, source, path, *words):
        """The committed JSON less the series at ``path`` is refused."""
        results = copy.deepcopy(_committed(source))
        del _at(results, path[:-1])[path[-1]]
        self.assertRefused(source, results, *words)

    def assertRefusedWithExtra(self, source, path, like, *words):
        """The committed JSON with one more series, at ``path``."""
        results = copy.deepcopy(_committed(source))
        parent = _at(results, path[:-1])
        parent[path[-1]] = copy.deepcopy(parent[like])
        self.assertRefused(source, results, *words)

    def test_stack_variant_missing(self):
        self.assertRefusedWithout(
            'services', ['fleet', 'sizes', -1, 'variants', 'sdk_loop'],
            'stack of 50 images', 'missing from the JSON: sdk_loop')

    def test_stack_variant_missing_at_one_size(self):
        self.assertRefusedWithout(
            'services', ['fleet', 'sizes', 0, 'variants', 'root_in_place'],
            'missing from the JSON: root_in_place')

    def test_stack_variant_not_plotted(self):
        # As when a chain of images joins the run but not
        # benchmarks.cloud.scenarios.FLEET.
        self.assertRefusedWithExtra(
            'services', ['fleet', 'sizes', -1, 'variants', 'chain_in_place'],
            'in_place', 'not plotted: chain_in_place')

    def test_updates_in_a_row_run_missing(self):
        self.assertRefusedWithout(
            'services', ['long_lived', 'runs', 'remedy_off'],
            'updates in a row', 'missing from the JSON: remedy_off')

    def test_updates_in_a_row_run_not_plotted(self):
        self.assertRefusedWithExtra(
            'services', ['long_lived', 'runs', 'remedy_on_eventlet'],
            'remedy_on', 'not plotted: remedy_on_eventlet')

    def test_one_image_variant_missing(self):
        self.assertRefusedWithout(
            'services', ['one_image', 'variants', 'stack_update_api'],
            'one image', 'missing from the JSON: stack_update_api')

    def test_size_side_missing(self):
        self.assertRefusedWithout(
            'inprocess', ['in_place_vs_replacement', 'sizes', 1,
                          'replacement'],
            'missing from the JSON: replacement')

    def test_size_side_not_plotted(self):
        self.assertRefusedWithExtra(
            'inprocess', ['in_place_vs_replacement', 'sizes', 0,
                          'webimage'], 'in_place', 'not plotted: webimage')

    def test_client_missing(self):
        self.assertRefusedWithout(
            'inprocess', ['requests', 'clients', 'heat_webimage'],
            'missing from the JSON: heat_webimage')

    def test_client_not_plotted(self):
        self.assertRefusedWithExtra(
            'inprocess', ['requests', 'clients', 'glanceclient'], 'plugin',
            'not plotted: glanceclient')

    def test_operation_not_plotted(self):
        self.assertRefusedWithExtra(
            'inprocess', ['requests', 'clients', 'plugin', 'rename'],
            'change_one', 'of plugin', 'not plotted: rename')

    def test_operation_a_client_cannot_do_is_drawn_as_such(self):
        # openstacksdk has no record of the no-op metadata change: the
        # plot says n/a there, as the table does, and draws.
        operations, series = plots.request_series(_committed('inprocess'))
        bars = dict((c, b) for c, _t, b in series)
        self.assertEqual('n/a', bars['openstacksdk']['noop_metadata_only']
                         ['note'])
        self.assertEqual('not possible',
                         bars['openstacksdk']['remove_some']['note'])
        self.assertEqual([op for op, _t in inprocess_report.OP_TITLES],
                         [op for op, _t in operations])
