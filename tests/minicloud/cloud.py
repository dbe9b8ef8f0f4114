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

"""A small OpenStack cloud on 127.0.0.1: Keystone, Glance, Heat, Nova.

Everything runs from this virtualenv (and RabbitMQ and MariaDB from the
operating system's packages) as child processes, with its state in one
temporary directory. One module per service:

- :mod:`.mariadb`: a private MariaDB, one database and user per service;
- :mod:`.rabbitmq`: RabbitMQ with its own epmd;
- :mod:`.keystone`: Keystone, and what the services register in it;
- :mod:`.glance`: Glance behind keystonemiddleware, and the HTTP server
  its web-download imports read from;
- :mod:`.heat`: heat-api and heat-engine, with the plugin loaded through
  ``plugin_dirs``;
- :mod:`.placement`, :mod:`.nova` and :mod:`.neutron_stub`: Placement,
  Nova with its fake virt driver, and the stand-in for Neutron's port
  listing;
- :mod:`.common`: processes, waits and passwords.

:class:`MiniCloud` starts them side by side where they do not depend on
each other. An OpenStack service is a :class:`.common.Service`: its
database, its Keystone users and endpoints, ``prepare()`` (configuration
and schema, run in a thread beside the others') and ``start()``; adding
one is adding its module and a line in :meth:`MiniCloud.__init__`. A
service whose ``start()`` only spawns its processes also has ``wait()``,
called once every service has started.

Heat runs as production clouds run it with several engine hosts: two
heat-engine services (``engine-1`` and ``engine-2``, two workers each) on
the one RabbitMQ and database, behind the one heat-api (see
:class:`.heat.Heat`).

``python -m tests.minicloud.cloud`` starts it, prints the environment for
the ``openstack`` command and stops everything on Ctrl-C.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from tests.minicloud import common
from tests.minicloud import glance
from tests.minicloud import heat
from tests.minicloud import keystone
from tests.minicloud import mariadb
from tests.minicloud import neutron_stub
from tests.minicloud import nova
from tests.minicloud import placement
from tests.minicloud import rabbitmq

# What the tests and the benchmarks import from here.
CloudError = common.CloudError
HOST = common.HOST
REGION = common.REGION
REPO_ROOT = common.REPO_ROOT
ACCESS_LOG_FORMAT = common.ACCESS_LOG_FORMAT
MEMBER_USER = keystone.MEMBER_USER
MEMBER_PROJECT = keystone.MEMBER_PROJECT
rabbitmq_available = rabbitmq.available
mariadb_available = mariadb.available


class MiniCloud(object):
    """Start, describe and stop the local cloud."""

    def __init__(self, workdir=None, debug=False,
                 engine_hosts=heat.ENGINE_HOSTS,
                 workers_per_engine=heat.WORKERS_PER_ENGINE,
                 glance_proxy=False):
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix='minicloud-')
        self.debug = debug
        #: Every process of the cloud, as ``(service, Popen)`` pairs.
        self.procs = common.Processes(self.workdir)
        #: Every Keystone user's password, by user name.
        self.passwords = common.Secrets()
        self.mariadb = mariadb.MariaDB(self.procs)
        self.rabbitmq = rabbitmq.RabbitMQ(self.procs)
        self.keystone = keystone.Keystone(self.procs, self.mariadb,
                                          self.passwords)
        self.glance_service = glance.Glance(self.procs, self.mariadb,
                                            self.keystone,
                                            proxy=glance_proxy)
        self.heat = heat.Heat(self.procs, self.mariadb, self.keystone,
                              self.rabbitmq, debug=debug,
                              engine_hosts=engine_hosts,
                              workers_per_engine=workers_per_engine)
        self.placement = placement.Placement(self.procs, self.mariadb,
                                             self.keystone)
        self.neutron = neutron_stub.NeutronStub(self.procs)
        self.nova = nova.Nova(self.procs, self.mariadb, self.keystone,
                              self.rabbitmq, self.placement, self.neutron,
                              debug=debug)
        #: The OpenStack services, in the order they start; Keystone
        #: first.
        self.services = (self.keystone, self.glance_service,
                         self.placement, self.neutron, self.nova, self.heat)
        #: Seconds each step of start() took.
        self.timings = {}

    # -- what the tests and the benchmarks read --------------------------

    keystone_url = property(lambda self: self.keystone.url)
    heat_url = property(lambda self: self.heat.url)
    db_passwords = property(lambda self: self.mariadb.passwords)
    #: The harness's Glance server (``url``, ``requests()``, ...).
    glance = property(lambda self: self.glance_service.api)
    #: The HTTP server Glance's web-download imports read from.
    data = property(lambda self: self.glance_service.data)
    #: The proxy between heat-engine and Glance (``glance_proxy=True``).
    glance_proxy = property(lambda self: self.glance_service.proxy)
    plugin_dir = property(lambda self: self.heat.plugin_dir)
    heat_conf = property(lambda self: self.heat.conf)

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def db_url(self, name):
        """The SQLAlchemy URL of one service's database."""
        return self.mariadb.url(name)

    def _db_connect(self, user, password, database=None):
        return self.mariadb.connect(user, password, database)

    def admin_session(self):
        return self.keystone.admin_session()

    def access_log(self, service):
        """The access log of ``keystone``, ``glance`` or ``heat-api``."""
        if service == 'glance':
            return self.glance.access_log
        return self.path('%s-access.log' % service)

    @property
    def engines(self):
        """The heat-engine services (:class:`.heat.HeatEngine`), by host."""
        return self.heat.engines

    @property
    def engine_logs(self):
        """Each heat-engine service's log (all its workers'), by host."""
        return dict((host, engine.log)
                    for host, engine in self.engines.items())

    @property
    def engine_log(self):
        """The log of the first heat-engine service."""
        return next(iter(self.engines.values())).log

    def engine_workers(self):
        """How many heat-engine workers are registered and not stopped."""
        return len(self.heat.workers())

    # -- the whole cloud ------------------------------------------------

    def _step(self, name, *steps, main=None):
        started = time.perf_counter()
        common.side_by_side(*steps, main=main)
        self.timings[name] = time.perf_counter() - started

    def start(self):
        try:
            # The broker (Erlang) starts slowly: the rest starts meanwhile.
            self.rabbitmq.spawn()
            self._step('mariadb', main=lambda: self.mariadb.start(
                [s.database for s in self.services if s.database]))
            # Each service's database schema is its own: made side by side.
            self._step('prepare', *(s.prepare for s in self.services))
            self._step('keystone', main=self.keystone.start)
            # The users and endpoints are made while the others start.
            self._step('services',
                       lambda: self.keystone.register(self.services),
                       main=self._start_services)
        except BaseException:
            self.stop()
            raise

    def _start_services(self):
        for service in self.services[1:]:
            started = time.perf_counter()
            service.start()
            self.timings[service.name] = time.perf_counter() - started
        # The services whose start() only spawns their processes
        # (Placement, Nova) are waited for once all are on their way.
        for service in self.services[1:]:
            if hasattr(service, 'wait'):
                started = time.perf_counter()
                service.wait()
                self.timings[service.name + '-wait'] = (
                    time.perf_counter() - started)

    def stop(self):
        """Stop every process (in reverse order); keeps the state dir."""
        for service in reversed(self.services):
            service.stop()
        self.procs.stop_all()

    def destroy(self):
        self.stop()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def env(self, user=MEMBER_USER):
        """Environment for the ``openstack`` command as ``user``."""
        env = dict((k, v) for k, v in os.environ.items()
                   if not k.startswith('OS_'))
        project = 'admin' if user == 'admin' else MEMBER_PROJECT
        env.update({
            'OS_AUTH_URL': self.keystone_url,
            'OS_IDENTITY_API_VERSION': '3',
            'OS_USERNAME': user,
            'OS_PASSWORD': self.passwords[user],
            'OS_PROJECT_NAME': project,
            'OS_USER_DOMAIN_NAME': 'Default',
            'OS_PROJECT_DOMAIN_NAME': 'Default',
            'OS_REGION_NAME': REGION,
            'OS_INTERFACE': 'public',
        })
        return env

    def openstack(self, *args, user=MEMBER_USER, timeout=300):
        """Run the real ``openstack`` command; returns CompletedProcess."""
        return subprocess.run([common.venv_bin('openstack')] + list(args),
                              env=self.env(user), cwd=REPO_ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description='Run the local test cloud until interrupted.')
    parser.add_argument('--debug', action='store_true')
    args = parser.parse_args(argv)
    cloud = MiniCloud(debug=args.debug)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        cloud.start()
        print('# state and logs: %s' % cloud.workdir)
        for engine in cloud.engines.values():
            print('# heat-engine host %s: %d workers, log %s' % (
                engine.host, len(engine.engine_ids), engine.log))
        for key, value in sorted(cloud.env().items()):
            if key.startswith('OS_'):
                print('export %s=%s' % (key, value))
        url = cloud.data.add('sample.img', size=1 << 20)
        print('# image data for image_url (1 MiB): %s' % url)
        print('# e.g. openstack stack create --wait -t '
              'heat_templates/image_properties.yaml --parameter '
              'image_url=%s demo' % url)
        print('# servers (no network): openstack server create --flavor '
              '%s --image IMAGE --nic none NAME' % cloud.nova.flavor['name'])
        sys.stdout.flush()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cloud.destroy()
    return 0


if __name__ == '__main__':
    sys.exit(main())
