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

"""A small OpenStack cloud on 127.0.0.1: Keystone, Glance, Heat, RabbitMQ.

Everything runs from this virtualenv (and RabbitMQ and MariaDB from the
operating system's packages) as child processes, with its state in one
temporary directory:

- MariaDB (``mariadbd`` from Debian's ``mariadb-server`` package): a
  private instance with its own data directory, made by
  ``mariadb-install-db``, listening on 127.0.0.1 (and a unix socket in the
  state directory), with one database and one user for each of Keystone,
  Glance and Heat, connected to with PyMySQL as operators do;
- RabbitMQ (``rabbitmq-server`` from Debian's package) with its own epmd,
  every listener on 127.0.0.1;
- Keystone (from PyPI) as ``keystone.wsgi.api:application`` under
  gunicorn, MariaDB, fernet tokens, bootstrapped with an admin, a ``demo``
  member user and project, the ``glance`` and ``heat`` service users and
  Heat's stack user domain;
- Glance (``glance.wsgi.api``) under gunicorn with keystonemiddleware's
  ``authtoken`` in its pipeline, web-download import from a local
  :class:`tests.harness.glance.DataServer`;
- heat-api (``heat.wsgi.api:application``) under gunicorn and heat-engine
  (the console script, convergence on, two workers) talking over RabbitMQ,
  with the plugin loaded through ``plugin_dirs`` = the output of
  ``heat-glance-props plugin-dir``, as the README tells operators.

``python -m tests.minicloud.cloud`` starts it, prints the environment for
the ``openstack`` command and stops everything on Ctrl-C.
"""

import argparse
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as ks_client
import kombu
import pymysql

from tests.harness import glance as harness_glance

VENV_BIN = os.path.dirname(sys.executable)
REPO_ROOT = harness_glance.REPO_ROOT
HOST = '127.0.0.1'
REGION = 'RegionOne'

#: Where Debian's rabbitmq-server package puts the real start script (the
#: one in /usr/sbin switches to the rabbitmq user and its own directories).
RABBITMQ_SERVER = os.environ.get('HGP_RABBITMQ_SERVER',
                                 '/usr/lib/rabbitmq/bin/rabbitmq-server')
EPMD = shutil.which('epmd') or '/usr/bin/epmd'

#: MariaDB's server and the script that makes a data directory (Debian's
#: mariadb-server package).
MARIADBD = os.environ.get('HGP_MARIADBD', '/usr/sbin/mariadbd')
MARIADB_INSTALL_DB = os.environ.get('HGP_MARIADB_INSTALL_DB',
                                    '/usr/bin/mariadb-install-db')

#: Server options of the private MariaDB: small, and durable only as far
#: as a test needs (a crash loses the last second of commits, which no
#: test survives anyway). Each transaction still commits, locks and
#: isolates as on a production server.
_MARIADB_OPTIONS = (
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=128M',
    '--innodb-log-file-size=16M',
    '--innodb-doublewrite=0',
    '--innodb-flush-log-at-trx-commit=0',
    '--performance-schema=0',
    # Per-user statistics (information_schema.USER_STATISTICS): each
    # service has its own user, so the benchmarks see each one's share.
    '--userstat=1',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
)

#: The databases of the cloud, one user each.
DATABASES = ('keystone', 'glance', 'heat')

#: Each gunicorn (Keystone, Glance, heat-api) writes one line per request
#: served: method, path, status and seconds taken (see access_log()).
ACCESS_LOG_FORMAT = '%(m)s %(U)s %(s)s %(L)s'

MEMBER_USER = 'demo'
MEMBER_PROJECT = 'demo'


class CloudError(Exception):
    pass


def _bin(name):
    return os.path.join(VENV_BIN, name)


def rabbitmq_available():
    return os.access(RABBITMQ_SERVER, os.X_OK) and os.access(EPMD, os.X_OK)


def mariadb_available():
    return (os.access(MARIADBD, os.X_OK) and
            os.access(MARIADB_INSTALL_DB, os.X_OK))


def _wait_http(url, proc, log, timeout, ok=(200, 300)):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CloudError('%s exited with %s; see %s' % (
                proc.args[0], proc.returncode, log))
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                if resp.status in ok:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code in ok:
                return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise CloudError('%s did not answer within %ss; see %s' % (
        url, timeout, log))


class KeystoneGlance(harness_glance.GlanceServer):
    """The harness's Glance, with keystonemiddleware's authtoken in front."""

    def __init__(self, data_server, workdir, keystone_url, password,
                 db_url):
        self.keystone_url = keystone_url
        self.password = password
        self.db_url = db_url
        super(KeystoneGlance, self).__init__(data_server, workdir=workdir)

    def _write_config(self):
        super(KeystoneGlance, self)._write_config()
        conf = self._path('glance-api.conf')
        with open(conf) as f:
            text = f.read()
        text, found = re.subn(r'(?m)^connection = sqlite:.*$',
                              'connection = %s' % self.db_url, text)
        if found != 1:
            raise CloudError('no database connection in %s' % conf)
        with open(conf, 'w') as f:
            f.write(text)
        paste = self._path('glance-api-paste.ini')
        with open(paste) as f:
            text = f.read()
        text = text.replace(' osprofiler context', ' osprofiler authtoken '
                            'context')
        text += ('\n[filter:authtoken]\n'
                 'paste.filter_factory = '
                 'keystonemiddleware.auth_token:filter_factory\n'
                 'delay_auth_decision = true\n')
        with open(paste, 'w') as f:
            f.write(text)
        with open(self._path('glance-api.conf'), 'a') as f:
            f.write(_AUTHTOKEN % {'keystone': self.keystone_url,
                                  'user': 'glance',
                                  'password': self.password})

    @property
    def access_log(self):
        return self._path('access.log')

    @property
    def pid(self):
        """The gunicorn master's pid (it leads a session of its own)."""
        return self._proc.pid if self.running else None

    def _env(self):
        env = super(KeystoneGlance, self)._env()
        # The harness starts gunicorn; its access log is asked for here.
        env['GUNICORN_CMD_ARGS'] = '--access-logfile %s --access-logformat ' \
            '%s' % (shlex.quote(self.access_log),
                    shlex.quote(ACCESS_LOG_FORMAT))
        return env


_AUTHTOKEN = """
[keystone_authtoken]
www_authenticate_uri = %(keystone)s
auth_url = %(keystone)s
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = %(user)s
password = %(password)s
"""

_KEYSTONE_CONF = """\
[DEFAULT]
log_file = %(log)s
use_stderr = false

[database]
connection = %(db)s

[fernet_tokens]
key_repository = %(fernet)s

[fernet_receipts]
key_repository = %(fernet)s

[credential]
key_repository = %(credential)s

[token]
provider = fernet
"""

_HEAT_CONF = """\
[DEFAULT]
transport_url = rabbit://guest:guest@%(host)s:%(amqp_port)d/
plugin_dirs = %(plugin_dir)s
convergence_engine = true
num_engine_workers = 2
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

[keystone_authtoken]
www_authenticate_uri = %(keystone)s
auth_url = %(keystone)s
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = heat
password = %(password)s

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


class MiniCloud(object):
    """Start, describe and stop the local cloud."""

    def __init__(self, workdir=None, debug=False):
        self._own_dir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix='minicloud-')
        self.debug = debug
        self.procs = []
        self.ports = dict((name, harness_glance.free_port()) for name in (
            'epmd', 'amqp', 'dist', 'keystone', 'heat', 'mariadb'))
        self.keystone_url = 'http://%s:%d/v3' % (HOST, self.ports['keystone'])
        self.heat_url = 'http://%s:%d' % (HOST, self.ports['heat'])
        self.passwords = dict((name, secrets.token_hex(12)) for name in (
            'admin', 'demo', 'glance', 'heat', 'heat_domain_admin'))
        self.db_passwords = dict((name, secrets.token_hex(12))
                                 for name in DATABASES)
        self.data = None
        self.glance = None
        self.plugin_dir = None

    # -- helpers --------------------------------------------------------

    def path(self, *parts):
        return os.path.join(self.workdir, *parts)

    def _spawn(self, name, cmd, env=None, cwd=None):
        log = open(self.path('%s.out' % name), 'ab')
        try:
            proc = subprocess.Popen(
                cmd, env=env, cwd=cwd or self.workdir,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=harness_glance._die_with_parent,
                start_new_session=True)
        finally:
            log.close()
        self.procs.append((name, proc))
        return proc

    def _run(self, cmd, env=None, timeout=300):
        proc = subprocess.run(cmd, env=env, cwd=self.workdir,
                              stdin=subprocess.DEVNULL,
                              capture_output=True, text=True,
                              timeout=timeout)
        if proc.returncode:
            raise CloudError('%s failed (%s): %s' % (
                ' '.join(cmd[:3]), proc.returncode, proc.stderr[-2000:]))
        return proc.stdout

    @staticmethod
    def _side_by_side(*steps):
        """Run independent start-up steps in threads; re-raise a failure.

        Only for commands that end: the parent-death signal of a child
        fires when the thread that started it ends, so services are
        started from the main thread.
        """
        errors = []

        def run(step):
            try:
                step()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(step,), daemon=True)
                   for step in steps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
            if thread.is_alive():
                errors.append(CloudError('a start-up step took over 600 s'))
        if errors:
            raise errors[0]

    def _gunicorn(self, name, app, port, env, threads=4):
        return self._spawn(name, [
            sys.executable, '-m', 'gunicorn',
            '--bind', '%s:%d' % (HOST, port),
            '--workers', '1', '--worker-class', 'gthread',
            '--threads', str(threads), '--timeout', '300',
            '--graceful-timeout', '5',
            # As the harness's Glance: no keep-alive, so that no client
            # reuses a connection gunicorn is closing ("Connection reset
            # by peer" under load).
            '--keep-alive', '0',
            '--pythonpath', REPO_ROOT,
            '--error-logfile', self.path('%s-gunicorn.log' % name),
            '--access-logfile', self.path('%s-access.log' % name),
            '--access-logformat', ACCESS_LOG_FORMAT,
            '--log-level', 'warning', app], env=env)

    # -- RabbitMQ -------------------------------------------------------

    def _spawn_rabbitmq(self):
        if not rabbitmq_available():
            raise CloudError(
                'RabbitMQ is not installed (%s); run '
                'tools/setup-system.sh as root' % RABBITMQ_SERVER)
        base = self.path('rabbitmq')
        for sub in ('home', 'mnesia', 'log'):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        with open(os.path.join(base, 'enabled_plugins'), 'w') as f:
            f.write('[].\n')
        env = dict(os.environ)
        env.update({
            'HOME': os.path.join(base, 'home'),
            'ERL_EPMD_ADDRESS': HOST,
            'ERL_EPMD_PORT': str(self.ports['epmd']),
            'RABBITMQ_NODENAME': 'hgp%d@localhost' % self.ports['amqp'],
            'RABBITMQ_NODE_IP_ADDRESS': HOST,
            'RABBITMQ_NODE_PORT': str(self.ports['amqp']),
            'RABBITMQ_DIST_PORT': str(self.ports['dist']),
            'RABBITMQ_MNESIA_BASE': os.path.join(base, 'mnesia'),
            'RABBITMQ_LOG_BASE': os.path.join(base, 'log'),
            'RABBITMQ_LOGS': os.path.join(base, 'log', 'rabbit.log'),
            'RABBITMQ_ENABLED_PLUGINS_FILE':
                os.path.join(base, 'enabled_plugins'),
            'RABBITMQ_CONFIG_FILE': os.path.join(base, 'rabbitmq'),
            'RABBITMQ_ADVANCED_CONFIG_FILE':
                os.path.join(base, 'advanced.config'),
            'RABBITMQ_CONF_ENV_FILE': os.path.join(base, 'rabbitmq-env.conf'),
            'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS':
                '-kernel inet_dist_use_interface {127,0,0,1}',
        })
        # Our own epmd, in the foreground, on loopback: the one Erlang
        # would start by itself is a daemon that outlives the broker.
        self._spawn('epmd', [EPMD, '-address', HOST,
                             '-port', str(self.ports['epmd'])], env=env)
        time.sleep(0.2)
        return self._spawn('rabbitmq', [RABBITMQ_SERVER], env=env)

    def _wait_rabbitmq(self, proc):
        url = 'amqp://guest:guest@%s:%d//' % (HOST, self.ports['amqp'])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CloudError('rabbitmq-server exited with %s; see %s' % (
                    proc.returncode, self.path('rabbitmq.out')))
            try:
                with kombu.Connection(url, connect_timeout=2) as conn:
                    conn.connect()
                    return
            except Exception:
                time.sleep(0.3)
        raise CloudError('RabbitMQ did not accept connections; see %s' %
                         self.path('rabbitmq', 'log'))

    # -- MariaDB --------------------------------------------------------

    def _mariadb_user(self):
        # mariadbd refuses to run as root unless told to.
        return ['--user=root'] if os.geteuid() == 0 else []

    def _start_mariadb(self):
        if not mariadb_available():
            raise CloudError(
                'MariaDB is not installed (%s); run '
                'tools/setup-system.sh as root' % MARIADBD)
        base = self.path('mariadb')
        datadir = os.path.join(base, 'data')
        os.makedirs(base)
        # --no-defaults first: nothing from the system's my.cnf (its data
        # directory, socket and port are the packaged service's).
        self._run([MARIADB_INSTALL_DB, '--no-defaults',
                   '--datadir=%s' % datadir,
                   '--auth-root-authentication-method=normal',
                   '--skip-test-db'] + self._mariadb_user() +
                  list(_MARIADB_OPTIONS))
        self.mariadb_socket = os.path.join(base, 'mysqld.sock')
        proc = self._spawn('mariadb', [
            MARIADBD, '--no-defaults', '--datadir=%s' % datadir,
            '--bind-address=%s' % HOST, '--port=%d' % self.ports['mariadb'],
            '--socket=%s' % self.mariadb_socket,
            '--pid-file=%s' % os.path.join(base, 'mariadbd.pid'),
            '--log-error=%s' % os.path.join(base, 'error.log'),
            '--max-connections=500'] + self._mariadb_user() +
            list(_MARIADB_OPTIONS))
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise CloudError('mariadbd exited with %s; see %s' % (
                    proc.returncode, os.path.join(base, 'error.log')))
            try:
                db = self._db_connect(user='root', password='')
                break
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    raise CloudError('MariaDB did not accept connections; '
                                     'see %s' % os.path.join(base,
                                                             'error.log'))
                time.sleep(0.1)
        try:
            with db.cursor() as cur:
                for name in DATABASES:
                    cur.execute('CREATE DATABASE %s CHARACTER SET utf8mb4'
                                % name)
                    cur.execute("CREATE USER '%s'@'%s' IDENTIFIED BY %%s"
                                % (name, HOST), (self.db_passwords[name],))
                    cur.execute("GRANT ALL PRIVILEGES ON %s.* TO '%s'@'%s'"
                                % (name, name, HOST))
        finally:
            db.close()

    def _db_connect(self, user, password, database=None):
        return pymysql.connect(host=HOST, port=self.ports['mariadb'],
                               user=user, password=password,
                               database=database, connect_timeout=5,
                               autocommit=True)

    def db_url(self, name):
        """The SQLAlchemy URL of one service's database."""
        return 'mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8mb4' % (
            name, self.db_passwords[name], HOST, self.ports['mariadb'],
            name)

    # -- Keystone -------------------------------------------------------

    def _keystone_env(self):
        env = dict(os.environ)
        env['OS_KEYSTONE_CONFIG_DIR'] = self.path('keystone')
        return env

    def _prepare_keystone(self):
        kdir = self.path('keystone')
        os.makedirs(kdir)
        for sub in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(kdir, sub), mode=0o700)
        conf = os.path.join(kdir, 'keystone.conf')
        with open(conf, 'w') as f:
            f.write(_KEYSTONE_CONF % {
                'log': os.path.join(kdir, 'keystone.log'),
                'db': self.db_url('keystone'),
                'fernet': os.path.join(kdir, 'fernet-keys'),
                'credential': os.path.join(kdir, 'credential-keys')})
        manage = [_bin('keystone-manage'), '--config-file', conf]
        env = self._keystone_env()
        user = ['--keystone-user', str(os.getuid()),
                '--keystone-group', str(os.getgid())]
        # Independent of each other: the schema and the two key
        # repositories.
        self._side_by_side(
            lambda: self._run(manage + ['db_sync'], env),
            lambda: self._run(manage + ['fernet_setup'] + user, env),
            lambda: self._run(manage + ['credential_setup'] + user, env))
        self._run(manage + [
            'bootstrap', '--bootstrap-password', self.passwords['admin'],
            '--bootstrap-admin-url', self.keystone_url,
            '--bootstrap-internal-url', self.keystone_url,
            '--bootstrap-public-url', self.keystone_url,
            '--bootstrap-region-id', REGION], env)

    def _start_keystone(self):
        env = self._keystone_env()
        proc = self._gunicorn('keystone',
                              'tests.minicloud.keystone_wsgi:application',
                              self.ports['keystone'], env)
        _wait_http(self.keystone_url, proc, self.path('keystone-gunicorn.log'),
                   60)

    def admin_session(self):
        auth = v3.Password(auth_url=self.keystone_url, username='admin',
                           password=self.passwords['admin'],
                           project_name='admin', user_domain_id='default',
                           project_domain_id='default')
        return ks_session.Session(auth=auth)

    def _populate_keystone(self):
        ks = ks_client.Client(session=self.admin_session(),
                              interface='public')
        roles = dict((r.name, r) for r in ks.roles.list())
        default = ks.domains.get('default')
        service = ks.projects.create('service', default)
        demo = ks.projects.create(MEMBER_PROJECT, default)
        for name in ('glance', 'heat'):
            user = ks.users.create(name, domain=default,
                                   password=self.passwords[name])
            for role in ('admin', 'service'):
                if role in roles:
                    ks.roles.grant(roles[role], user=user, project=service)
        member = ks.users.create(MEMBER_USER, domain=default,
                                 password=self.passwords['demo'])
        ks.roles.grant(roles['member'], user=member, project=demo)
        # Heat's stack user domain and its admin (heat-keystone-setup-domain
        # does the same).
        heat_domain = ks.domains.create('heat', description='Heat stacks')
        domain_admin = ks.users.create(
            'heat_domain_admin', domain=heat_domain,
            password=self.passwords['heat_domain_admin'])
        ks.roles.grant(roles['admin'], user=domain_admin, domain=heat_domain)
        catalog = (
            ('glance', 'image', self.glance.url),
            ('heat', 'orchestration',
             self.heat_url + '/v1/%(project_id)s'),
        )
        for name, kind, url in catalog:
            svc = ks.services.create(name, type=kind)
            for interface in ('public', 'internal', 'admin'):
                ks.endpoints.create(svc, url, interface=interface,
                                    region=REGION)

    # -- Glance ---------------------------------------------------------

    def _prepare_glance(self):
        self.data = harness_glance.DataServer()
        gdir = self.path('glance')
        os.makedirs(gdir)
        # Writes the configuration and makes the database schema.
        self.glance = KeystoneGlance(self.data, gdir, self.keystone_url,
                                     self.passwords['glance'],
                                     self.db_url('glance'))

    # -- Heat -----------------------------------------------------------

    def _heat_env(self):
        env = dict(os.environ)
        # heat-api's WSGI application reads ~/.heat/heat.conf.
        env['HOME'] = self.path('heat', 'home')
        return env

    def _prepare_heat(self):
        hdir = self.path('heat')
        os.makedirs(os.path.join(hdir, 'home', '.heat'))
        # Exactly what the README tells operators: the directory printed
        # by "heat-glance-props plugin-dir" goes into plugin_dirs.
        self.plugin_dir = self._run(
            [_bin('heat-glance-props'), 'plugin-dir']).strip()
        conf = os.path.join(hdir, 'home', '.heat', 'heat.conf')
        with open(conf, 'w') as f:
            f.write(_HEAT_CONF % {
                'host': HOST, 'amqp_port': self.ports['amqp'],
                'plugin_dir': self.plugin_dir, 'region': REGION,
                'domain_password': self.passwords['heat_domain_admin'],
                'auth_key': secrets.token_hex(16),
                'prefix': sys.prefix, 'log': os.path.join(hdir, 'heat.log'),
                'debug': str(self.debug).lower(),
                'db': self.db_url('heat'),
                'keystone': self.keystone_url,
                'password': self.passwords['heat']})
        self.heat_conf = conf
        env = self._heat_env()
        self._run([_bin('heat-manage'), '--config-file', conf, 'db_sync'],
                  env)

    def _start_heat(self):
        hdir = self.path('heat')
        conf = self.heat_conf
        env = self._heat_env()
        engine = self._spawn('heat-engine', [
            _bin('heat-engine'), '--config-file', conf,
            '--log-file', os.path.join(hdir, 'heat-engine.log')], env=env)
        api = self._gunicorn('heat-api',
                             'tests.minicloud.heat_api_wsgi:application',
                             self.ports['heat'], env)
        _wait_http(self.heat_url + '/', api,
                   self.path('heat-api-gunicorn.log'), 60, ok=(200, 300))
        # Both engine workers register in the service table once their
        # RPC servers listen.
        deadline = time.monotonic() + 90
        while self.engine_workers() < 2:
            if engine.poll() is not None:
                raise CloudError('heat-engine exited with %s; see %s' % (
                    engine.returncode, self.engine_log))
            if time.monotonic() > deadline:
                raise CloudError('heat-engine workers did not start; see %s'
                                 % self.engine_log)
            time.sleep(0.3)

    def access_log(self, service):
        """The access log of ``keystone``, ``glance`` or ``heat-api``."""
        if service == 'glance':
            return self.glance.access_log
        return self.path('%s-access.log' % service)

    @property
    def engine_log(self):
        return self.path('heat', 'heat-engine.log')

    def engine_workers(self):
        try:
            db = self._db_connect('heat', self.db_passwords['heat'], 'heat')
            try:
                with db.cursor() as cur:
                    cur.execute(
                        "SELECT COUNT(*) FROM service WHERE deleted_at IS "
                        "NULL AND `binary` = 'heat-engine'")
                    return cur.fetchone()[0]
            finally:
                db.close()
        except pymysql.err.Error:
            return 0

    # -- the whole cloud ------------------------------------------------

    def start(self):
        try:
            # The broker (Erlang) starts slowly: MariaDB starts meanwhile.
            rabbitmq = self._spawn_rabbitmq()
            self._start_mariadb()
            # Each service's database schema is its own: Keystone, Glance
            # and Heat's databases are made side by side.
            self._side_by_side(self._prepare_keystone, self._prepare_glance,
                               self._prepare_heat)
            self._start_keystone()
            self.glance.start()
            self._wait_rabbitmq(rabbitmq)
            self._populate_keystone()
            self._start_heat()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stop every process (in reverse order); keeps the state dir."""
        if self.glance is not None:
            self.glance.stop()
        while self.procs:
            name, proc = self.procs.pop()
            _stop(proc)
        if self.data is not None:
            self.data.stop()
            self.data = None

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
        return subprocess.run([_bin('openstack')] + list(args),
                              env=self.env(user), cwd=REPO_ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)


def _stop(proc):
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


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
        for key, value in sorted(cloud.env().items()):
            if key.startswith('OS_'):
                print('export %s=%s' % (key, value))
        url = cloud.data.add('sample.img', size=1 << 20)
        print('# image data for image_url (1 MiB): %s' % url)
        print('# e.g. openstack stack create --wait -t '
              'heat_templates/image_properties.yaml --parameter '
              'image_url=%s demo' % url)
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
