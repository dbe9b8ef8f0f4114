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

"""Benchmarks through the real services of the mini-cloud.

Usage (from the top of the repository; ``make bench-services``)::

    .venv/bin/python benchmarks/services.py [--quick | --smoke] [--output F]
    .venv/bin/python benchmarks/services.py --report F.json [--rst]

The cloud of the mini-cloud test tier (:mod:`tests.minicloud.cloud`:
Keystone, Glance, heat-api, two heat-engine services with the convergence
engine and two workers each, RabbitMQ, MariaDB, all on 127.0.0.1) is
started for the run and stopped after it. Everything is driven as the
``demo`` member, as a user would: the ``openstack`` command,
python-heatclient and openstacksdk.
What is measured: :mod:`benchmarks.cloud.scenarios` and
:mod:`benchmarks.cloud.longlived` (many updates in a row, with and without
the engine thread group remedy); how:
:mod:`benchmarks.cloud.probe`. The command line is :mod:`benchmarks.cli`'s.
See doc/source/benchmarks.rst.
"""

import os
import sys
import time

PROG = 'benchmarks/services.py'
TITLE = 'Benchmarks through the services'
DESCRIPTION = ('Benchmark OS::Glance::Image through heat-api, two '
               'heat-engine services (convergence, 2 workers each), '
               'RabbitMQ, MariaDB, Keystone and Glance on 127.0.0.1.')
MODE_HELP = {
    'quick': 'stacks of 10 images, fewer runs and updates',
    'smoke': '3 images, one run each: checks that the benchmark still '
             'works',
}
PLOTS = 'services'
REPORT = 'benchmarks.cloud.report'
OUTPUT = 'services-%s.json'
VERSIONS = (('heat', 'openstack-heat'), ('glance', 'glance'),
            (None, 'mariadb'))

#: ``long_lived_updates``: the updates in a row of each run of
#: ``long_lived``. Each update of a stack of 50 images stores 102 events,
#: spread over the 4 engine workers: without the remedy the first worker
#: reaches Heat's limit (1000) after about 40 updates, so only the full
#: mode gets there.
MODES = {
    'full': {'one_reps': 5, 'fleet_sizes': [10, 25, 50], 'fleet_reps': 3,
             'n_properties': 10, 'size_kib': 1024,
             'long_lived_images': 50, 'long_lived_updates': 50},
    'quick': {'one_reps': 3, 'fleet_sizes': [10], 'fleet_reps': 2,
              'n_properties': 10, 'size_kib': 256,
              'long_lived_images': 10, 'long_lived_updates': 5},
    'smoke': {'one_reps': 1, 'fleet_sizes': [3], 'fleet_reps': 1,
              'n_properties': 3, 'size_kib': 64,
              'long_lived_images': 3, 'long_lived_updates': 2},
}

SECTIONS = ('one_image', 'fleet', 'long_lived')

#: Versions of what the cloud runs, beyond the machine's usual list.
PACKAGES = ('keystone', 'python-heatclient', 'python-openstackclient',
            'PyMySQL', 'oslo.messaging')
COMMANDS = (('mariadb', ['/usr/sbin/mariadbd', '--version']),
            ('rabbitmq', ['dpkg-query', '-W', '-f=${Version}',
                          'rabbitmq-server']))


def run(mode, sections, output, log=print):
    """Start the cloud, run the sections of ``mode``, stop the cloud."""
    from benchmarks.cloud import clients as cloud_clients
    from benchmarks.cloud import longlived
    from benchmarks.cloud import scenarios
    from benchmarks import machine
    from benchmarks import results as results_file
    from tests.minicloud import cloud as minicloud

    settings = MODES[mode]
    started = time.perf_counter()
    results = results_file.new(
        mode, dict(settings, poll_s=scenarios.POLL_S),
        machine.describe(PACKAGES, COMMANDS),
        load_average_start=list(os.getloadavg()))
    cloud = minicloud.MiniCloud()
    results['cloud'] = {
        'heat_engines': len(cloud.engines),
        'heat_engine_workers': (len(cloud.engines) *
                                cloud.heat.workers_per_engine),
        'convergence_engine': True,
        'prune_finished_engine_threads': cloud.heat.prune_engine_threads,
        'database': 'MariaDB (private instance)',
        'messaging': 'RabbitMQ'}
    try:
        wall0 = time.perf_counter()
        cloud.start()
        results['cloud']['start_s'] = time.perf_counter() - wall0
        log('* cloud started in %.0f s' % results['cloud']['start_s'])
        clients = cloud_clients.Clients(cloud)
        steps = [(name, name, lambda fn=fn: fn(cloud, clients, settings, log))
                 for name, fn in (('one_image', scenarios.one_image),
                                  ('fleet', scenarios.fleet),
                                  ('long_lived', longlived.long_lived))]
        results_file.run_sections(results, steps, sections, output, log)
    finally:
        cloud.destroy()
    # Other work on the machine weighs on every figure: say how much.
    results['load_average_end'] = list(os.getloadavg())
    return results_file.finish(results, started, output)


if __name__ == '__main__':
    # The modules are found from the top of the repository, not from
    # this directory.
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))
    from benchmarks import cli
    sys.exit(cli.main(sys.modules[__name__]))
