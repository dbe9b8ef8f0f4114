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
Keystone, Glance, heat-api, heat-engine with the convergence engine and
two workers, RabbitMQ, MariaDB, all on 127.0.0.1) is started for the run
and stopped after it. Everything is driven as the ``demo`` member, as a
user would: the ``openstack`` command, python-heatclient and openstacksdk.
What is measured: :mod:`benchmarks.cloud.scenarios`; how:
:mod:`benchmarks.cloud.probe`. The command line is :mod:`benchmarks.cli`'s.
See doc/source/benchmarks.rst.
"""

import os
import sys
import time

PROG = 'benchmarks/services.py'
TITLE = 'Benchmarks through the services'
DESCRIPTION = ('Benchmark OS::Glance::Image through heat-api, heat-engine '
               '(convergence, 2 workers), RabbitMQ, MariaDB, Keystone and '
               'Glance on 127.0.0.1.')
MODE_HELP = {
    'quick': 'a stack of 10 images, fewer runs',
    'smoke': '3 images, one run each: checks that the benchmark still '
             'works',
}
PLOTS = 'services'
REPORT = 'benchmarks.cloud.report'
OUTPUT = 'services-%s.json'
VERSIONS = (('heat', 'openstack-heat'), ('glance', 'glance'),
            (None, 'mariadb'))

MODES = {
    'full': {'one_reps': 5, 'fleet_images': 50, 'fleet_reps': 3,
             'n_properties': 10, 'size_kib': 1024},
    'quick': {'one_reps': 3, 'fleet_images': 10, 'fleet_reps': 2,
              'n_properties': 10, 'size_kib': 256},
    'smoke': {'one_reps': 1, 'fleet_images': 3, 'fleet_reps': 1,
              'n_properties': 3, 'size_kib': 64},
}

SECTIONS = ('one_image', 'fleet')

#: Versions of what the cloud runs, beyond the machine's usual list.
PACKAGES = ('keystone', 'python-heatclient', 'python-openstackclient',
            'PyMySQL', 'oslo.messaging')
COMMANDS = (('mariadb', ['/usr/sbin/mariadbd', '--version']),
            ('rabbitmq', ['dpkg-query', '-W', '-f=${Version}',
                          'rabbitmq-server']))


def run(mode, sections, output, log=print):
    """Start the cloud, run the sections of ``mode``, stop the cloud."""
    from benchmarks.cloud import clients as cloud_clients
    from benchmarks.cloud import scenarios
    from benchmarks import machine
    from benchmarks import results as results_file
    from tests.minicloud import cloud as minicloud

    settings = MODES[mode]
    started = time.perf_counter()
    results = results_file.new(
        mode, dict(settings, poll_s=scenarios.POLL_S),
        machine.describe(PACKAGES, COMMANDS),
        cloud={'heat_engine_workers': 2, 'convergence_engine': True,
               'database': 'MariaDB (private instance)',
               'messaging': 'RabbitMQ'},
        load_average_start=list(os.getloadavg()))
    cloud = minicloud.MiniCloud()
    try:
        wall0 = time.perf_counter()
        cloud.start()
        results['cloud']['start_s'] = time.perf_counter() - wall0
        log('* cloud started in %.0f s' % results['cloud']['start_s'])
        clients = cloud_clients.Clients(cloud)
        steps = [(name, name, lambda fn=fn: fn(cloud, clients, settings, log))
                 for name, fn in (('one_image', scenarios.one_image),
                                  ('fleet', scenarios.fleet))]
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
