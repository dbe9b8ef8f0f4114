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

import copy
import os
import uuid

import fixtures
from heat.common import exception
import yaml

from heat_glance_props import offline
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

    def assert_accepted(self, tmpl):
        stk = heat.build_stack(self.ctx, tmpl,
                               {'image_url': self.image_url()})
        stk.validate()

    def test_first_class_key_with_two_values(self):
        self.assert_refused(
            self.template(properties={'os_distro': 'x'}, os_distro='y'),
            "key 'os_distro' in 'properties' is 'x', but the resource "
            "property 'os_distro' is 'y'")
        k1, k2 = str(uuid.uuid4()), str(uuid.uuid4())
        self.assert_refused(
            self.template(extra_properties={'kernel_id': k1}, kernel_id=k2),
            "key 'kernel_id' in 'extra_properties' is '%s', but the "
            "resource property 'kernel_id' is '%s'" % (k1, k2))

    def test_first_class_key_alone_or_with_the_same_value(self):
        self.assert_accepted(self.template(properties={
            'os_distro': 'ubuntu', 'architecture': 'x86_64'}))
        self.assert_accepted(self.template(extra_properties={
            'os_version': '24.04', 'ramdisk_id': 'r'}))
        self.assert_accepted(self.template(
            properties={'os_distro': 'ubuntu', 'os_version': 24},
            os_distro='ubuntu', os_version='24'))
        self.assert_accepted(self.template(
            properties={'os_distro': 'ubuntu'}, os_distro=''))

    def test_first_class_value_the_catalog_refuses(self):
        # The same finding as for the key in a map.
        self.assert_refused(self.template(architecture='x86-64'),
                            "property 'architecture' has value 'x86-64'")
        self.assert_refused(
            self.template(properties={'architecture': 'x86-64'}),
            "key 'architecture' in 'properties' has value 'x86-64'")

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

    def test_hidden_is_a_boolean(self):
        self.assert_accepted(self.template(hidden='true'))
        stk = heat.build_stack(self.ctx, self.template(hidden='maybe'),
                               {'image_url': self.image_url()})
        err = self.assertRaises(exception.StackValidationFailed,
                                stk.validate)
        self.assertIn('"maybe" is not a valid boolean', str(err))

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


class OfflineVerdictTest(base.FunctionalTestCase):
    """``heat-glance-props validate`` says what heat-engine says.

    Each template is validated by Heat's own engine code with the plugin
    loaded (as heat-engine validates a stack create) and offline; both
    must accept it or both refuse it. Heat's OS::Glance::WebImage checks
    nothing in its extra_properties: offline, the findings of the rules
    are warnings there.
    """

    def heat_accepts(self, tmpl):
        stk = heat.build_stack(self.ctx, copy.deepcopy(tmpl),
                               {'image_url': self.image_url()})
        try:
            stk.validate()
        except exception.HeatException:
            return False
        return True

    def offline_reports(self, tmpl):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'template.yaml')
        with open(path, 'w') as f:
            yaml.safe_dump(tmpl, f)
        reports, checked = offline.check_template(
            path, params={'image_url': 'http://127.0.0.1:9/x.img'},
            require_parameters=True)
        self.assertEqual(['image'], checked)
        return reports

    def test_same_verdict_as_heat(self):
        web = 'OS::Glance::WebImage'
        cases = [
            # (template, Heat accepts it, offline warnings)
            (self.template(resource_type=web, extra_properties={
                'os_distro': 'ubuntu', 'architecture': 'x86_64'}), True, 0),
            (self.template(resource_type=web, os_distro='debian',
                           extra_properties={'os_distro': 'ubuntu'}),
             True, 1),
            (self.template(resource_type=web,
                           extra_properties={'os_glance_x': '1',
                                             'hw_disk_bus': 'floppy'}),
             True, 2),
            (self.template(resource_type=web, members=['p']), False, 0),
            (self.template(properties={'os_distro': 'ubuntu',
                                       'architecture': 'x86_64'}), True, 0),
            (self.template(extra_properties={'os_distro': 'ubuntu'}),
             True, 0),
            (self.template(os_distro='debian',
                           properties={'os_distro': 'ubuntu'}), False, 0),
            (self.template(properties={'hw_disk_bus': 'floppy'}), False, 0),
        ]
        for tmpl, accepted, warnings in cases:
            reports = self.offline_reports(tmpl)
            errors = [r for r in reports if r.level == offline.ERROR]
            self.assertEqual(accepted, self.heat_accepts(tmpl), tmpl)
            self.assertEqual(accepted, not errors, (tmpl, reports))
            self.assertEqual(warnings, len([
                r for r in reports if r.level == offline.WARNING]),
                (tmpl, reports))
