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

"""The resource's location check ([glance_properties] location_check)."""

import os

from oslo_config import cfg

from heat_glance_props import introspect
from heat_glance_props import opts
from tests.functional import base
from tests.harness import glance

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')


def _qcow2():
    with open(os.path.join(IMAGES, 'disk.qcow2'), 'rb') as f:
        return f.read()


#: oslo.utils 7.3.0 and newer have the format inspector the check uses;
#: 2024.1's 7.1.0 has not, and the check then only says it cannot check.
INSPECTOR = introspect.format_inspector is not None

GLANCE_CHECKS_FORMAT = glance.checks_disk_format()

CANNOT_CHECK = 'could not check the data at location'


class LocationCheckTest(base.FunctionalTestCase):

    def setUp(self):
        super(LocationCheckTest, self).setUp()
        opts.register_opts(cfg.CONF)

    def set_option(self, name, value):
        cfg.CONF.set_override(name, value, group=opts.GROUP)
        self.addCleanup(cfg.CONF.clear_override, name, group=opts.GROUP)

    def test_strict_refuses_before_glance_sees_anything(self):
        self.set_option('location_check', 'strict')
        url = self.data.add('strict-raw.img', data=_qcow2())
        before = self.all_image_ids()
        counter = self.counter()
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': url}, check=False)
        if not INSPECTOR:
            # Never refused for what cannot be checked.
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertIn(CANNOT_CHECK, self.logger.output)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('is qcow2, but disk_format is raw', stk.status_reason)
        self.assertEqual(before, self.all_image_ids())
        self.assertEqual([], [r for r in counter.since() if r[0] == 'POST'])

    def test_strict_creates_a_matching_image(self):
        self.set_option('location_check', 'strict')
        url = self.data.add('strict-qcow2.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='qcow2'),
                                {'image_url': url})
        self.assertEqual('active', self.image(stk).status)

    def test_warn_logs_and_creates(self):
        self.set_option('location_check', 'warn')
        url = self.data.add('warn-raw.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='raw'),
                                {'image_url': url})
        self.assertEqual('active', self.image(stk).status)
        self.assertIn('is qcow2, but disk_format is raw' if INSPECTOR
                      else CANNOT_CHECK, self.logger.output)

    def test_off_reads_nothing(self):
        url = self.data.add('off-raw.img', data=_qcow2())
        self.create_stack(self.template(disk_format='raw'),
                          {'image_url': url})
        # Glance's own download only.
        self.assertEqual(1, self.data.hits('off-raw.img'))

    def test_failed_import_names_the_mismatch(self):
        self.set_option('location_check', 'warn')
        url = self.data.add('warn-vmdk.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='vmdk'),
                                {'image_url': url}, check=False,
                                timeout_mins=1)
        if not GLANCE_CHECKS_FORMAT:
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertEqual('vmdk', self.image(stk).disk_format)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('Task failed due to Internal Error', stk.status_reason)
        self.assertIn('the plugin found one: the data at location %s is '
                      'qcow2, but disk_format is vmdk' % url,
                      stk.status_reason)

    def test_failed_import_without_the_check_names_the_causes(self):
        url = self.data.add('off-vmdk.img', data=_qcow2())
        stk = self.create_stack(self.template(disk_format='vmdk'),
                                {'image_url': url}, check=False,
                                timeout_mins=1)
        if not GLANCE_CHECKS_FORMAT:
            self.assertEqual(('CREATE', 'COMPLETE'), stk.state)
            self.assertEqual('vmdk', self.image(stk).disk_format)
            return
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('may not be of disk_format vmdk', stk.status_reason)
        self.assertIn('heat-glance-props introspect %s' % url,
                      stk.status_reason)
