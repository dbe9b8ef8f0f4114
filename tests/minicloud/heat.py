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

"""The mini-cloud's Heat: heat-api and the heat-engine services.

heat-api (``heat.wsgi.api:application``) under gunicorn, and heat-engine
(the console script, convergence on) talking over RabbitMQ, on MariaDB,
with the plugin loaded through ``plugin_dirs`` = the output of
``heat-glance-props plugin-dir``, as the README tells operators.
"""

import os
import secrets
import sys

import pymysql

from tests.minicloud import common

_CONF = """\
[DEFAULT]
transport_url = %(transport_url)s
plugin_dirs = %(plugin_dir)s
convergence_engine = true
num_engine_workers = %(workers)d
host = minicloud
region_name_for_services = %(region)s
deferred_auth_method = trusts
stack_user_domain_name = heat
stack_domain_admin = heat_domain_admin
stack_domain_admin_password = %(domain_password)s
auth_encryption_key = %(auth_key)s
environment_dir = %(prefix)s/etc/heat/environment.d
template_dir = %(prefix)s/etc/heat/templates
log_file = %(log)s
use_stderr = false
debug = %(debug)s
graceful_shutdown_timeout = 5

[database]
connection = %(db)s

[paste_deploy]
api_paste_config = %(prefix)s/etc/heat/api-paste.ini

[trustee]
auth_type = password
auth_url = %(keystone)s
user_domain_name = Default
username = heat
password = %(password)s

[clients_keystone]
auth_uri = %(keystone)s

[oslo_messaging_notifications]
driver = noop
"""

#: What heat-engine writes in Heat's ``service`` table: one row per
#: worker process, whose ``engine_id`` is the worker's (the one
#: ``resource.engine_id`` and ``stack_lock.engine_id`` name).
_ENGINES = ("SELECT engine_id, host FROM service WHERE `binary` = "
            "'heat-engine' AND deleted_at IS NULL")


class HeatEngine(object):
    """One heat-engine service: its own ``host``, workers and log."""

    def __init__(self, heat, host, log):
        self.heat = heat
        self.host = host
        self.log = log
        self.proc = None
        self._known = set()

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def engine_ids(self):
        """The engine ids of this service's live workers (service table)."""
        return set(engine_id for engine_id, host in self.heat.services()
                   if host == self.host)

    def spawn(self):
        """Start the service; :meth:`wait` waits for its workers."""
        if self.running:
            raise common.CloudError('heat-engine %s is running' % self.host)
        self._known = self.engine_ids()
        self.proc = self.heat.procs.spawn(
            'heat-engine', [common.venv_bin('heat-engine'),
                            '--config-file', self.heat.conf,
                            '--log-file', self.log],
            env=self.heat.env())

    def wait(self, timeout=90):
        """Wait until every worker has registered in the service table.

        Each worker writes its row once its RPC servers listen.
        """
        def registered():
            return len(self.engine_ids() - self._known) >= self.heat.workers
        common.wait_for(registered, self.proc, 'heat-engine %s' % self.host,
                        self.log, timeout, interval=0.3)

    def start(self):
        self.spawn()
        self.wait()

    def stop(self):
        """Stop the service cleanly: SIGTERM, its workers unregister."""
        if self.proc is not None:
            self.heat.procs.stop(self.proc)


class Heat(object):
    """heat-api and the heat-engine services, on one heat.conf."""

    name = 'heat'
    database = 'heat'
    users = ('heat',)

    def __init__(self, procs, mariadb, keystone, rabbitmq, debug=False):
        self.procs = procs
        self.mariadb = mariadb
        self.keystone = keystone
        self.rabbitmq = rabbitmq
        self.debug = debug
        self.workers = 2
        self.port = common.free_port()
        self.url = 'http://%s:%d' % (common.HOST, self.port)
        self.dir = procs.path('heat')
        self.conf = os.path.join(self.dir, 'home', '.heat', 'heat.conf')
        self.plugin_dir = None
        self.engines = [HeatEngine(self, 'minicloud',
                                   os.path.join(self.dir, 'heat-engine.log'))]

    def env(self):
        env = dict(os.environ)
        # heat-api's WSGI application reads ~/.heat/heat.conf.
        env['HOME'] = os.path.join(self.dir, 'home')
        return env

    def prepare(self):
        """heat.conf and the database schema."""
        os.makedirs(os.path.dirname(self.conf))
        # Exactly what the README tells operators: the directory printed
        # by "heat-glance-props plugin-dir" goes into plugin_dirs.
        self.plugin_dir = self.procs.run(
            [common.venv_bin('heat-glance-props'), 'plugin-dir']).strip()
        passwords = self.keystone.passwords
        with open(self.conf, 'w') as f:
            f.write(_CONF % {
                'transport_url': self.rabbitmq.transport_url,
                'plugin_dir': self.plugin_dir, 'region': common.REGION,
                'workers': self.workers,
                'domain_password': passwords['heat_domain_admin'],
                'auth_key': secrets.token_hex(16),
                'prefix': sys.prefix,
                'log': os.path.join(self.dir, 'heat.log'),
                'debug': str(self.debug).lower(),
                'db': self.mariadb.url(self.database),
                'keystone': self.keystone.url,
                'password': passwords['heat']})
            f.write(self.keystone.authtoken('heat'))
        self.procs.run([common.venv_bin('heat-manage'), '--config-file',
                        self.conf, 'db_sync'], self.env())

    def start(self):
        """heat-api and every engine side by side, once the broker is up."""
        self.rabbitmq.wait()
        for engine in self.engines:
            engine.spawn()
        api = self.procs.gunicorn('heat-api',
                                  'tests.minicloud.heat_api_wsgi:application',
                                  self.port, self.env())
        common.wait_http(self.url + '/', api,
                         self.procs.path('heat-api-gunicorn.log'), 60)
        for engine in self.engines:
            engine.wait()

    def stop(self):
        pass

    def register_in_keystone(self, ks, roles):
        # Heat's stack user domain and its admin (heat-keystone-setup-domain
        # does the same).
        domain = ks.domains.create('heat', description='Heat stacks')
        admin = ks.users.create(
            'heat_domain_admin', domain=domain,
            password=self.keystone.passwords['heat_domain_admin'])
        ks.roles.grant(roles['admin'], user=admin, domain=domain)

    def endpoints(self):
        return (('heat', 'orchestration', self.url + '/v1/%(project_id)s'),)

    def services(self):
        """``(engine_id, host)`` of every live heat-engine worker."""
        try:
            return self.mariadb.query(self.database, _ENGINES)
        except pymysql.err.Error:
            return ()
