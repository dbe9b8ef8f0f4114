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

"""Run the benchmarks: print a table and write the figures as JSON.

Usage (from the top of the repository)::

    .venv/bin/python benchmarks/run.py [--quick | --smoke] [--output FILE]
    .venv/bin/python benchmarks/run.py --report FILE.json [--rst]

A glance-api (the test harness's, with the image property quota lifted)
and a local HTTP server for the image data are started for the run and
stopped after it; Heat engine code runs in this process. See
doc/source/benchmarks.rst.
"""

import argparse
import datetime
import json
import logging
import os
import sys
import time
import warnings

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog='benchmarks/run.py',
        description='Benchmark OS::Glance::Image against a real local '
                    'Glance and in-process Heat.')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--quick', dest='mode', action='store_const',
                      const='quick', help='fewer sizes and runs '
                      '(about a minute)')
    mode.add_argument('--smoke', dest='mode', action='store_const',
                      const='smoke', help='tiny sizes, one run each: '
                      'checks that the benchmarks still work')
    parser.set_defaults(mode='full')
    parser.add_argument('--output', metavar='FILE',
                        help='where to write the JSON figures (default: '
                        'benchmarks/results/<mode>.json)')
    parser.add_argument('--only', metavar='SECTION', action='append',
                        choices=SECTIONS,
                        help='run only this section (repeatable)')
    parser.add_argument('--report', metavar='FILE',
                        help='print the tables of a JSON results file '
                        'instead of running')
    parser.add_argument('--rst', action='store_true',
                        help='with --report: print reStructuredText')
    parser.add_argument('--verbose', action='store_true',
                        help='show the log of Heat and the clients')
    return parser.parse_args(argv)


def _quiet(verbose):
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    logging.basicConfig(
        level=logging.INFO if verbose else logging.CRITICAL,
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')


def run(mode, sections, output, log=print):
    """Run the benchmarks of ``mode``; return the results as a dict."""
    from benchmarks import cases
    from benchmarks import common
    from benchmarks import report
    from tests.harness import glance
    from tests.harness import heat

    settings = MODES[mode]
    started = time.perf_counter()
    results = {
        'format': 1,
        'mode': mode,
        'date': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%dT%H:%M:%SZ'),
        'machine': report.machine(),
        'settings': dict(settings, heat_poll_interval_s=heat.POLL_INTERVAL),
    }
    steps = {
        'in_place_vs_replacement': (
            'in place vs replacement, images of %s MiB' % (
                settings['sizes_mib'],),
            lambda bench: cases.in_place_vs_replacement(
                bench, settings['sizes_mib'], settings['size_reps'])),
        'requests': (
            'requests per operation, N = %d' % settings['request_n'],
            lambda bench: cases.requests_per_operation(
                bench, settings['request_n'])),
        'scaling': (
            'scaling, N = %s' % (settings['scale_ns'],),
            lambda bench: cases.scaling(
                bench, settings['scale_ns'], settings['scale_reps'])),
        'fleet': (
            'a stack of %d images' % settings['fleet_images'],
            lambda bench: cases.fleet(
                bench, settings['fleet_images'],
                settings['fleet_size_mib'], settings['fleet_reps'])),
    }
    results['section_s'] = {}
    data = glance.DataServer()
    server = glance.GlanceServer(data, quota=-1)
    try:
        server.start()
        bench = cases.Bench(data, server)
        for name in SECTIONS:
            if name not in sections:
                continue
            title, fn = steps[name]
            log('* %s' % title)
            wall0 = time.perf_counter()
            results[name] = fn(bench)
            results['section_s'][name] = time.perf_counter() - wall0
            log('  done in %.0f s' % results['section_s'][name])
            # Keep what is measured so far, should a later section fail.
            common.save_json(results, output)
    finally:
        server.destroy()
        if not cases.eventlet_patched():
            # (Under eventlet, stopping the server thread never returns;
            # it is a daemon thread and ends with the process.)
            data.stop()
    results['checks'] = report.checks(results)
    results['duration_s'] = time.perf_counter() - started
    results = common.round_results(results)
    common.save_json(results, output)
    return results


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if REPO_ROOT not in sys.path:
        sys.path.insert(0, REPO_ROOT)
    from benchmarks import report

    if args.report:
        with open(args.report) as f:
            results = json.load(f)
        print(report.rst(results) if args.rst else report.text(results))
        return 0

    _quiet(args.verbose)
    sections = args.only or SECTIONS
    output = args.output or os.path.join(REPO_ROOT, 'benchmarks', 'results',
                                         '%s.json' % args.mode)
    print('Benchmarks (%s mode), started %s' % (
        args.mode, time.strftime('%H:%M:%S')))
    results = run(args.mode, sections, output)
    m = results['machine']
    print('\n%d CPUs (%s), %s GiB RAM, Python %s, glance %s, heat %s\n' % (
        m['nproc'], m['cpu_model'], m['ram_gib'], m['python'],
        m['versions']['glance'], m['versions']['openstack-heat']))
    print(report.text(results))
    print('Took %.0f s; figures written to %s' % (
        results['duration_s'], output))
    return 0


if __name__ == '__main__':
    sys.exit(main())
