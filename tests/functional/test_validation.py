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

"""Every validation rule refuses before any Glance call is made."""

from heat.common import exception

from tests.functional import base
from tests.harness import heat


class ValidationTest(base.FunctionalTestCase):

    def assert_refused(self, tmpl, *fragments):
        images_before = self.all_image_ids()
        counter = self.counter()
        stk = heat.build_stack(self.ctx, tmpl,
                               {'image_url': self.image_url()})
        err = self.assertRaises(exception.StackValidationFailed,
                                stk.validate)
        message = str(err)
        self.assertIn('"image"', message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        # Nothing reached Glance but reads: no image was created.
        self.assertEqual([], [r for r in counter.since() if r[0] != 'GET'])
        self.assertEqual(images_before, self.all_image_ids())
        return message

    def test_empty_key(self):
        self.assert_refused(self.template(properties={'': 'x'}),
                            'empty key')

    def test_long_key(self):
        self.assert_refused(self.template(properties={'k' * 256: 'x'}),
                            '256 characters')

    def test_read_only_key(self):
        self.assert_refused(self.template(properties={'checksum': 'x'}),
                            "'checksum'", 'read-only')

    def test_reserved_key_and_prefix(self):
        self.assert_refused(self.template(properties={'location': 'x'}),
                            "'location'", 'reserved')
        self.assert_refused(self.template(properties={'os_glance_y': 'x'}),
                            "'os_glance_y'", 'reserved')

    def test_core_attribute(self):
        self.assert_refused(self.template(properties={'visibility': 'x'}),
                            "'visibility'", "resource property 'visibility'")
        self.assert_refused(self.template(properties={'name': 'x'}),
                            "'name'", "resource property 'name'")

    def test_first_class_key(self):
        self.assert_refused(
            self.template(properties={'os_distro': 'x'}, os_distro='y'),
            "'os_distro'", "resource property 'os_distro'")

    def test_key_in_both_maps(self):
        self.assert_refused(
            self.template(properties={'k': 'x'}, extra_properties={'k': 'y'}),
            "'k'", "both 'properties' and 'extra_properties'")

    def test_list_value(self):
        self.assert_refused(self.template(properties={'k': ['a']}),
                            "'k'", 'a list')

    def test_reserved_key_in_extra_properties(self):
        self.assert_refused(
            self.template(extra_properties={'os_glance_z': 'x'}),
            "'os_glance_z'", "'extra_properties'")

    def test_is_public_contradicting_visibility(self):
        self.assert_refused(
            self.template(is_public=True, visibility='private'),
            'is_public', 'visibility')

    def test_refused_stack_create_leaves_no_image(self):
        images_before = self.all_image_ids()
        stk = heat.build_stack(self.ctx, self.template(
            properties={'status': 'x'}), {'image_url': self.image_url()})
        stk.store()
        stk.create()
        self.addCleanup(stk.delete)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn("'status'", stk.status_reason)
        self.assertEqual(images_before, self.all_image_ids())
