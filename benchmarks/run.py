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

"""Run the in-process benchmarks: print tables, write the figures as JSON.

Usage (from the top of the repository; ``make bench``)::

    .venv/bin/python benchmarks/run.py [--quick | --smoke] [--output FILE]
    .venv/bin/python benchmarks/run.py --report FILE.json [--rst]

A glance-api (the test harness's, with the image property quota lifted)
and a local HTTP server for the image data are started for the run and
stopped after it; Heat engine code runs in this process
(:mod:`benchmarks.inprocess`). The command line is
:mod:`benchmarks.cli`'s. See doc/source/benchmarks.rst.
"""

import os
import sys
import time

PROG = 'benchmarks/run.py'
TITLE = 'Benchmarks'
DESCRIPTION = ('Benchmark OS::Glance::Image against a real local Glance '
               'and in-process Heat.')
MODE_HELP = {
    'quick': 'fewer sizes and runs (about a minute)',
    'smoke': 'tiny sizes, one run each: checks that the benchmarks still '
             'work',
}
PLOTS = 'inprocess'
REPORT = 'benchmarks.inprocess.report'
OUTPUT = '%s.json'
VERSIONS = (('glance', 'glance'), ('heat', 'openstack-heat'))

#: What each mode measures. "full" is what doc/source/benchmarks.rst shows.
MODES = {
    'full': {
        'sizes_mib': [16, 128, 512], 'size_reps': 4,
        'request_n': 10,
        'scale_ns': [10, 128, 1000], 'scale_reps': 3,
        'fleet_images': 50, 'fleet_size_mib': 16, 'fleet_reps': 2,
    },
    'quick': {
        'sizes_mib': [16, 128], 'size_reps': 3,
        'request_n': 10,
        'scale_ns': [10, 128], 'scale_reps': 2,
        'fleet_images': 10, 'fleet_size_mib': 4, 'fleet_reps': 2,
    },
    'smoke': {
        'sizes_mib': [1], 'size_reps': 1,
        'request_n': 3,
        'scale_ns': [3], 'scale_reps': 1,
        'fleet_images': 3, 'fleet_size_mib': 1, 'fleet_reps': 1,
    },
}

SECTIONS = ('in_place_vs_replacement', 'requests', 'scaling', 'fleet')


def _steps(bench, settings):
    """``[(section, title, fn)]``, in the order of :data:`SECTIONS`."""
    from benchmarks.inprocess import request_counts
    from benchmarks.inprocess import scenarios

    s = settings
    return [
        ('in_place_vs_replacement',
         'in place vs replacement, images of %s MiB' % (s['sizes_mib'],),
         lambda: scenarios.in_place_vs_replacement(
             bench, s['sizes_mib'], s['size_reps'])),
        ('requests', 'requests per operation, N = %d' % s['request_n'],
         lambda: request_counts.requests_per_operation(
             bench, s['request_n'])),
        ('scaling', 'scaling, N = %s' % (s['scale_ns'],),
         lambda: scenarios.scaling(bench, s['scale_ns'], s['scale_reps'])),
        ('fleet', 'a stack of %d images' % s['fleet_images'],
         lambda: scenarios.fleet(bench, s['fleet_images'],
                                 s['fleet_size_mib'], s['fleet_reps'])),
    ]


def run(mode, sections, output, log=print):
    """Run the benchmarks of ``mode``; return the results as a dict."""
    from benchmarks.inprocess import bench as testbed
    from benchmarks.inprocess import report
    from benchmarks import machine
    from benchmarks import results as results_file
    from tests.harness import glance
    from tests.harness import heat

    settings = MODES[mode]
    started = time.perf_counter()
    results = results_file.new(
        mode, dict(settings, heat_poll_interval_s=heat.POLL_INTERVAL),
        machine.describe())
    data = glance.DataServer()
    server = glance.GlanceServer(data, quota=-1)
    try:
        server.start()
        bench = testbed.Bench(data, server)
        results_file.run_sections(results, _steps(bench, settings),
                                  sections, output, log)
    finally:
        server.destroy()
        if not testbed.eventlet_patched():
            # (Under eventlet, stopping the server thread never returns;
            # it is a daemon thread and ends with the process.)
            data.stop()
    results['checks'] = report.checks(results)
    return results_file.finish(results, started, output)


if __name__ == '__main__':
    # The modules are found from the top of the repository, not from
    # this directory.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))
    from benchmarks import cli
    sys.exit(cli.main(sys.modules[__name__]))
