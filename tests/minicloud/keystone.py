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

"""The mini-cloud's Keystone, and what the other services register in it.

Keystone (from PyPI) as ``keystone.wsgi.api:application`` under gunicorn,
on MariaDB, with fernet tokens, bootstrapped with an admin. Then
:meth:`Keystone.register` adds a ``service`` project, a ``demo`` member
user and project, and for each service of the cloud
(:class:`tests.minicloud.common.Service`) its users (``users``), its
endpoints (``endpoints()``) and whatever else it asks for
(``register_in_keystone(ks, roles)``). Keystone's own endpoint is made by
``keystone-manage bootstrap``.
"""

import os

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from keystoneclient.v3 import client as ks_client

from tests.minicloud import common

MEMBER_USER = 'demo'
MEMBER_PROJECT = 'demo'

_CONF = """\
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


class Keystone(common.Service):
    """The identity service: the first to start."""

    name = 'keystone'
    database = 'keystone'

    def __init__(self, procs, mariadb, passwords):
        super(Keystone, self).__init__(procs, mariadb, self)
        #: Every Keystone user's password, by user name.
        self.passwords = passwords
        self.port = common.free_port()
        self.url = 'http://%s:%d/v3' % (common.HOST, self.port)
        self.access_log = procs.path('%s-access.log' % self.name)

    def _env(self):
        env = dict(os.environ)
        env['OS_KEYSTONE_CONFIG_DIR'] = self.dir
        return env

    def prepare(self):
        """Configuration, schema, key repositories and bootstrap."""
        os.makedirs(self.dir)
        for sub in ('fernet-keys', 'credential-keys'):
            os.makedirs(os.path.join(self.dir, sub), mode=0o700)
        conf = os.path.join(self.dir, 'keystone.conf')
        with open(conf, 'w') as f:
            f.write(_CONF % {
                'log': os.path.join(self.dir, 'keystone.log'),
                'db': self.mariadb.url(self.database),
                'fernet': os.path.join(self.dir, 'fernet-keys'),
                'credential': os.path.join(self.dir, 'credential-keys')})
        manage = [common.venv_bin('keystone-manage'), '--config-file', conf]
        env = self._env()
        user = ['--keystone-user', str(os.getuid()),
                '--keystone-group', str(os.getgid())]
        run = self.procs.run
        # Independent of each other: the schema and the two key
        # repositories.
        common.side_by_side(
            lambda: run(manage + ['db_sync'], env),
            lambda: run(manage + ['fernet_setup'] + user, env),
            lambda: run(manage + ['credential_setup'] + user, env))
        run(manage + [
            'bootstrap', '--bootstrap-password', self.passwords['admin'],
            '--bootstrap-admin-url', self.url,
            '--bootstrap-internal-url', self.url,
            '--bootstrap-public-url', self.url,
            '--bootstrap-region-id', common.REGION], env)

    def start(self):
        proc = self.procs.gunicorn(
            self.name, 'tests.minicloud.keystone_wsgi:application',
            self.port, self._env())
        common.wait_http(self.url, proc,
                         self.procs.path('keystone-gunicorn.log'), 60)

    def admin_session(self):
        auth = v3.Password(auth_url=self.url, username='admin',
                           password=self.passwords['admin'],
                           project_name='admin', user_domain_id='default',
                           project_domain_id='default')
        return ks_session.Session(auth=auth)

    def authtoken(self, user):
        """The ``[keystone_authtoken]`` section of a service's config."""
        return _AUTHTOKEN % {'keystone': self.url, 'user': user,
                             'password': self.passwords[user]}

    def register(self, services):
        """Projects, the member, every service's users and endpoints."""
        ks = ks_client.Client(session=self.admin_session(),
                              interface='public')
        roles = dict((r.name, r) for r in ks.roles.list())
        default = ks.domains.get('default')
        service_project = ks.projects.create('service', default)
        demo = ks.projects.create(MEMBER_PROJECT, default)
        member = ks.users.create(MEMBER_USER, domain=default,
                                 password=self.passwords[MEMBER_USER])
        ks.roles.grant(roles['member'], user=member, project=demo)
        for service in services:
            for name in service.users:
                user = ks.users.create(name, domain=default,
                                       password=self.passwords[name])
                for role in ('admin', 'service'):
                    if role in roles:
                        ks.roles.grant(roles[role], user=user,
                                       project=service_project)
            service.register_in_keystone(ks, roles)
            for name, kind, url in service.endpoints():
                svc = ks.services.create(name, type=kind)
                for interface in ('public', 'internal', 'admin'):
                    # One URL, or one per interface.
                    ks.endpoints.create(
                        svc, url[interface] if isinstance(url, dict) else url,
                        interface=interface, region=common.REGION)
