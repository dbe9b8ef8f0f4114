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

"""A heat-engine that dies during a create, an update or a delete.

Heat's engine code runs in-process against the real Glance; Heat talks to
Glance through a proxy (``tests/harness/holdproxy.py``) that holds one
chosen request, before Glance sees it or after Glance answered it. There
the engine dies: :class:`tests.harness.heat.EngineKilled` is raised in
the thread that runs Heat (a thread cannot be SIGKILLed; the mini-cloud's
fault tests kill real heat-engine processes at the same points). Then
Heat's own recovery (``Stack.reset_stack_and_resources_in_progress``, what
a heat-engine that starts does with a dead engine's stacks) and the
user's next command. Judged by Glance: the images it created and deleted
(the replacement guard of ``base.FunctionalTestCase``), the import tasks
it ran, the images with the test's name (all projects, as admin), and the
properties.
"""

import threading
import uuid

from glanceclient import exc as glance_exc

from tests.functional import base
from tests.harness import heat

#: The path of one image (the create's first GET, a PATCH, a DELETE).
IMAGE = r'/v2/images/[0-9a-f-]{36}'


class CrashTestCase(base.FunctionalTestCase):

    def setUp(self):
        super(CrashTestCase, self).setUp()
        self.proxy = self.use_proxy()
        #: Every image of the test has this name.
        self.name = 'crash-%s' % uuid.uuid4().hex[:12]
        self.data_name = 'img-%s' % uuid.uuid4().hex
        self.url = self.data.add(self.data_name, size=8192)

    def tmpl(self, properties, **extra):
        return self.template(properties=properties, name=self.name, **extra)

    def kill_at(self, method, path, when='request', after=None):
        """The engine dies at the next such request (see holdproxy)."""
        hold = self.proxy.hold(method, path, when,
                               on_hold=heat.killer(after))
        self.addCleanup(self.proxy.cancel, hold)
        return hold

    def create_killed(self, tmpl):
        stk = heat.create_killed(self.ctx, tmpl, {'image_url': self.url})
        self.addCleanup(self._delete_stack, stk)
        return stk

    # -- Glance's records ---------------------------------------------

    def images_named(self):
        """The test's images in Glance, in every project (as admin)."""
        return [dict(i) for i in self.admin.images.list(
            filters={'name': self.name})]

    def import_tasks(self, image_id):
        resp, body = self.admin.http_client.get(
            '/v2/images/%s/tasks' % image_id)
        return body['tasks']

    def find(self, image_id):
        try:
            return dict(self.admin.images.get(image_id))
        except glance_exc.HTTPNotFound:
            return None

    def assert_one_image(self, stk, props, imports=1, downloads=None):
        """One image, the stack's, active, with exactly ``props``.

        Glance ran ``imports`` import task(s) for it, and the data was
        downloaded ``downloads`` time(s) in all (default: ``imports``).
        """
        image_id = self.image_id(stk)
        self.assertEqual([image_id], [i['id'] for i in self.images_named()])
        image = self.find(image_id)
        self.assertEqual('active', image['status'])
        self.assertEqual(props, base.free_properties(image))
        self.assertEqual(imports, len(self.import_tasks(image_id)))
        self.assertEqual(imports if downloads is None else downloads,
                         self.data.hits(self.data_name))

    def wait_settled(self, image_id):
        def settled():
            image = self.find(image_id)
            return (image['status'] == 'active' and
                    not image.get('os_glance_import_task'))
        self.assertTrue(heat.wait_for(settled), self.find(image_id))


class CreateCrashTest(CrashTestCase):

    def test_killed_before_the_post_then_update_creates_the_stored_id(self):
        hold = self.kill_at('POST', '/v2/images')
        stk = self.create_killed(self.tmpl({'a': '1'}))
        # The id was stored before Glance heard of the image.
        image_id = self.image_id(stk)
        self.assertIsNotNone(image_id)
        self.assertIsNotNone(hold.path)
        self.assertEqual([], self.images_named())

        stk = heat.recover(stk)
        self.assertEqual(('CREATE', 'FAILED'), stk['image'].state)
        # The update creates the image now, with the stored id.
        self.expect_images(created=1)
        self.update_stack(stk, self.tmpl({'a': '1', 'b': '2'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1', 'b': '2'})
        # Done: the next update has nothing to do.
        counter = self.counter()
        self.update_stack(stk, self.tmpl({'a': '1', 'b': '2'}))
        self.assertEqual(0, counter.count('PATCH') + counter.count('POST'))

    def test_killed_before_the_post_then_delete(self):
        self.kill_at('POST', '/v2/images')
        stk = heat.recover(self.create_killed(self.tmpl({'a': '1'})))
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state, stk.status_reason)
        self.assertEqual([], self.images_named())

    def test_killed_after_the_post_then_check_and_converge(self):
        hold = self.kill_at('POST', '/v2/images', when='response')
        stk = self.create_killed(self.tmpl({'a': '1'}))
        self.assertEqual(201, hold.status)
        image_id = self.image_id(stk)
        # Glance made the image, the engine never learned it: the stack
        # knows it all the same.
        self.assertEqual('queued', self.find(image_id)['status'])
        self.assertEqual([], self.import_tasks(image_id))

        stk = heat.recover(stk)
        heat.check(stk)
        self.assertEqual(('CHECK', 'FAILED'), stk.state)
        self.assertIn('The create of image %s did not complete (the image '
                      'is queued); a stack update resumes it in place'
                      % image_id, stk.status_reason)
        # "stack update --existing --converge": the import starts, once;
        # no image is created.
        self.update_stack(stk, self.tmpl({'a': '1'}), converge=True)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1'})
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)

    def test_killed_after_the_post_then_delete(self):
        self.kill_at('POST', '/v2/images', when='response')
        stk = heat.recover(self.create_killed(self.tmpl({'a': '1'})))
        self.assertEqual(1, len(self.images_named()))
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state, stk.status_reason)
        self.assertEqual([], self.images_named())

    def test_killed_after_the_post_with_the_templates_own_id(self):
        own = str(uuid.uuid4())
        self.kill_at('POST', '/v2/images', when='response')
        stk = heat.recover(self.create_killed(self.tmpl({'a': '1'},
                                                        id=own)))
        self.assertEqual(own, self.image_id(stk))
        self.update_stack(stk, self.tmpl({'a': '2'}, id=own))
        self.assertEqual(own, self.image_id(stk))
        self.assert_one_image(stk, {'a': '2'})

    def test_killed_during_the_import_then_update_waits_for_it(self):
        self.url = self.data.add(self.data_name, size=8192, mode='held')
        self.addCleanup(self.data.release, self.data_name)
        # The create's first look at the image: the import runs.
        self.kill_at('GET', IMAGE)
        stk = self.create_killed(self.tmpl({'a': '1', 'b': '2'}))
        image_id = self.image_id(stk)
        image = self.find(image_id)
        self.assertTrue(image.get('os_glance_import_task'), image)
        stk = heat.recover(stk)

        # The update waits for Glance's import (no second import, no new
        # image), then patches the live image. The data comes once the
        # update has looked at the image twice.
        seen = len(self.proxy.requests)

        def release():
            def polled():
                gets = [r for r in self.proxy.requests[seen:]
                        if r == ['GET', '/v2/images/%s' % image_id]]
                return len(gets) >= 2
            heat.wait_for(polled, timeout=60)
            self.data.release(self.data_name)
        releaser = threading.Thread(target=release, daemon=True)
        releaser.start()
        self.update_stack(stk, self.tmpl({'a': '1', 'c': '3'}))
        releaser.join(60)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1', 'c': '3'})

    def test_killed_once_the_data_was_in_then_update_in_place(self):
        # The engine dies at the create's first look at the image, after
        # the import is done and someone removed a key meanwhile: the
        # image is active without all the template's keys. The create
        # runs in a thread of its own, held at that look until then.
        data_in = threading.Event()
        self.addCleanup(data_in.set)
        created = []
        creator = threading.Thread(target=lambda: created.append(
            self.create_killed(self.tmpl({'a': '1', 'b': '2'}))),
            daemon=True)
        hold = self.proxy.hold('GET', IMAGE, on_hold=lambda h: heat.killer(
            data_in, creator.ident)(h))
        self.addCleanup(self.proxy.cancel, hold)
        creator.start()
        image_id = hold.wait(60).rsplit('/', 1)[1]
        self.wait_settled(image_id)
        self.admin.images.update(image_id, remove_props=['b'])
        data_in.set()
        creator.join(60)
        stk = heat.recover(created[0])

        self.update_stack(stk, self.tmpl({'a': '1', 'b': '2', 'c': '3'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1', 'b': '2', 'c': '3'})

    def test_failed_import_is_replaced_unless_the_id_is_the_templates(self):
        # A genuine failure, no crash: the data is missing.
        self.data.add(self.data_name, size=8192, mode='missing')
        stk = self.create_stack(self.tmpl({'a': '1'}), check=False,
                                params={'image_url': self.url})
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        failed_id = self.image_id(stk)
        self.assertEqual('queued', self.find(failed_id)['status'])
        self.data.add(self.data_name, size=8192)
        # The image got no data: a new one, deliberately.
        self.expect_images(created=1, deleted=1)
        self.update_stack(stk, self.tmpl({'a': '1'}))
        self.assertNotEqual(failed_id, self.image_id(stk))
        self.assertIsNone(self.find(failed_id))
        self.assert_one_image(stk, {'a': '1'}, downloads=2)

    def test_failed_import_with_the_templates_own_id_is_retried_in_place(
            self):
        own = str(uuid.uuid4())
        self.data.add(self.data_name, size=8192, mode='missing')
        stk = self.create_stack(self.tmpl({'a': '1'}, id=own), check=False,
                                params={'image_url': self.url})
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.data.add(self.data_name, size=8192)
        # Glance never gives an id twice: the only way is to import the
        # data into the same image again.
        self.update_stack(stk, self.tmpl({'a': '1'}, id=own))
        self.assertEqual(own, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1'}, imports=2)

    def test_image_deleted_after_the_killed_create_is_replaced(self):
        self.kill_at('POST', '/v2/images', when='response')
        stk = heat.recover(self.create_killed(self.tmpl({'a': '1'})))
        image_id = self.image_id(stk)
        self.admin.images.delete(image_id)
        # Glance refuses the id again: the image is gone, a new one is
        # made (no image to delete).
        self.expect_images(created=1)
        self.update_stack(stk, self.tmpl({'a': '1'}))
        self.assertNotEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1'})

    def test_own_id_of_a_deleted_image_fails_with_what_to_do(self):
        own = str(uuid.uuid4())
        self.kill_at('POST', '/v2/images', when='response')
        stk = heat.recover(self.create_killed(self.tmpl({'a': '1'},
                                                        id=own)))
        self.admin.images.delete(own)
        self.update_stack(stk, self.tmpl({'a': '1'}, id=own), check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn('an image with id %s exists or existed' % own,
                      stk.status_reason)
        self.assertIn("remove 'id' from the template", stk.status_reason)
        self.assertEqual([], self.images_named())


class ForeignImageTest(CrashTestCase):
    """An id the template names whose image is somebody else's."""

    def foreign(self, image_id, **kwargs):
        """An image of the member's project that no stack made."""
        kwargs.setdefault('owner', heat.MEMBER[0])
        image = self.admin.images.create(
            id=image_id, name='not-%s' % self.name, disk_format='raw',
            container_format='bare', **kwargs)
        self.addCleanup(self.admin.images.delete, image_id)
        return image

    def test_a_create_never_claims_an_image_it_did_not_make(self):
        own = str(uuid.uuid4())
        self.foreign(own)
        stk = self.create_stack(self.tmpl({'a': '1'}, id=own), check=False)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('an image with id %s exists or existed' % own,
                      stk.status_reason)
        self.assertIsNone(self.image_id(stk))
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state)
        self.assertEqual('queued', self.find(own)['status'])

    def test_killed_create_whose_id_an_image_of_someone_else_took(self):
        own = str(uuid.uuid4())
        # The engine dies before its POST; meanwhile somebody else's image
        # gets the id (the stack cannot know whose POST made it).
        self.kill_at('POST', '/v2/images')
        stk = heat.recover(self.create_killed(self.tmpl({'a': '1'},
                                                        id=own)))
        self.foreign(own)
        self.update_stack(stk, self.tmpl({'a': '1'}, id=own), check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn("Image %s has the template's 'id' but is not the "
                      "image this stack's create made" % own,
                      stk.status_reason)
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state)
        image = self.find(own)
        self.assertEqual(('queued', 'not-%s' % self.name),
                         (image['status'], image['name']))
        self.assertNotIn('a', image)


class UpdateCrashTest(CrashTestCase):

    def test_killed_after_the_patch_then_rollback_and_retry(self):
        old = self.tmpl({'a': '1', 'b': '2'})
        new = self.tmpl({'a': '1', 'c': '3'})
        stk = self.create_stack(old, params={'image_url': self.url})
        image_id = self.image_id(stk)
        hold = self.kill_at('PATCH', IMAGE, when='response')
        stk = heat.update_killed(stk, new, {'image_url': self.url})
        self.assertEqual(200, hold.status)
        # Glance has the new keys; Heat never recorded the update.
        self.assertEqual({'a': '1', 'c': '3'}, self.props(stk))
        stk = heat.recover(stk)
        self.assertEqual('FAILED', stk['image'].status)

        # Back to the old template: 'c' removed, 'b' back, in place.
        self.update_stack(stk, old)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1', 'b': '2'})
        # And forward again.
        self.update_stack(stk, new)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1', 'c': '3'})

    def test_killed_after_the_patch_then_the_same_update(self):
        stk = self.create_stack(self.tmpl({'a': '1', 'b': '2'}),
                                params={'image_url': self.url})
        image_id = self.image_id(stk)
        new = self.tmpl({'a': '2', 'c': '3'})
        self.kill_at('PATCH', IMAGE, when='response')
        stk = heat.recover(heat.update_killed(stk, new,
                                              {'image_url': self.url}))
        counter = self.counter()
        self.update_stack(stk, new)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '2', 'c': '3'})
        # Glance already had it all: nothing more was sent.
        self.assertEqual(0, counter.count('PATCH'))


class UpdateItemsCrashTest(CrashTestCase):

    def test_killed_after_a_member_was_added_then_rollback(self):
        # A killed update added a tag and a member (the member after the
        # PATCH); the rollback takes both away again: a project is not
        # left with access the template never gave it.
        old = self.tmpl({'a': '1'}, tags=['t1'], visibility='shared',
                        members=['project-b'])
        new = self.tmpl({'a': '2'}, tags=['t1', 't2'], visibility='shared',
                        members=['project-b', 'project-c'])
        stk = self.create_stack(old, params={'image_url': self.url})
        image_id = self.image_id(stk)
        # Tags Heat does not manage stay: one added outside the template.
        self.admin.image_tags.update(image_id, 'oob')
        hold = self.kill_at('POST', IMAGE + '/members', when='response')
        stk = heat.recover(heat.update_killed(stk, new,
                                              {'image_url': self.url}))
        self.assertEqual(200, hold.status)
        self.assertEqual(['oob', 't1', 't2'],
                         sorted(self.find(image_id)['tags']))
        self.assertEqual(['project-b', 'project-c'], self.members(image_id))

        self.update_stack(stk, old)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_one_image(stk, {'a': '1'})
        self.assertEqual(['oob', 't1'], sorted(self.find(image_id)['tags']))
        self.assertEqual(['project-b'], self.members(image_id))
        # And forward again, in place.
        self.update_stack(stk, new)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['oob', 't1', 't2'],
                         sorted(self.find(image_id)['tags']))
        self.assertEqual(['project-b', 'project-c'], self.members(image_id))

    def members(self, image_id):
        return sorted(m.member_id
                      for m in self.admin.image_members.list(image_id))


class StoreCopyCrashTest(CrashTestCase):
    """Killed once Glance took the copy to another store.

    Copying an image to a store is an admin action in Glance's default
    policy.
    """

    identity = heat.ADMIN

    def stores(self, image_id):
        return sorted(s for s in (self.find(image_id).get('stores') or '')
                      .split(',') if s)

    def copy_killed(self):
        """The recovered stack of an update killed during a copy.

        The image is in 'local'; the update adds 'fast' and dies once
        Glance accepted the copy.
        """
        stk = self.create_stack(self.tmpl({'a': '1'}, stores=['local']),
                                params={'image_url': self.url})
        hold = self.kill_at('POST', IMAGE + '/import', when='response')
        stk = heat.recover(heat.update_killed(
            stk, self.tmpl({'a': '2'}, stores=['local', 'fast']),
            {'image_url': self.url}))
        self.assertEqual(202, hold.status)
        self.assertEqual('FAILED', stk['image'].status)
        return stk

    def test_killed_during_the_copy_then_the_same_update(self):
        stk = self.copy_killed()
        image_id = self.image_id(stk)
        counter = self.counter()
        self.update_stack(stk, self.tmpl({'a': '2'},
                                         stores=['local', 'fast']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['fast', 'local'], self.stores(image_id))
        # The import and the one copy the dead engine started: the copy
        # was waited for or found done, never started again; the data was
        # downloaded once.
        self.assert_one_image(stk, {'a': '2'}, imports=2, downloads=1)
        self.assertEqual(0, counter.count('POST'))

    def test_killed_during_the_copy_then_rollback_and_retry(self):
        stk = self.copy_killed()
        image_id = self.image_id(stk)
        # Back to the old template: out of 'fast' again once the copy is
        # done, the old value back, in place.
        self.update_stack(stk, self.tmpl({'a': '1'}, stores=['local']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['local'], self.stores(image_id))
        self.assert_one_image(stk, {'a': '1'}, imports=2, downloads=1)
        # And forward again: one more copy, the same image.
        self.update_stack(stk, self.tmpl({'a': '2'},
                                         stores=['local', 'fast']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['fast', 'local'], self.stores(image_id))
        self.assert_one_image(stk, {'a': '2'}, imports=3, downloads=1)


class DeleteCrashTest(CrashTestCase):

    def test_killed_during_delete_then_delete_again(self):
        for when in ('request', 'response'):
            stk = self.create_stack(self.tmpl({'a': '1'}),
                                    params={'image_url': self.url})
            image_id = self.image_id(stk)
            self.kill_at('DELETE', IMAGE, when=when)
            stk = heat.recover(heat.delete_killed(stk))
            self.assertEqual(('DELETE', 'FAILED'), stk.state)
            # Glance deleted the image, or never heard of the delete.
            self.assertEqual(when == 'request',
                             self.find(image_id) is not None)
            stk.delete()
            self.assertEqual(('DELETE', 'COMPLETE'), stk.state,
                             stk.status_reason)
            self.assertEqual([], self.images_named())
