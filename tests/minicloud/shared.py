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

"""One cloud for every test class of the tier, and what their tests share.

The tier's tests run in one stestr worker (``group_regex`` in
``.stestr.conf``): the first class that asks for the cloud starts it,
the others get the same one, and it is stopped when the worker ends
(each of its processes also dies with the worker: parent-death signal).
Set ``HGP_SKIP_MINICLOUD=1`` to skip the tier on purpose.
"""

import atexit
import json
import os
import subprocess
import sys
import threading
import time
import uuid

from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
import testtools
from testtools import content
import yaml

from tests.minicloud import cloud as minicloud
from tests.minicloud import common

_STATE = {}


def cloud():
    """The tier's cloud, started the first time it is asked for."""
    if os.environ.get('HGP_SKIP_MINICLOUD') == '1':
        raise testtools.TestCase.skipException('HGP_SKIP_MINICLOUD=1')
    if 'error' in _STATE:
        raise common.CloudError('the mini-cloud failed to start: %s' %
                                _STATE['error'])
    if 'cloud' not in _STATE:
        the_cloud = minicloud.MiniCloud()
        atexit.register(the_cloud.destroy)
        started = time.perf_counter()
        try:
            the_cloud.start()
        except Exception as exc:
            _STATE['error'] = exc
            raise
        # The start-up time, on the test run's output (doc/minicloud.rst).
        sys.stderr.write('mini-cloud started in %.1f s (%s)\n' % (
            time.perf_counter() - started, ', '.join(
                '%s %.1f s' % item for item in the_cloud.timings.items())))
        _STATE['cloud'] = the_cloud
    return _STATE['cloud']


class CloudTestCase(testtools.TestCase):
    """A test of the tier: the cloud, the CLI and the member's session."""

    cloud = None
    #: Logs (relative to the cloud's state directory) a failing test
    #: attaches the end of.
    logs = ('heat/heat-engine.log', 'heat/heat.log')

    @classmethod
    def setUpClass(cls):
        super(CloudTestCase, cls).setUpClass()
        cls.cloud = cloud()

    def setUp(self):
        super(CloudTestCase, self).setUp()
        self.addOnException(self._attach_logs)

    def _attach_logs(self, exc_info):
        for name in self.logs:
            path = self.cloud.path(name)
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    tail = f.read()[-20000:]
                self.addDetail(name, content.text_content(tail))

    def openstack(self, *args, user=minicloud.MEMBER_USER, check=True):
        proc = self.cloud.openstack(*args, user=user)
        if check:
            self.assertEqual(0, proc.returncode, 'openstack %s failed:\n%s' % (
                ' '.join(args), proc.stderr))
        return proc

    def openstack_json(self, *args, user=minicloud.MEMBER_USER):
        proc = self.openstack(*(args + ('-f', 'json')), user=user)
        return json.loads(proc.stdout)

    def run_command(self, *args, user=minicloud.MEMBER_USER, env=None):
        """A console script of this virtualenv, as ``user``."""
        full_env = self.cloud.env(user)
        full_env.update(env or {})
        return subprocess.run([common.venv_bin(args[0])] + list(args[1:]),
                              env=full_env, cwd=minicloud.REPO_ROOT,
                              stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=300)

    def write_template(self, tmpl):
        path = os.path.join(self.cloud.workdir,
                            'tmpl-%s.yaml' % uuid.uuid4().hex)
        with open(path, 'w') as f:
            yaml.safe_dump(tmpl, f)
        return path

    def raw_image(self, image_id):
        """The image as Glance's API returns it to the member."""
        return self.session().get(
            '%s/v2/images/%s' % (self.cloud.glance.url, image_id)).json()

    def image_creates(self):
        """How many images the cloud's Glance has created so far."""
        return sum(1 for kind, _path, status in
                   self.cloud.glance.image_events()
                   if kind == 'create' and status < 300)

    def session(self, user=minicloud.MEMBER_USER):
        """A keystoneauth session of ``user`` (one per thread)."""
        key = (user, threading.get_ident())
        if key not in _SESSIONS:
            project = ('admin' if user == 'admin'
                       else minicloud.MEMBER_PROJECT)
            auth = v3.Password(auth_url=self.cloud.keystone_url,
                               username=user,
                               password=self.cloud.passwords[user],
                               project_name=project,
                               user_domain_id='default',
                               project_domain_id='default')
            _SESSIONS[key] = ks_session.Session(auth=auth)
        return _SESSIONS[key]


_SESSIONS = {}
