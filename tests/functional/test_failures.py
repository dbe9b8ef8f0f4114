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

"""Safe under failure: retry in place, rollback, check, converge, faults."""

import copy

from heat.engine import resources
from heat.engine.resources.openstack.glance import image as heat_image

from heat_glance_props.resources import image as plugin_image
from tests.functional import base
from tests.harness import glance
from tests.harness import heat

PROTECTED = glance.PROTECTED_PREFIX + 'key'


def with_test_resource(tmpl, fail=False):
    """Add an OS::Heat::TestResource that fails its update on demand."""
    tmpl = copy.deepcopy(tmpl)
    tmpl['resources']['other'] = {
        'type': 'OS::Heat::TestResource',
        'properties': {'value': 'failing' if fail else 'fine',
                       'fail': fail},
        'depends_on': ['image'],
    }
    return tmpl


class RetryInPlaceTest(base.FunctionalTestCase):

    def test_refused_update_then_retry_patches_the_same_image(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        image_id = self.image_id(stk)
        bad = self.template(properties={'a': '2', PROTECTED: 'x'})
        self.update_stack(stk, bad, check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn('Glance refused to update image %s' % image_id,
                      stk.status_reason)
        self.assertIn("'%s'" % PROTECTED, stk.status_reason)
        self.assertEqual({'a': '1'}, self.props(stk))

        # The same template again: the same image, the same refusal.
        self.update_stack(stk, bad, check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertEqual(image_id, self.image_id(stk))

        # Fixed template: patched in place.
        self.update_stack(stk, self.template(properties={'a': '3',
                                                         'b': '4'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'a': '3', 'b': '4'}, self.props(stk))
        self.assertIn(image_id, self.all_image_ids())

    def test_quota_refusal_then_retry_in_place(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        image_id = self.image_id(stk)
        too_many = dict(('k%03d' % i, i) for i in range(140))
        self.update_stack(stk, self.template(properties=too_many),
                          check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn('more than the 128 this cloud allows',
                      stk.status_reason)
        self.assertEqual({'a': '1'}, self.props(stk))
        self.update_stack(stk, self.template(properties={'a': '2'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'a': '2'}, self.props(stk))

    def test_image_deleted_out_of_band_is_replaced_on_next_update(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        image_id = self.image_id(stk)
        self.admin.images.delete(image_id)
        self.update_stack(stk, self.template(properties={'a': '2'}),
                          check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn('Image %s no longer exists in Glance' % image_id,
                      stk.status_reason)
        # Replaced: a new image, and no delete (the old one is gone).
        self.expect_images(created=1)
        self.update_stack(stk, self.template(properties={'a': '2'}))
        new_id = self.image_id(stk)
        self.assertNotEqual(image_id, new_id)
        self.assertEqual({'a': '2'}, self.props(stk))

    def test_placeholder_stack_gets_a_real_image(self):
        env = resources.global_env()
        env.register_class('OS::Glance::Image', heat_image.GlanceImage)
        try:
            images_before = self.all_image_ids()
            stk = self.create_stack(self.template(properties={'a': '1'}))
            # Heat's placeholder created nothing in Glance.
            self.assertEqual(images_before, self.all_image_ids())
            self.assertEqual('True',
                             stk['image'].data().get('is_placeholder'))
        finally:
            env.register_class('OS::Glance::Image', plugin_image.GlanceImage)
        # The plugin is loaded again (heat-engine restarted with it).
        stk = heat.load_stack(stk)
        # The placeholder is replaced by a real image (it had none).
        self.expect_images(created=1)
        self.update_stack(stk, self.template(properties={'a': '1'}))
        self.assertIsInstance(stk['image'], plugin_image.GlanceImage)
        image_id = self.image_id(stk)
        self.assertIn(image_id, self.all_image_ids())
        self.assertEqual({'a': '1'}, self.props(stk))
        self.assertEqual('active', self.image(stk).status)


class RollbackTest(base.FunctionalTestCase):

    def test_rollback_after_another_resource_fails(self):
        before = {'a': '1', 'b': '2'}
        stk = self.create_stack(with_test_resource(
            self.template(properties=before, name='before')))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, oob='kept')
        self.update_stack(
            stk, with_test_resource(self.template(
                properties={'a': 'changed', 'c': 'added'}, name='after'),
                fail=True),
            check=False, disable_rollback=False)
        self.assertEqual(('ROLLBACK', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assertEqual(image_id, self.image_id(stk))
        image = self.image(stk)
        self.assertEqual(dict(before, oob='kept'),
                         base.free_properties(image))
        self.assertEqual('before', image.name)

    def test_rollback_after_the_image_update_itself_fails(self):
        before = {'a': '1'}
        stk = self.create_stack(self.template(properties=before,
                                              tags=['t1']))
        image_id = self.image_id(stk)
        # The tags change before Glance refuses the property PATCH.
        self.update_stack(
            stk, self.template(properties={'a': '2', PROTECTED: 'x'},
                               tags=['t2']),
            check=False, disable_rollback=False)
        self.assertEqual(('ROLLBACK', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assertEqual(image_id, self.image_id(stk))
        image = self.image(stk)
        self.assertEqual(before, base.free_properties(image))
        self.assertEqual(['t1'], image.tags)


class CheckTest(base.FunctionalTestCase):

    def test_check(self):
        stk = self.create_stack(self.template(
            properties={'a': '1', 'b': 2}, os_distro='ubuntu'))
        image_id = self.image_id(stk)
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)

        # A key the template does not manage is never reported.
        self.admin.images.update(image_id, unmanaged='x')
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)

        self.admin.images.update(image_id, b='3', remove_props=['a'],
                                 os_distro='debian')
        heat.check(stk)
        self.assertEqual(('CHECK', 'FAILED'), stk.state)
        reason = stk.status_reason
        self.assertIn("key 'a' is missing (template: '1')", reason)
        self.assertIn("key 'b' is '3' in Glance (template: '2')", reason)
        self.assertIn("key 'os_distro' is 'debian' in Glance", reason)
        self.assertNotIn('unmanaged', reason)

    def test_check_wrong_state_and_missing_image(self):
        stk = self.create_stack(self.template(properties={'a': '1'}))
        image_id = self.image_id(stk)
        self.admin.images.deactivate(image_id)
        heat.check(stk)
        self.assertEqual(('CHECK', 'FAILED'), stk.state)
        self.assertIn('the image is deactivated, not active',
                      stk.status_reason)
        self.admin.images.delete(image_id)
        heat.check(stk)
        self.assertEqual(('CHECK', 'FAILED'), stk.state)
        self.assertIn('Image %s no longer exists in Glance' % image_id,
                      stk.status_reason)


class ConvergeTest(base.FunctionalTestCase):

    def test_converge_restores_managed_keys_only(self):
        tmpl = self.template(properties={'a': '1', 'b': 2, 'c': True},
                             extra_properties={'x': 'y'},
                             os_distro='ubuntu')
        stk = self.create_stack(tmpl)
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, a='drifted', x='drifted',
                                 os_distro='debian', unmanaged='kept',
                                 remove_props=['b'])
        counter = self.counter()
        self.update_stack(stk, tmpl, converge=True)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(1, counter.count('PATCH'))
        self.assertEqual({'a': '1', 'b': '2', 'c': 'True', 'x': 'y',
                          'os_distro': 'ubuntu', 'unmanaged': 'kept'},
                         self.props(stk))

        # In sync: a converge update changes nothing.
        counter = self.counter()
        self.update_stack(stk, tmpl, converge=True)
        self.assertEqual(0, counter.count('PATCH'))

    def test_converge_with_a_template_change(self):
        stk = self.create_stack(self.template(properties={'a': '1',
                                                          'b': '1'}))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, a='drifted')
        self.update_stack(stk, self.template(properties={'b': '2'}),
                          converge=True)
        self.assertEqual({'b': '2'}, self.props(stk))


class GlanceDownTest(base.FunctionalTestCase):
    """Stops and starts a real glance-api process of its own."""

    def setUp(self):
        super(GlanceDownTest, self).setUp()
        self.server = self.use_own_glance()

    def test_update_while_glance_is_down_then_retry_in_place(self):
        stk = self.create_stack(self.template(properties={'a': '1',
                                                          'b': '1'}))
        image_id = self.image_id(stk)
        self.admin.images.update(image_id, oob='kept')

        self.server.stop()
        self.update_stack(stk, self.template(properties={'a': '2'}),
                          check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn('Glance is unreachable at %s' % self.server.url,
                      stk.status_reason)
        self.assertIn(image_id, stk.status_reason)

        self.server.start()
        self.assertEqual({'a': '1', 'b': '1', 'oob': 'kept'},
                         self.props(stk))
        self.update_stack(stk, self.template(properties={'a': '2'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'a': '2', 'oob': 'kept'}, self.props(stk))
