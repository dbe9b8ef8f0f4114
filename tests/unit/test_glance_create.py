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

"""An image's create and its resumption: heat_glance_props.glance.create.

Without Heat, through a real glanceclient to the stand-in for Glance's
image API (tests/unit/glanceserver.py, NOT Glance). The functional and
mini-cloud tiers resume creates whose heat-engine died against a real
glance-api.
"""

import uuid

from heat_glance_props import glance
from heat_glance_props.glance import create
from tests.unit import test_glance_calls
from tests.unit import test_glance_plan


def props(**changes):
    return test_glance_plan.props(properties={'a': '1'}, tags=[],
                                  extra_properties={}, architecture=None,
                                  **changes)


class ImageCreateTest(test_glance_calls.CallsTestCase):

    def setUp(self):
        super(ImageCreateTest, self).setUp()
        self.forgotten = []

    def image_create(self, image_id, **changes):
        return create.ImageCreate(self.client, image_id, props(**changes),
                                  lambda: self.forgotten.append(image_id))

    def test_the_chosen_id_is_posted(self):
        image_id = create.choose_id(self.client, props())
        self.assertTrue(uuid.UUID(image_id))
        self.assertNotEqual(image_id, create.choose_id(self.client, props()))
        self.assertEqual([], self.sent())
        state = self.image_create(image_id).post()
        self.assertEqual({'active': True, 'waits': 0}, state)
        self.assertEqual(image_id, self.glance.sent('POST')[0][2]['id'])
        self.assertEqual('1', self.glance.images[image_id]['a'])

    def test_the_templates_id_only_when_no_image_has_it(self):
        own = str(uuid.uuid4())
        self.assertEqual(own, create.choose_id(self.client, props(id=own)))
        self.glance.add(id=own)
        self.assertRaises(glance.IdTaken, create.choose_id, self.client,
                          props(id=own))

    def test_a_taken_id_is_forgotten_or_replaced_when_resumed(self):
        image_id = str(uuid.uuid4())
        self.glance.fail('POST', '/v2/images', 409,
                         'Image ID %s already exists!' % image_id)
        self.assertRaises(glance.IdTaken,
                          self.image_create(image_id).post)
        self.assertEqual([image_id], self.forgotten)
        # Resumed: the image of the id the resource chose is gone.
        self.glance.fail('POST', '/v2/images', 409,
                         'Image ID %s already exists!' % image_id)
        self.assertRaises(create.Replace,
                          self.image_create(image_id).post, resume=True)
        self.assertEqual([image_id], self.forgotten)

    def test_a_refused_import_leaves_no_image(self):
        image_id = str(uuid.uuid4())
        self.glance.fail('POST', '/v2/images/%s/import' % image_id, 409,
                         'Image status transition is not allowed')
        self.assertRaises(glance.GlanceError,
                          self.image_create(image_id).post)
        self.assertEqual({}, self.glance.images)
        self.assertEqual([image_id], self.forgotten)

    def resume(self, image_id, **changes):
        creator = self.image_create(image_id, **changes)
        return creator, creator.resume(props(**changes), 'project')

    def test_resume_posts_the_stored_id_when_glance_never_heard(self):
        image_id = str(uuid.uuid4())
        creator, state = self.resume(image_id)
        self.assertIn(image_id, self.glance.images)
        self.assertEqual(1, len(self.glance.sent('POST', api=True)) - 1)
        # The data is not in yet; then it is, and the template is applied
        # to the live image (keys it never set are left alone).
        self.assertFalse(creator.poll_resumed(state, self.observed))
        self.glance.images[image_id].update(status='active', a='0', b='2')
        self.assertTrue(creator.poll_resumed(state, self.observed))
        self.assertEqual(('1', '2'), (self.glance.images[image_id]['a'],
                                      self.glance.images[image_id]['b']))
        self.assertEqual(1, len(self.glance.sent('PATCH')))
        self.assertTrue(creator.poll_resumed(state, self.observed))

    def observed(self, image, keys):
        live = props()
        live['properties'] = dict((k, image[k]) for k in keys
                                  if k in image)
        return live

    def test_resume_waits_for_an_import_glance_runs(self):
        image_id = self.glance.add(status='importing',
                                   os_glance_import_task='t1')
        creator, state = self.resume(image_id)
        self.assertEqual([], self.glance.sent('POST'))
        self.assertFalse(creator.poll_resumed(state, self.observed))
        self.glance.images[image_id].update(status='active', a='1')
        del self.glance.images[image_id]['os_glance_import_task']
        self.assertTrue(creator.poll_resumed(state, self.observed))
        # Glance has the template's map already: nothing was sent.
        self.assertEqual([], self.glance.sent('POST') +
                         self.glance.sent('PATCH'))

    def test_resume_imports_an_image_no_import_reached(self):
        image_id = self.glance.add(status='queued')
        self.resume(image_id)
        self.assertEqual([('POST', '/v2/images/%s/import' % image_id)],
                         self.sent('POST'))

    def test_resume_replaces_an_image_that_cannot_get_its_data(self):
        image_id = self.glance.add(status='queued')
        self.glance.tasks[image_id] = [{'id': 't1', 'status': 'failure'}]
        self.assertRaises(create.Replace, self.resume, image_id)
        self.assertTrue(create.needs_new_image(self.client, image_id,
                                               props()))
        self.assertIn('a stack update replaces it', create.unfinished(
            self.client, image_id, props()))

    def test_an_image_with_the_templates_id_that_is_not_ours(self):
        own = self.glance.add(status='queued', owner='project', name='x')
        self.assertIn("named 'x'", create.not_ours(
            self.client, own, props(id=own), 'project'))
        exc = self.assertRaises(glance.GlanceError, self.resume, own,
                                id=own)
        self.assertIn("has the template's 'id' but is not the image",
                      str(exc))
        self.glance.images[own]['name'] = 'img'
        self.glance.images[own]['a'] = '1'
        self.assertIsNone(create.not_ours(self.client, own, props(id=own),
                                          'project'))
        # An id the resource chose is its own, whatever the image says.
        self.assertIsNone(create.not_ours(self.client, own, props(),
                                          'project'))
