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

"""Base class for tests through real Heat stacks against a real Glance."""

import contextlib
import copy
import logging
import os
import urllib.error
import uuid

import fixtures
from heat.common import exception
from heat.engine.resources.openstack.glance import image as heat_image
import testtools

from tests.harness import glance
from tests.harness import heat
from tests.harness import holdproxy

TEMPLATES = os.path.join(glance.REPO_ROOT, 'heat_templates')

#: Keys Glance puts on every image (core attributes and its bookkeeping).
SYSTEM_KEYS = frozenset([
    'checksum', 'container_format', 'created_at', 'disk_format', 'file',
    'id', 'min_disk', 'min_ram', 'name', 'os_hash_algo', 'os_hash_value',
    'os_hidden', 'owner', 'protected', 'schema', 'self', 'size', 'status',
    'stores', 'tags', 'updated_at', 'virtual_size', 'visibility',
    'direct_url', 'locations',
])


def free_properties(image):
    """The free properties of an image, without Glance's own keys."""
    return dict((k, v) for k, v in dict(image).items()
                if k not in SYSTEM_KEYS and not k.startswith('os_glance'))


def image_template(resource_props=None, properties=None, resource_type=None,
                   **extra):
    """A HOT template with one image resource named ``image``."""
    props = {
        'name': 'test-image',
        'disk_format': 'raw',
        'container_format': 'bare',
        'location': {'get_param': 'image_url'},
    }
    if properties is not None:
        props['properties'] = properties
    props.update(resource_props or {})
    props.update(extra)
    return {
        'heat_template_version': '2021-04-16',
        'parameters': {'image_url': {'type': 'string'}},
        'resources': {
            'image': {
                'type': resource_type or 'OS::Glance::Image',
                'properties': props,
            },
        },
    }


def _events(server):
    """The image creates and deletes the server has seen, or None."""
    if not server.running:
        return None
    try:
        return server.image_events()
    except (urllib.error.URLError, OSError):
        return None


class FunctionalTestCase(testtools.TestCase):
    """Real Heat engine code in-process against the process's real Glance.

    Every stack operation runs under a replacement guard: a stack create
    may create one image per image resource, and a stack update, check or
    adopt may create or delete no image at all, unless the test said so
    first with :meth:`expect_images`. At the end of the test, every image
    it announced must have been created or deleted.
    """

    identity = heat.MEMBER

    #: The Glance set-up the test runs against (``glance.SHAPES``).
    shape = 'plain'

    def setUp(self):
        super(FunctionalTestCase, self).setUp()
        # Keep Heat's chatter out of the test output (still captured).
        self.logger = self.useFixture(fixtures.FakeLogger(
            level=logging.INFO, format='%(levelname)s [%(name)s] '
            '%(message)s'))
        heat.setup()
        self.data, self.glance_server = glance.shared(self.shape)
        self.ctx = heat.make_context(self.glance_server.url, self.identity)
        self.admin = heat.glance(self.glance_server.url, heat.ADMIN)
        self._expected = {'create': 0, 'delete': 0}
        heat.OBSERVERS.append(self._replacement_guard)
        self.addCleanup(heat.OBSERVERS.remove, self._replacement_guard)
        self.addCleanup(self._all_expected_images_seen)

    def use_own_glance(self, **kwargs):
        """Start a Glance of the test's own and talk to it from now on.

        :param kwargs: for :class:`glance.GlanceServer` (e.g. ``stores``).
        :returns: the server, destroyed when the test ends.
        """
        server = glance.GlanceServer(self.data, shape=self.shape, **kwargs)
        self.addCleanup(server.destroy)
        server.start()
        self.glance_server = server
        self.ctx = heat.make_context(server.url, self.identity)
        self.admin = heat.glance(server.url, heat.ADMIN)
        return server

    def use_proxy(self):
        """Heat talks to Glance through a proxy from now on.

        The proxy (:class:`tests.harness.holdproxy.HoldProxy`) can hold a
        chosen request: fault tests kill the engine there.
        """
        proxy = holdproxy.HoldProxy(self.glance_server.url)
        self.addCleanup(proxy.stop)
        self.ctx = heat.make_context(proxy.url, self.identity)
        return proxy

    def expect_images(self, created=0, deleted=0):
        """Announce images that later stack updates create or delete.

        A replacement is one of each; removing a resource from the
        template deletes one; a replacement of an image that is already
        gone from Glance creates one only.
        """
        self._expected['create'] += created
        self._expected['delete'] += deleted

    def _all_expected_images_seen(self):
        self.assertEqual({'create': 0, 'delete': 0}, self._expected,
                         'images announced with expect_images() that no '
                         'stack update created or deleted')

    @contextlib.contextmanager
    def _replacement_guard(self, operation, stk):
        server = self.glance_server
        before = _events(server)
        yield
        after = _events(server)
        if before is None or after is None or len(after) < len(before):
            # Glance was down, or restarted and forgot what it served.
            return
        seen = {'create': 0, 'delete': 0}
        for kind, path, status in after[len(before):]:
            if status < 300:
                seen[kind] += 1
        if operation == 'create':
            images = sum(1 for res in stk.resources.values()
                         if isinstance(res, heat_image.GlanceWebImage))
            self.assertLessEqual(seen['create'], images,
                                 'a stack create made more images than '
                                 'it has image resources')
            # Only images of a failed create that were discarded.
            self.assertLessEqual(seen['delete'], seen['create'])
            return
        for kind in ('create', 'delete'):
            if seen[kind] > self._expected[kind]:
                self.fail('stack %s: Glance %sd %d image(s) the test did '
                          'not expect (an image was re-created?): %s' % (
                              operation, kind, seen[kind],
                              after[len(before):]))
            self._expected[kind] -= seen[kind]

    def image_url(self, size=4096, mode=None):
        return self.data.add('img-%s' % uuid.uuid4().hex, size=size,
                             mode=mode)

    def counter(self):
        return glance.RequestCounter(self.glance_server)

    def template(self, *args, **kwargs):
        return image_template(*args, **kwargs)

    def template_file(self, name):
        return heat.load_template(os.path.join(TEMPLATES, name))

    def create_stack(self, tmpl, params=None, check=True, timeout_mins=5):
        if params is None:
            params = {'image_url': self.image_url()}
        stk = heat.create(self.ctx, copy.deepcopy(tmpl), params,
                          timeout_mins=timeout_mins)
        self.addCleanup(self._delete_stack, stk)
        if check:
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state,
                             stk.status_reason)
        return stk

    def update_stack(self, stk, tmpl, params=None, check=True,
                     disable_rollback=True, converge=False):
        if params is None:
            params = dict(stk.env.params)
        heat.update(stk, copy.deepcopy(tmpl), params,
                    disable_rollback=disable_rollback, converge=converge)
        if check:
            self.assertEqual(('UPDATE', 'COMPLETE'), stk.state,
                             stk.status_reason)
        return stk

    def _delete_stack(self, stk):
        if stk.action == stk.DELETE:
            return
        try:
            # The stored stack: a test may have worked on a reloaded copy.
            stk = heat.load_stack(stk)
        except exception.NotFound:
            return
        stk.delete()

    def image_id(self, stk, name='image'):
        return stk[name].resource_id

    def image(self, stk, name='image'):
        return self.admin.images.get(self.image_id(stk, name))

    def props(self, stk, name='image'):
        return free_properties(self.image(stk, name))

    def all_image_ids(self):
        return set(i.id for i in self.admin.images.list())

    def assert_patches(self, counter, image_id, patches, reads=None):
        """Exactly ``patches`` PATCH requests and nothing else but reads.

        :param reads: how many GETs of the image to expect (a patch that
            removes keys reads the image first); any number if None.
        """
        path = '/v2/images/%s' % image_id
        seen = [r for r in counter.since()
                if not r[1].startswith('/v2/schemas/')]
        self.assertEqual(patches, seen.count(['PATCH', path]), seen)
        self.assertEqual([], [r for r in seen
                              if r not in (['PATCH', path], ['GET', path])])
        if reads is not None:
            self.assertEqual(reads, seen.count(['GET', path]), seen)
