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

"""The mini-cloud's Glance: the test harness's glance-api, behind Keystone.

``glance.wsgi.api`` under gunicorn (:class:`tests.harness.glance.
GlanceServer`) on MariaDB, with keystonemiddleware's ``authtoken`` in its
paste pipeline, and web-download import from a local
:class:`tests.harness.glance.DataServer`.
"""

import json
import re
import shlex

from tests.harness import glance as harness_glance
from tests.harness import holdproxy
from tests.minicloud import common


class KeystoneGlance(harness_glance.GlanceServer):
    """The harness's Glance, with keystonemiddleware's authtoken in front."""

    def __init__(self, data_server, workdir, authtoken, db_url):
        self.authtoken = authtoken
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
            raise common.CloudError('no database connection in %s' % conf)
        with open(conf, 'w') as f:
            f.write(text + self.authtoken)
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
                    shlex.quote(common.ACCESS_LOG_FORMAT))
        return env


_IMAGES_NAMED = ("SELECT id, status, deleted FROM images WHERE name = %s "
                 "ORDER BY created_at")
_STORES_OF = ("SELECT meta_data FROM image_locations WHERE image_id = %s "
              "AND deleted = 0 AND status = 'active'")
_PROPERTIES_OF = ("SELECT name, value FROM image_properties WHERE "
                  "image_id = %s AND deleted = 0")
_TASKS_OF = ("SELECT COUNT(*) FROM tasks WHERE image_id = %s AND "
             "type = 'api_image_import'")


class Glance(common.Service):
    """The image service and the HTTP server its imports read from.

    ``api`` (the :class:`KeystoneGlance`) and ``data`` exist once
    :meth:`prepare` has run.
    """

    name = 'glance'
    database = 'glance'
    users = ('glance',)
    api = None
    data = None
    #: The proxy of the internal endpoint (see ``proxy`` in __init__).
    proxy = None

    def __init__(self, procs, mariadb, keystone, proxy=False):
        """The Glance service, with a hold proxy in front if asked.

        :param proxy: register a :class:`holdproxy.HoldProxy` to Glance
            as the ``internal`` endpoint, which heat-engine uses: fault
            tests hold a request of heat-engine's there.
        """
        super(Glance, self).__init__(procs, mariadb, keystone)
        self.with_proxy = proxy

    def prepare(self):
        """The data server, the configuration and the database schema."""
        self.data = harness_glance.DataServer()
        # The harness's Glance writes its configuration and makes its
        # schema when made.
        self.api = KeystoneGlance(self.data, self.dir,
                                  self.keystone.authtoken('glance'),
                                  self.mariadb.url(self.database))
        if self.with_proxy:
            # Made here: Keystone registers the endpoints while Glance
            # starts.
            self.proxy = holdproxy.HoldProxy(self.api.url)

    def start(self):
        self.api.start()

    def stop(self):
        if self.proxy is not None:
            self.proxy.stop()
        if self.api is not None:
            self.api.stop()
        if self.data is not None:
            self.data.stop()
            self.data = None

    # -- Glance's own records ------------------------------------------

    def image_rows(self, name):
        """``[(id, status, deleted)]`` of every image named ``name``.

        From Glance's database: every project, and deleted images too.
        """
        return [tuple(row) for row in self.mariadb.query(
            self.database, _IMAGES_NAMED, (name,))]

    def import_tasks(self, image_id):
        """How many import tasks Glance ever ran for the image."""
        return self.mariadb.query(self.database, _TASKS_OF,
                                  (image_id,))[0][0]

    def stores(self, image_id):
        """The sorted stores the image's data is in."""
        return sorted(json.loads(meta).get('store') for (meta,) in
                      self.mariadb.query(self.database, _STORES_OF,
                                         (image_id,)))

    def properties(self, image_id):
        """The image's properties (free and ``os_glance_*`` ones)."""
        return dict(tuple(row) for row in self.mariadb.query(
            self.database, _PROPERTIES_OF, (image_id,)))

    def endpoints(self):
        # heat-engine reads the internal one ([clients_glance]
        # endpoint_type in heat.conf), the CLI the public one.
        internal = self.proxy.url if self.proxy else self.api.url
        return (('glance', 'image', {'public': self.api.url,
                                     'internal': internal,
                                     'admin': self.api.url}),)
