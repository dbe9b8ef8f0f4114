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

"""A heat-engine worker killed (SIGKILL) in the middle of an image's life.

heat-engine talks to Glance through a proxy (Glance's ``internal``
endpoint in the mini-cloud, see :mod:`tests.harness.holdproxy`) that holds
one chosen request: after Glance answered it (Glance did the work, the
engine never hears of it) or before Glance sees it. While it is held, the
test finds the process that sent it (the connection's port, in
``/proc/net/tcp`` and ``/proc/<pid>/fd``), checks that it is the worker
that holds the image resource in Heat's database, and kills it with
SIGKILL. Then Heat's own recovery, as in production: the engine's master
process starts a new worker; the stack stays ``IN_PROGRESS`` (a worker
that starts resets only legacy stacks); the user's next command through
the ``openstack`` CLI starts a new traversal, whose worker finds the dead
worker's lock on the resource, asks that engine whether it is alive
(``engine_life_check_timeout``), steals the lock and marks the resource
FAILED, then does the operation. Judged by Glance's own records (its
database, every project, deleted rows too): one image, never re-created,
its data imported once, exactly the template's properties; none after a
delete.
"""

import os
import time
import uuid

import yaml

from tests.minicloud import base
from tests.minicloud import cloud as minicloud
from tests.minicloud import common

#: The path of one image.
IMAGE = r'/v2/images/[0-9a-f-]{36}'


class CrashTestCase(base.MiniCloudTestCase):

    #: Who runs the ``openstack`` CLI.
    user = minicloud.MEMBER_USER

    def openstack(self, *args, user=None, check=True):
        return super(CrashTestCase, self).openstack(
            *args, user=user or self.user, check=check)

    def openstack_json(self, *args, user=None):
        return super(CrashTestCase, self).openstack_json(
            *args, user=user or self.user)

    def setUp(self):
        super(CrashTestCase, self).setUp()
        self.proxy = self.cloud.glance_proxy
        #: Every image of the test has this name.
        self.image_name = 'crash-%s' % uuid.uuid4().hex[:12]
        self.data_name = 'crash-%s' % uuid.uuid4().hex
        self.url = self.cloud.data.add(self.data_name, size=65536)

    def template(self, props, **extra):
        """The repository's template, this test's image name and map."""
        with open(base.TEMPLATE) as f:
            tmpl = yaml.safe_load(f)
        image = tmpl['resources']['image']['properties']
        image['name'] = self.image_name
        image['properties'] = props
        image.update(extra)
        return self.write_template(tmpl)

    def update(self, name, template, wait=True, *options):
        self.openstack('stack', 'update', *(('--wait',) if wait else ()),
                       *options, '-t', template, '--parameter',
                       'image_url=%s' % self.url, name)

    def kill_at(self, method, path, start, when='response'):
        """Start an operation; kill the worker at its held request.

        :param start: starts the stack operation, returns at once with
            the stack's name.
        :returns: the stack's name.
        """
        hold = self.proxy.hold(method, path, when)
        self.addCleanup(self.proxy.cancel, hold)
        name = start()
        held = hold.wait(120)
        pid = common.connection_owner(hold.peer_port, self.proxy.port)
        self.assertIsNotNone(pid, 'no process sent %s %s' % (method, held))
        engine = dict((e.proc.pid, e) for e in self.cloud.engines.values()
                      if e.running)[os.getpgid(pid)]
        # The sender is the worker Heat's database says holds the image.
        stack_id = self.openstack_json('stack', 'show', name)['id']
        dead = self.cloud.heat.resource_holder_id(stack_id, 'image')
        self.assertIs(engine, self.cloud.heat.engine_of(dead))
        engine.kill_worker(pid, dead)
        hold.drop()
        # The new worker leaves the stack alone (Heat resets only legacy
        # stacks when a worker starts): it waits for the user.
        status = self.stack_status(name)
        self.assertTrue(status.endswith('_IN_PROGRESS'), status)
        self.assertEqual(dead,
                         self.cloud.heat.resource_holder_id(stack_id, 'image'))
        return name

    def rows(self):
        """Glance's database rows of the test's images."""
        return self.cloud.glance_service.image_rows(self.image_name)

    def assert_one_image(self, name, props, creates):
        """One image, the stack's, with its data once and ``props``.

        :param creates: the images Glance should have created in all
            since the test began.
        """
        image_id = self.physical_id(name)
        self.assertEqual([(image_id, 'active', 0)], self.rows())
        self.assertEqual(1,
                         self.cloud.glance_service.import_tasks(image_id))
        self.assertEqual(1, self.cloud.data.hits(self.data_name))
        self.assertEqual(creates, self.image_creates())
        props = dict((k, str(v)) for k, v in props.items())
        props['os_distro'] = 'ubuntu'
        self.assertEqual(props,
                         base.free_properties(self.raw_image(image_id)))
        return image_id

    def wait_gone(self, name, timeout=120):
        """Wait until Heat no longer shows the stack."""
        deadline = time.monotonic() + timeout
        while True:
            show = self.openstack('stack', 'show', name, '-f', 'value',
                                  '-c', 'stack_status', check=False)
            if show.returncode != 0:
                self.assertIn('not found', show.stderr.lower())
                return
            self.assertLess(time.monotonic(), deadline, show.stdout)
            time.sleep(1)


class EngineCrashTest(CrashTestCase):

    def test_create_killed_after_the_post_then_check_and_converge(self):
        creates = self.image_creates()
        name = self.kill_at('POST', '/v2/images', lambda: self.create_stack(
            'crash', self.template({'a': '1', 'b': '2'}), self.url,
            wait=False))
        # Glance made the image; the engine died before it heard so. The
        # stack knows the image all the same: its id was stored first.
        image_id = self.physical_id(name)
        self.assertEqual([(image_id, 'queued', 0)], self.rows())

        # The check steals the dead worker's lock and says what is left.
        self.openstack('stack', 'check', '--wait', name, check=False)
        self.assertEqual('CHECK_FAILED', self.stack_status(name))
        reason = self.openstack_json('stack', 'resource', 'show', name,
                                     'image')['resource_status_reason']
        self.assertIn('The create of image %s did not complete (the image '
                      'is queued); a stack update resumes it in place'
                      % image_id, reason)
        self.update(name, self.template({'a': '1', 'c': '3'}), True,
                    '--converge')
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(image_id, self.assert_one_image(
            name, {'a': '1', 'c': '3'}, creates + 1))

    def test_create_killed_during_the_import_then_update_waits(self):
        self.cloud.data.add(self.data_name, size=65536, mode='held')
        self.addCleanup(self.cloud.data.release, self.data_name)
        creates = self.image_creates()
        name = self.kill_at('POST', IMAGE + '/import', lambda: (
            self.create_stack('crash', self.template({'a': '1'}), self.url,
                              wait=False)))
        image_id = self.physical_id(name)
        self.assertEqual([(image_id, 'importing', 0)], self.rows())

        # The update finds Glance's import running and waits for it: the
        # data comes once the update has looked at the image twice.
        seen = len(self.proxy.requests)
        self.update(name, self.template({'a': '1', 'b': '2'}), wait=False)
        looks = ['GET', '/v2/images/%s' % image_id]
        deadline = time.monotonic() + 120
        while self.proxy.requests[seen:].count(looks) < 2:
            # Not replaced: no image created while Glance imports.
            self.assertNotIn(['POST', '/v2/images'],
                             self.proxy.requests[seen:])
            self.assertLess(time.monotonic(), deadline,
                            self.proxy.requests[seen:])
            time.sleep(0.2)
        self.assertEqual('UPDATE_IN_PROGRESS', self.stack_status(name))
        self.cloud.data.release(self.data_name)
        self.assertEqual('UPDATE_COMPLETE', self.wait_stack(name))
        self.assertEqual(image_id, self.assert_one_image(
            name, {'a': '1', 'b': '2'}, creates + 1))

    def test_update_killed_after_the_patch_then_update(self):
        name = self.create_stack('crash', self.template({'a': '1', 'b': '2'}),
                                 self.url)
        image_id = self.physical_id(name)
        creates = self.image_creates()
        new = self.template({'a': '2', 'c': '3'})
        self.kill_at('PATCH', IMAGE, lambda: self.update(name, new,
                                                         wait=False) or name)
        # Glance has the new map; Heat never heard.
        self.assertEqual({'a': '2', 'c': '3', 'os_distro': 'ubuntu'},
                         base.free_properties(self.raw_image(image_id)))

        self.update(name, new)
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(image_id, self.assert_one_image(
            name, {'a': '2', 'c': '3'}, creates))

    def test_delete_killed_then_delete(self):
        name = self.create_stack('crash', self.template({'a': '1'}),
                                 self.url)
        image_id = self.physical_id(name)
        self.kill_at('DELETE', IMAGE, lambda: self.openstack(
            'stack', 'delete', '--yes', name) and name)
        # Glance deleted the image; Heat never heard.
        self.assertEqual([(image_id, 'deleted', 1)], self.rows())

        # Not "--wait": Heat first marks the delete the dead worker left
        # "DELETE_FAILED: Stack DELETE cancelled", which the CLI's wait
        # takes for the outcome, then runs the new delete.
        self.openstack('stack', 'delete', '--yes', name)
        self.wait_gone(name)
        self.assertEqual([(image_id, 'deleted', 1)], self.rows())


class StoreCopyCrashTest(CrashTestCase):
    """Killed once Glance accepted a copy to another store.

    Copying an image to a store is an admin action in Glance's default
    policy: the admin runs the CLI.
    """

    user = 'admin'

    def test_update_killed_during_the_copy_then_rollback_and_retry(self):
        old = self.template({'a': '1'}, stores=['local'])
        new = self.template({'a': '2'}, stores=['local', 'fast'])
        glance = self.cloud.glance_service
        name = self.create_stack('crash', old, self.url)
        image_id = self.physical_id(name)
        creates = self.image_creates()
        self.kill_at('POST', IMAGE + '/import', lambda: self.update(
            name, new, wait=False) or name)
        # Glance has the new map and copies the image; Heat never heard.
        self.assertEqual('2', glance.properties(image_id)['a'])
        self.assertEqual(2, glance.import_tasks(image_id))

        # Back to the old template: once Glance's copy ended, the image
        # leaves 'fast' and has the old value again, in place.
        self.update(name, old)
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(image_id, self.physical_id(name))
        self.assertEqual(['local'], glance.stores(image_id))
        self.assertEqual('1', glance.properties(image_id)['a'])
        # And forward again: one more copy, the same image.
        self.update(name, new)
        self.assertEqual('UPDATE_COMPLETE', self.stack_status(name))
        self.assertEqual(image_id, self.physical_id(name))
        self.assertEqual(['fast', 'local'], glance.stores(image_id))
        props = glance.properties(image_id)
        self.assertEqual('2', props['a'])
        self.assertFalse(props.get('os_glance_import_task'))
        # Judged by Glance: one image, never re-created, its data
        # downloaded once and copied twice.
        self.assertEqual([(image_id, 'active', 0)], self.rows())
        self.assertEqual(creates, self.image_creates())
        self.assertEqual(3, glance.import_tasks(image_id))
        self.assertEqual(1, self.cloud.data.hits(self.data_name))
