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

"""The command line of both benchmark drivers: one parser, one main.

A driver (``benchmarks/run.py``, ``benchmarks/services.py``) is a module
that says what it runs:

``PROG``, ``TITLE``, ``DESCRIPTION``
    Its name, the first word of its output, its ``--help``.
``MODE_HELP``
    ``{'quick': help, 'smoke': help}`` (the default mode is ``full``).
``SECTIONS``
    The sections it can run, in order (``--only``).
``OUTPUT``
    The name of its JSON under ``benchmarks/results/``, with ``%s`` for
    the mode.
``VERSIONS``
    ``[(label, key)]``: the versions of ``results['machine']`` to print
    (a label of None prints the version alone).
``run(mode, sections, output, log)``
    Runs the sections; the results, already written to ``output``.
``PLOTS``
    Which plots of :mod:`benchmarks.plots` its results give (``--plots``).
``REPORT``
    The module whose ``tables(results)`` gives the tables of the results:
    ``[(title, headers, rows)]`` (see :mod:`benchmarks.tables`).
"""

import argparse
import importlib
import logging
import os
import sys
import time
import warnings

from benchmarks import results as results_file
from benchmarks import tables

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(driver, argv):
    parser = argparse.ArgumentParser(prog=driver.PROG,
                                     description=driver.DESCRIPTION)
    mode = parser.add_mutually_exclusive_group()
    for name in ('quick', 'smoke'):
        mode.add_argument('--%s' % name, dest='mode', action='store_const',
                          const=name, help=driver.MODE_HELP[name])
    parser.set_defaults(mode='full')
    parser.add_argument('--output', metavar='FILE',
                        help='where to write the JSON figures (default: '
                        'benchmarks/results/%s)' % (
                            driver.OUTPUT % '<mode>'))
    parser.add_argument('--only', metavar='SECTION', action='append',
                        choices=driver.SECTIONS,
                        help='run only this section (repeatable): %s' % (
                            ', '.join(driver.SECTIONS)))
    parser.add_argument('--report', metavar='FILE',
                        help='print the tables of a JSON results file '
                        'instead of running')
    parser.add_argument('--rst', action='store_true',
                        help='with --report: print reStructuredText')
    parser.add_argument('--plots', metavar='DIR',
                        help='also draw the plots (SVG) of the results, '
                        'of the run or of --report, into DIR')
    parser.add_argument('--verbose', action='store_true',
                        help='show the log of Heat and the clients')
    return parser.parse_args(argv)


def _quiet(verbose):
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    logging.basicConfig(
        level=logging.INFO if verbose else logging.CRITICAL,
        format='%(asctime)s %(levelname)s %(name)s: %(message)s')


def _log(message):
    print(message, flush=True)


def machine_line(driver, results):
    """One line: the machine and the versions that matter most."""
    m = results['machine']
    versions = ', '.join(
        m['versions'].get(key) if label is None else '%s %s' % (
            label, m['versions'].get(key))
        for label, key in driver.VERSIONS)
    return '%d CPUs (%s), %s GiB RAM, Python %s, %s' % (
        m['nproc'], m['cpu_model'], m['ram_gib'], m['python'], versions)


def _tables(driver, results):
    return importlib.import_module(driver.REPORT).tables(results)


def _plots(driver, results, outdir):
    from benchmarks import plots

    for path in plots.draw(driver.PLOTS, results, outdir):
        print('Plot written to %s' % path)


def main(driver, argv=None):
    args = parse_args(driver, sys.argv[1:] if argv is None else argv)
    if args.report:
        results = results_file.load(args.report)
        render = tables.rst if args.rst else tables.text
        print(render(_tables(driver, results)))
        if args.plots:
            _plots(driver, results, args.plots)
        return 0
    _quiet(args.verbose)
    sections = args.only or driver.SECTIONS
    output = args.output or os.path.join(
        REPO_ROOT, 'benchmarks', 'results', driver.OUTPUT % args.mode)
    _log('%s (%s mode), started %s' % (driver.TITLE, args.mode,
                                       time.strftime('%H:%M:%S')))
    results = driver.run(args.mode, sections, output, _log)
    print('\n%s\n' % machine_line(driver, results))
    print(tables.text(_tables(driver, results)))
    print('Took %.0f s; figures written to %s' % (
        results['duration_s'], output))
    if args.plots:
        _plots(driver, results, args.plots)
    return 0
