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

"""The mini-cloud's Nova: the service that reads image properties.

Nova from PyPI (the release test-requirements.txt pins), as operators run
it: nova-api (``nova.wsgi.osapi_compute``) under gunicorn behind
keystonemiddleware, nova-conductor, nova-scheduler and one nova-compute
with Nova's fake virt driver (``fake.FakeDriver``: a host with 8 vCPUs,
8000 MiB and 500 GiB that "boots" a server without a hypervisor), on
RabbitMQ and MariaDB, with Placement (:mod:`.placement`) and the
Neutron stub (:mod:`.neutron_stub`). Cells v2 as ``nova-manage`` makes
them: an API database, ``cell0`` and ``cell1``; nova-scheduler maps the
compute host to ``cell1`` (``discover_hosts_in_cells_interval``).

Servers are booted without networking (``"networks": "none"``). Nova
copies the image's properties into each server at boot and rebuild, and
shows them at microversion 2.98 (``image.properties`` of ``server
show``); :data:`FLAVOR` is the small flavor the tests boot with.
"""

import os
import shutil
import sys
import time
import urllib.error
import urllib.request

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import kombu
import pymysql

from tests.minicloud import common

#: The flavor the cloud makes (public): the smallest a member may boot
#: (a flavor with no disk is admin-only by Nova's policy).
FLAVOR = {'name': 'hgp.tiny', 'ram': 64, 'vcpus': 1, 'disk': 1}

#: The compute host's name (the ``host`` of every Nova service).
HOST_NAME = 'minicloud'

_CONF = """\
[DEFAULT]
transport_url = %(transport_url)s
host = %(host)s
my_ip = %(ip)s
compute_driver = fake.FakeDriver
# Native threads in every Nova process (nova-manage would use eventlet).
concurrency_backend = threading
state_path = %(dir)s/state
instances_path = %(dir)s/instances
use_stderr = false
# nova-api's log; the other services are given theirs with --log-file.
log_file = %(dir)s/nova-api.log
debug = %(debug)s
# Periodic tasks (the scheduler's host discovery) start at once, not
# after a random delay of up to a minute.
periodic_fuzzy_delay = 0
# Room on the fake host (8 vCPUs) for 128 servers of the 1-vCPU flavor.
initial_cpu_allocation_ratio = 16.0

[api]
auth_strategy = keystone

[wsgi]
api_paste_config = %(dir)s/api-paste.ini

[api_database]
connection = %(api_db)s

[database]
connection = %(db)s

[conductor]
workers = 1

[scheduler]
workers = 1
# nova-scheduler maps new compute hosts to their cell (what
# "nova-manage cell_v2 discover_hosts" does), every N seconds.
discover_hosts_in_cells_interval = 2

[quota]
# The tests boot many small servers at once as the member.
instances = 200
cores = 200
ram = 51200

[oslo_concurrency]
lock_path = %(dir)s/lock

[oslo_messaging_notifications]
driver = noop

[vnc]
enabled = false

[glance]
region_name = %(region)s

[cinder]
os_region_name = %(region)s
%(clients)s"""

#: Nova's credentials for the services it calls itself.
_CLIENT = """
[%(group)s]
auth_type = password
auth_url = %(keystone)s
project_domain_name = Default
user_domain_name = Default
project_name = service
username = nova
password = %(password)s
region_name = %(region)s
"""

#: Where gunicorn finds nova-api's application (see wsgi/nova_api.py).
_WSGI_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'wsgi')

#: What tells that nova-scheduler has mapped the compute host to a cell.
_HOST_MAPPED = 'SELECT COUNT(*) FROM host_mappings WHERE host = %s'


class Nova(common.Service):
    """nova-api, nova-conductor, nova-scheduler and nova-compute."""

    name = 'nova'
    database = 'nova'
    users = ('nova',)

    def __init__(self, procs, mariadb, keystone, rabbitmq, placement,
                 neutron, debug=False):
        super(Nova, self).__init__(procs, mariadb, keystone)
        self.rabbitmq = rabbitmq
        self.placement = placement
        self.neutron = neutron
        self.debug = debug
        self.port = common.free_port()
        self.url = 'http://%s:%d/v2.1' % (common.HOST, self.port)
        self.conf = os.path.join(self.dir, 'nova.conf')
        #: Nova's own databases besides ``nova`` (cell1), made by
        #: :meth:`prepare` for the same database user.
        self.api_database = 'nova_api'
        self.cell0_database = 'nova_cell0'
        self._api = None
        self._services = {}
        #: The flavor of :data:`FLAVOR`, as Nova made it.
        self.flavor = None
        #: Seconds each nova-manage command of :meth:`prepare` took.
        self.timings = {}

    def log(self, binary):
        """The log file of one Nova service (``nova-compute``, ...)."""
        return os.path.join(self.dir, '%s.log' % binary)

    def _env(self):
        env = dict(os.environ)
        env['OS_NOVA_CONFIG_DIR'] = self.dir
        return env

    def _url(self, database):
        # Every Nova database belongs to the ``nova`` database user.
        return self.mariadb.url(self.database).replace(
            '/%s?' % self.database, '/%s?' % database)

    def _databases(self):
        db = self.mariadb.connect()
        try:
            with db.cursor() as cur:
                for name in (self.api_database, self.cell0_database):
                    cur.execute('CREATE DATABASE %s CHARACTER SET utf8mb4'
                                % name)
                    cur.execute("GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%s'"
                                % (name, self.database, common.HOST))
        finally:
            db.close()

    def _write_config(self, path, database):
        passwords = self.keystone.passwords
        clients = ''.join(_CLIENT % {
            'group': group, 'keystone': self.keystone.url,
            'password': passwords['nova'], 'region': common.REGION}
            for group in ('placement', 'neutron'))
        with open(path, 'w') as f:
            f.write(_CONF % {
                'transport_url': self.rabbitmq.transport_url,
                'host': HOST_NAME, 'ip': common.HOST, 'dir': self.dir,
                'debug': str(self.debug).lower(),
                'api_db': self._url(self.api_database),
                'db': database, 'region': common.REGION,
                'clients': clients})
            f.write(self.keystone.authtoken('nova'))

    def prepare(self):
        """nova.conf, the three databases and the cells.

        The API database and its cell mappings, the schema of cell1 and
        the schema of cell0 are made side by side (each ``nova-manage``
        is a process of its own).
        """
        for sub in ('state', 'instances', 'lock'):
            os.makedirs(os.path.join(self.dir, sub))
        shutil.copy(os.path.join(sys.prefix, 'etc', 'nova', 'api-paste.ini'),
                    self.dir)
        self._write_config(self.conf, self.mariadb.url(self.database))
        # cell0's schema is the cell schema: "db sync --local-cell" with
        # a configuration whose [database] is cell0.
        cell0 = os.path.join(self.dir, 'nova-cell0.conf')
        self._write_config(cell0, self._url(self.cell0_database))
        self._databases()
        env = self._env()
        run = self.procs.run

        def manage(conf, *args):
            started = time.perf_counter()
            out = run([common.venv_bin('nova-manage'), '--config-file',
                       conf] + list(args), env)
            name = ' '.join(args[:2]) + (' (cell0)' if conf == cell0 else '')
            self.timings[name] = time.perf_counter() - started
            return out

        def api_and_cells():
            manage(self.conf, 'api_db', 'sync')
            manage(self.conf, 'cell_v2', 'map_cell0', '--database_connection',
                   self._url(self.cell0_database))
            manage(self.conf, 'cell_v2', 'create_cell', '--name', 'cell1')

        common.side_by_side(
            api_and_cells,
            lambda: manage(self.conf, 'db', 'sync', '--local_cell'),
            lambda: manage(cell0, 'db', 'sync', '--local_cell'))

    def _spawn(self, binary):
        self._services[binary] = self.procs.spawn(
            binary, [common.venv_bin(binary), '--config-file', self.conf,
                     '--log-file', self.log(binary)],
            env=self._env(), service=self.name)

    def start(self):
        """Start the API, then the conductor and the scheduler.

        Every Nova service but the API logs in to Keystone as it starts
        (for Placement) and exits if it cannot: those wait until
        Keystone knows Nova's user and the endpoints. :meth:`wait`
        starts nova-compute once nova-conductor listens (a compute
        service that finds no conductor waits 10 s before it asks
        again), and waits for everything.
        """
        self.rabbitmq.wait()
        env = self._env()
        env['PYTHONPATH'] = _WSGI_DIR
        self._api = self.procs.gunicorn('nova-api', 'nova_api:application',
                                        self.port, env)
        self._services['nova-api'] = self._api
        self._wait_for(self._registered, 'Nova in Keystone', 90)
        for binary in ('nova-conductor', 'nova-scheduler'):
            self._spawn(binary)

    def _session(self, user, project):
        auth = v3.Password(auth_url=self.keystone.url, username=user,
                           password=self.keystone.passwords[user],
                           project_name=project, user_domain_id='default',
                           project_domain_id='default')
        return ks_session.Session(auth=auth)

    def _registered(self):
        """Whether Nova's user can log in and sees its endpoints."""
        try:
            access = self._session('nova', 'service').auth.get_access(
                ks_session.Session())
        except ks_exceptions.ClientException:
            return False
        catalog = access.service_catalog
        return all(catalog.get_endpoints(service_type=kind)
                   for kind in ('placement', 'network', 'compute'))

    def _wait_for(self, ready, what, timeout):
        """Wait for ``ready()``; fail as soon as a Nova process exits."""
        def check():
            for binary, proc in self._services.items():
                if proc.poll() is not None:
                    raise common.CloudError('%s exited with %s; see %s' % (
                        binary, proc.returncode, self.log(binary)))
            return ready()
        common.wait_for(check, None, what, self.dir, timeout, interval=0.2)

    def _conductor_listens(self):
        """Whether nova-conductor's RPC queue exists (it made it)."""
        url = 'amqp://guest:guest@%s:%d//' % (
            common.HOST, self.rabbitmq.ports['amqp'])
        try:
            with kombu.Connection(url, connect_timeout=2) as conn:
                conn.default_channel.queue_declare('conductor',
                                                   passive=True)
                return True
        except Exception:
            return False

    def wait(self):
        self._wait_for(self._conductor_listens, 'nova-conductor', 90)
        self._spawn('nova-compute')
        self._wait_for(self._api_answers, 'nova-api', 90)
        self._wait_for(self._host_mapped,
                       'nova-compute (host mapped to cell1)', 120)
        self._make_flavor()

    def _api_answers(self):
        try:
            with urllib.request.urlopen(self.url + '/', timeout=5):
                return True
        except (urllib.error.URLError, OSError):
            return False

    def _host_mapped(self):
        try:
            rows = self.mariadb.query(
                self.database, _HOST_MAPPED.replace(
                    'host_mappings', '%s.host_mappings' % self.api_database),
                (HOST_NAME,))
        except pymysql.err.Error:
            return False
        if not rows[0][0]:
            return False
        # ... and reported its inventory to Placement.
        try:
            rows = self.mariadb.query(self.placement.database,
                                      'SELECT COUNT(*) FROM inventories')
        except pymysql.err.Error:
            return False
        return rows[0][0] > 0

    def _make_flavor(self):
        sess = self._session('admin', 'admin')
        resp = sess.post(self.url + '/flavors', json={'flavor': dict(
            FLAVOR, **{'os-flavor-access:is_public': True})})
        self.flavor = resp.json()['flavor']

    def endpoints(self):
        return (('nova', 'compute', self.url),)
