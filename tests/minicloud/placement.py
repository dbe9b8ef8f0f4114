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

"""The mini-cloud's Placement: where nova-compute records its resources.

``placement.wsgi.api:application`` (openstack-placement from PyPI) under
gunicorn, behind keystonemiddleware, on MariaDB; ``placement-manage db
sync`` makes the schema. nova-compute reports the fake host's inventory
to it and nova-scheduler asks it for candidates.
"""

import os

from tests.minicloud import common

_CONF = """\
[DEFAULT]
log_file = %(log)s
use_stderr = false

[api]
auth_strategy = keystone

[placement_database]
connection = %(db)s
"""


class Placement(common.Service):
    """placement-api; :meth:`start` spawns it, :meth:`wait` waits."""

    name = 'placement'
    database = 'placement'
    users = ('placement',)

    def __init__(self, procs, mariadb, keystone):
        super(Placement, self).__init__(procs, mariadb, keystone)
        self.port = common.free_port()
        self.url = 'http://%s:%d' % (common.HOST, self.port)
        self._proc = None

    def _env(self):
        env = dict(os.environ)
        env['OS_PLACEMENT_CONFIG_DIR'] = self.dir
        return env

    def prepare(self):
        """placement.conf and the database schema."""
        os.makedirs(self.dir)
        conf = os.path.join(self.dir, 'placement.conf')
        with open(conf, 'w') as f:
            f.write(_CONF % {'log': os.path.join(self.dir, 'placement.log'),
                             'db': self.mariadb.url(self.database)})
            f.write(self.keystone.authtoken('placement'))
        self.procs.run([common.venv_bin('placement-manage'),
                        '--config-file', conf, 'db', 'sync'], self._env())

    def start(self):
        """Start the API; :meth:`wait` waits for it."""
        self._proc = self.procs.gunicorn(
            self.name, 'placement.wsgi.api:application', self.port,
            self._env())

    def wait(self):
        # The root answers without a token (the version document).
        common.wait_http(self.url + '/', self._proc,
                         self.procs.path('placement-gunicorn.log'), 60)

    def endpoints(self):
        return (('placement', 'placement', self.url),)
