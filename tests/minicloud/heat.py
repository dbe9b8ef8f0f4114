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
import re
import secrets
import signal
import sys

import pymysql

from tests.minicloud import common

#: The heat-engine services of the cloud (their ``host``), and how many
#: worker processes each runs (``num_engine_workers``).
ENGINE_HOSTS = ('engine-1', 'engine-2')
WORKERS_PER_ENGINE = 2

#: The plugin's remedy for the thread groups of heat-engine 25 to 27
#: (doc/source/operators-engines.rst): on, as operators of those releases
#: should run it.
PRUNE_ENGINE_THREADS = True
_PRUNE_OPTION = 'prune_finished_engine_threads = %s'

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

[clients_glance]
endpoint_type = internalURL

[oslo_messaging_notifications]
driver = noop
"""

#: Heat's ``service`` table: one row per heat-engine worker process, whose
#: ``engine_id`` is the one that ``resource.engine_id`` and
#: ``stack_lock.engine_id`` name while that worker holds them. A worker
#: that stops cleanly sets ``deleted_at``; one that is killed does not.
_WORKERS = ("SELECT engine_id, host FROM service WHERE `binary` = "
            "'heat-engine' AND deleted_at IS NULL")
_HOST_OF = "SELECT host FROM service WHERE engine_id = %s"
_ALL_OF_HOST = "SELECT engine_id FROM service WHERE host = %s"
_STACK_LOCK = "SELECT engine_id FROM stack_lock WHERE stack_id = %s"
_RESOURCE_LOCKS = ("SELECT name, engine_id FROM resource WHERE stack_id = "
                   "%s AND engine_id IS NOT NULL")


class HeatEngine(object):
    """One heat-engine service: its own ``host``, workers and log.

    The service is a master process and its forked workers, in one process
    group; each worker has an engine id of its own (:attr:`engine_ids`).
    """

    def __init__(self, heat, host):
        self.heat = heat
        self.host = host
        self.name = 'heat-%s' % host
        #: Every worker of this service logs here.
        self.log = os.path.join(heat.dir, '%s.log' % self.name)
        #: What this service reads after heat.conf: its ``host``.
        self.conf = os.path.join(heat.dir, '%s.conf' % self.name)
        self.proc = None
        #: The engine ids of the workers of the running process.
        self.engine_ids = frozenset()
        self._known = set()

    def __repr__(self):
        return '<heat-engine %s>' % self.host

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def _host_rows(self):
        return set(row[0] for row in self.heat.query(_ALL_OF_HOST,
                                                     (self.host,)))

    def spawn(self):
        """Start the service; :meth:`wait` waits for its workers."""
        if self.running:
            raise common.CloudError('%r is running' % self)
        with open(self.conf, 'w') as f:
            f.write('[DEFAULT]\nhost = %s\n' % self.host)
        self._known = self._host_rows()
        self.engine_ids = frozenset()
        self.proc = self.heat.procs.spawn(
            self.name, [common.venv_bin('heat-engine'),
                        '--config-file', self.heat.conf,
                        '--config-file', self.conf,
                        '--log-file', self.log],
            env=self.heat.env(), service='heat-engine')

    def wait(self, timeout=90):
        """Wait until every worker has registered in the service table.

        Each worker writes its row once its RPC servers listen; rows left
        by an earlier, killed process of this host do not count.
        """
        def registered():
            new = set(engine_id for engine_id, host in self.heat.workers()
                      if host == self.host) - self._known
            return len(new) >= self.heat.workers_per_engine and new
        self.engine_ids = frozenset(common.wait_for(
            registered, self.proc, repr(self), self.log, timeout,
            interval=0.3))

    def start(self):
        """Start (or restart) the service and wait for its workers."""
        self.spawn()
        self.wait()

    def stop(self):
        """Stop the service cleanly: SIGTERM, its workers unregister.

        Heat's graceful stop lets the operations it runs finish first
        (``graceful_shutdown_timeout``).
        """
        if self.proc is not None:
            self.heat.procs.stop(self.proc)

    def kill(self):
        """SIGKILL to the master and every worker, as a host dies.

        Its workers stay in the service table, and what they held
        (stack locks, ``resource.engine_id``) stays theirs until Heat
        recovers it.
        """
        if self.proc is not None:
            self.heat.procs.kill(self.proc)

    def kill_worker(self, pid, engine_id, timeout=90):
        """SIGKILL to one worker process; wait for the one that replaces it.

        heat-engine's master process starts a new worker when one dies;
        the new worker registers with a new engine id. The dead worker's
        row stays in the service table, and what it held (its
        ``resource.engine_id``) stays its own until another worker
        finds it dead and steals it.

        :param engine_id: the killed worker's engine id.
        :returns: the new worker's engine id.
        """
        if os.getpgid(pid) != self.proc.pid:
            raise common.CloudError('%d is not a worker of %r' % (pid, self))
        known = self._host_rows()
        os.kill(pid, signal.SIGKILL)

        def respawned():
            if pid in common.group_members(self.proc.pid):
                return None
            return self._host_rows() - known
        new = common.wait_for(respawned, self.proc, repr(self), self.log,
                              timeout, interval=0.3)
        self.engine_ids = (self.engine_ids - {engine_id}) | new
        (new_id,) = new
        return new_id

    def log_size(self):
        """Where the log ends now (for :meth:`log_since`)."""
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def log_since(self, offset):
        """What the service logged after ``offset``."""
        try:
            with open(self.log, 'rb') as f:
                f.seek(offset)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''


class Heat(common.Service):
    """heat-api and the heat-engine services, on one heat.conf.

    Several heat-engine services (:attr:`engines`, one per ``host``, each
    with its own workers) share the one RabbitMQ and database behind the
    one heat-api, as several engine hosts do in production: a stack
    operation goes to whichever engine worker takes the RPC message, and
    so does each resource of a convergence operation.
    """

    name = 'heat'
    database = 'heat'
    users = ('heat',)

    def __init__(self, procs, mariadb, keystone, rabbitmq, debug=False,
                 engine_hosts=ENGINE_HOSTS,
                 workers_per_engine=WORKERS_PER_ENGINE,
                 prune_engine_threads=PRUNE_ENGINE_THREADS):
        super(Heat, self).__init__(procs, mariadb, keystone)
        self.rabbitmq = rabbitmq
        #: ``[glance_properties] prune_finished_engine_threads`` in
        #: heat.conf (:meth:`set_prune_engine_threads`).
        self.prune_engine_threads = prune_engine_threads
        self.debug = debug
        self.workers_per_engine = workers_per_engine
        self.port = common.free_port()
        self.url = 'http://%s:%d' % (common.HOST, self.port)
        self.conf = os.path.join(self.dir, 'home', '.heat', 'heat.conf')
        self.plugin_dir = None
        #: The heat-engine services, by host.
        self.engines = dict((host, HeatEngine(self, host))
                            for host in engine_hosts)

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
                'workers': self.workers_per_engine,
                'domain_password': passwords['heat_domain_admin'],
                'auth_key': secrets.token_hex(16),
                'prefix': sys.prefix,
                'log': os.path.join(self.dir, 'heat.log'),
                'debug': str(self.debug).lower(),
                'db': self.mariadb.url(self.database),
                'keystone': self.keystone.url,
                'password': passwords['heat']})
            f.write(self.keystone.authtoken('heat'))
            f.write('\n[glance_properties]\n%s\n' % (
                _PRUNE_OPTION % str(self.prune_engine_threads).lower()))
        self.procs.run([common.venv_bin('heat-manage'), '--config-file',
                        self.conf, 'db_sync'], self.env())

    def start(self):
        """heat-api and every engine side by side, once the broker is up."""
        self.rabbitmq.wait()
        for engine in self.engines.values():
            engine.spawn()
        api = self.procs.gunicorn('heat-api',
                                  'tests.minicloud.heat_api_wsgi:application',
                                  self.port, self.env())
        common.wait_http(self.url + '/', api,
                         self.procs.path('heat-api-gunicorn.log'), 60)
        for engine in self.engines.values():
            engine.wait()

    def start_engines(self):
        """Start every engine that is not running, side by side."""
        stopped = [e for e in self.engines.values() if not e.running]
        for engine in stopped:
            engine.spawn()
        for engine in stopped:
            engine.wait()

    def set_prune_engine_threads(self, enabled):
        """Turn the thread group remedy on or off in heat.conf.

        Like an operator's change of heat.conf: an engine reads it when it
        (re)starts.
        """
        with open(self.conf) as f:
            text = f.read()
        text, found = re.subn('(?m)^%s$' % (_PRUNE_OPTION % r'\w+'),
                              _PRUNE_OPTION % str(enabled).lower(), text)
        if found != 1:
            raise common.CloudError('%s: no prune_finished_engine_threads'
                                    % self.conf)
        with open(self.conf, 'w') as f:
            f.write(text)
        self.prune_engine_threads = enabled

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

    # -- Heat's own records ---------------------------------------------

    def query(self, sql, args=None):
        """The rows of one statement in Heat's database."""
        return self.mariadb.query(self.database, sql, args)

    def workers(self):
        """``(engine_id, host)`` of each registered, not stopped worker.

        A killed worker stays here until Heat cleans up after it.
        """
        try:
            return self.query(_WORKERS)
        except pymysql.err.Error:
            return ()

    def engine_of(self, engine_id):
        """The :class:`HeatEngine` a worker's engine id belongs to.

        None for None, and for an engine id no service row names.
        """
        if engine_id is None:
            return None
        rows = self.query(_HOST_OF, (engine_id,))
        return self.engines.get(rows[0][0]) if rows else None

    def stack_holder(self, stack_id):
        """The engine holding the stack's lock (``stack_lock``), or None."""
        rows = self.query(_STACK_LOCK, (stack_id,))
        return self.engine_of(rows[0][0]) if rows else None

    def resource_holder_id(self, stack_id, name):
        """The engine id of the worker holding one resource, or None."""
        rows = [engine_id for res, engine_id in
                self.query(_RESOURCE_LOCKS, (stack_id,)) if res == name]
        return rows[0] if rows else None

    def resource_holders(self, stack_id):
        """``{resource name: engine}`` for each resource a worker holds.

        From ``resource.engine_id``, which the convergence engine sets
        while a worker works on the resource (IN_PROGRESS) and clears when
        the worker is done with it.
        """
        return dict((name, self.engine_of(engine_id)) for name, engine_id
                    in self.query(_RESOURCE_LOCKS, (stack_id,)))
