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

"""What the mini-cloud's test modules share: one cloud, and the CLI.

The cloud (see :mod:`tests.minicloud.cloud`) starts once per test process,
for the first test that needs it, and stops when the process ends; every
test of the tier runs in one stestr worker (``group_regex`` in
``.stestr.conf``), so every module uses the same cloud. A test that stops
or kills a service puts it back (and :meth:`MiniCloudTestCase.setUp`
restarts any heat-engine left stopped). Set ``HGP_SKIP_MINICLOUD=1`` to
skip this tier on purpose.
"""

import atexit
import json
import os
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

TEMPLATE = os.path.join(minicloud.REPO_ROOT, 'heat_templates',
                        'image_properties.yaml')

#: Glance's own keys: core attributes and its bookkeeping.
GLANCE_KEYS = frozenset([
    'checksum', 'container_format', 'created_at', 'direct_url',
    'disk_format', 'file', 'id', 'locations', 'min_disk', 'min_ram', 'name',
    'os_hash_algo', 'os_hash_value', 'os_hidden', 'owner', 'protected',
    'schema', 'self', 'size', 'status', 'stores', 'tags', 'updated_at',
    'virtual_size', 'visibility',
])

_SHARED = {}


def shared_cloud():
    """The cloud of this test process, started on first use."""
    if 'error' in _SHARED:
        raise _SHARED['error']
    if 'cloud' not in _SHARED:
        cloud = minicloud.MiniCloud(glance_proxy=True)
        # The processes also die with this test process (parent-death
        # signal).
        atexit.register(cloud.destroy)
        started = time.perf_counter()
        try:
            cloud.start()
        except Exception as exc:
            # start() has stopped what it started; the next test class
            # fails at once instead of starting another cloud.
            _SHARED['error'] = exc
            raise
        # The start-up time on the test run's output (doc/minicloud.rst).
        sys.stderr.write('mini-cloud started in %.1f s (%s)\n' % (
            time.perf_counter() - started, ', '.join(
                '%s %.1f s' % item for item in cloud.timings.items())))
        _SHARED['cloud'] = cloud
    return _SHARED['cloud']


def free_properties(image):
    """The free properties in an image as Glance or the CLI shows it."""
    props = image.get('properties', image)
    return dict((k, v) for k, v in props.items()
                if k not in GLANCE_KEYS and not k.startswith('os_glance'))


def as_text(props):
    """The CLI's view of properties, with the SDK's typing undone.

    openstacksdk types some well-known keys (``hw_video_ram`` becomes an
    int, ``hw_qemu_guest_agent`` a bool) before the CLI prints them; Glance
    itself stores strings, which the raw API checks compare exactly.
    """
    return dict((k, str(v)) for k, v in props.items())


class HeldData(bytes):
    """Image data the data server sends only once :meth:`release` is called.

    The data server's handler takes ``len()`` of the data before it
    answers: Glance's web-download import (and so the stack's create)
    waits until then, at most ``timeout`` seconds.
    """

    def __new__(cls, data, timeout=120):
        self = super().__new__(cls, data)
        self._released = threading.Event()
        self._timeout = timeout
        return self

    def release(self):
        self._released.set()

    def __len__(self):
        self._released.wait(self._timeout)
        return super().__len__()


class MiniCloudTestCase(testtools.TestCase):
    """Real Keystone, Glance, heat-api, heat-engines, RabbitMQ, MariaDB."""

    cloud = None

    @classmethod
    def setUpClass(cls):
        super(MiniCloudTestCase, cls).setUpClass()
        if os.environ.get('HGP_SKIP_MINICLOUD') == '1':
            raise cls.skipException('HGP_SKIP_MINICLOUD=1')
        cls.cloud = shared_cloud()

    def setUp(self):
        super(MiniCloudTestCase, self).setUp()
        self.addOnException(self._attach_logs)
        # Every test starts with the whole cloud, whatever the one before
        # stopped.
        self.cloud.heat.start_engines()

    def _attach_logs(self, exc_info):
        logs = [engine.log for engine in self.cloud.engines.values()]
        logs.append(self.cloud.path('heat', 'heat.log'))
        for path in logs:
            if os.path.exists(path):
                with open(path, errors='replace') as f:
                    tail = f.read()[-20000:]
                self.addDetail(os.path.basename(path),
                               content.text_content(tail))

    # -- helpers --------------------------------------------------------

    def openstack(self, *args, user=minicloud.MEMBER_USER, check=True):
        proc = self.cloud.openstack(*args, user=user)
        if check:
            self.assertEqual(0, proc.returncode, 'openstack %s failed:\n%s' % (
                ' '.join(args), proc.stderr))
        return proc

    def openstack_json(self, *args, user=minicloud.MEMBER_USER):
        proc = self.openstack(*(args + ('-f', 'json')), user=user)
        return json.loads(proc.stdout)

    def write_template(self, tmpl):
        path = os.path.join(self.cloud.workdir,
                            'tmpl-%s.yaml' % uuid.uuid4().hex)
        with open(path, 'w') as f:
            yaml.safe_dump(tmpl, f)
        return path

    def create_stack(self, prefix, template, url, wait=True):
        """``openstack stack create``; deleted when the test ends."""
        name = '%s-%s' % (prefix, uuid.uuid4().hex[:8])
        self.openstack('stack', 'create', *(('--wait',) if wait else ()),
                       '-t', template, '--parameter', 'image_url=%s' % url,
                       name)
        self.addCleanup(self.openstack, 'stack', 'delete', '--yes',
                        '--wait', name, check=False)
        return name

    def assert_check_complete(self, name):
        """``openstack stack check`` finds the stack as its template says."""
        self.openstack('stack', 'check', '--wait', name)
        self.assertEqual('CHECK_COMPLETE', self.stack_status(name))

    def stack_status(self, name):
        return self.openstack_json('stack', 'show', name)['stack_status']

    def wait_stack(self, name, timeout=300):
        """Wait until the stack's operation ends; its status."""
        deadline = time.monotonic() + timeout
        while True:
            status = self.stack_status(name)
            if not status.endswith('_IN_PROGRESS'):
                return status
            if time.monotonic() > deadline:
                self.fail('stack %s still %s after %ss' % (
                    name, status, timeout))
            time.sleep(1)

    def image(self, image_id):
        return self.openstack_json('image', 'show', image_id)

    def raw_image(self, image_id):
        """The image as Glance's API returns it to the member."""
        return self.member_session().get(
            '%s/v2/images/%s' % (self.cloud.glance.url, image_id)).json()

    def assert_properties(self, expected, image_id):
        """The image's free properties are exactly ``expected``."""
        self.assertEqual(expected, free_properties(self.raw_image(image_id)))
        self.assertEqual(expected,
                         as_text(free_properties(self.image(image_id))))

    def member_session(self):
        auth = v3.Password(auth_url=self.cloud.keystone_url,
                           username=minicloud.MEMBER_USER,
                           password=self.cloud.passwords['demo'],
                           project_name=minicloud.MEMBER_PROJECT,
                           user_domain_id='default',
                           project_domain_id='default')
        return ks_session.Session(auth=auth)

    def image_creates(self):
        """How many images the cloud's Glance has created so far."""
        return sum(1 for kind, _path, status in
                   self.cloud.glance.image_events()
                   if kind == 'create' and status < 300)

    def assert_updated_in_place(self, name, image_id, creates, expected):
        """The update kept the image, judged by Glance.

        Same id, no image created since ``creates`` (Glance's own count),
        and the image's free properties are exactly ``expected``.
        """
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(image_id, self.physical_id(name))
        self.assertEqual(creates, self.image_creates())
        self.assert_properties(expected, image_id)

    def physical_id(self, name):
        return self.openstack_json('stack', 'resource', 'show', name,
                                   'image')['physical_resource_id']
