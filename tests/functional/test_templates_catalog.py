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

"""The catalog's example templates against the real Glance.

Every top-level template of heat_templates/ is also created (and updated)
by test_heat_templates; these tests check what is particular to them.
"""

import os

from heat_glance_props import offline
from tests.functional import base
from tests.harness import heat

IMAGES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), 'fixtures', 'images')


class TemplatesTest(base.FunctionalTestCase):

    def test_heat_21_template_with_is_public(self):
        tmpl = self.template_file('legacy_is_public.yaml')
        stk = self.create_stack(tmpl)
        image = self.image(stk)
        self.assertEqual(('private', 'raw', 1, 256, ['legacy']),
                         (image.visibility, image.disk_format,
                          image.min_disk, image.min_ram, image.tags))

        # Publicizing an image is for admins in Glance's default policy.
        self.ctx = heat.make_context(self.glance_server.url, heat.ADMIN)
        stk = self.create_stack(tmpl, {'image_url': self.image_url(),
                                       'public': 'true'})
        self.assertEqual('public', self.image(stk).visibility)
        self.assertEqual({'os_distro': 'cirros', 'architecture': 'x86_64'},
                         self.props(stk))

    def test_vmware_template_with_the_disk_it_was_made_for(self):
        path = os.path.join(IMAGES, 'stream-lsilogic.vmdk')
        with open(path, 'rb') as f:
            url = self.data.add('stream-lsilogic.vmdk', data=f.read())
        tmpl = self.template_file(os.path.join('vmware', 'vmware_image.yaml'))
        stk = self.create_stack(tmpl, {'image_url': url})
        image = self.image(stk)
        # That the template's values are what introspect prints for this
        # disk is tests.unit.test_introspect's business; here Glance takes
        # the disk with them.
        wanted = tmpl['resources']['image']['properties']
        self.assertEqual(('active', wanted['disk_format'],
                          wanted['min_disk']),
                         (image.status, image.disk_format, image.min_disk))
        self.assertEqual(wanted['properties'], self.props(stk))

    def test_every_template_passes_offline_validation(self):
        names = []
        for root, _dirs, files in os.walk(base.TEMPLATES):
            # A template with a server needs Nova's flavors (a custom
            # constraint): tests/minicloud/test_nova.py validates it.
            names.extend(os.path.join(root, n) for n in sorted(files)
                         if n.endswith('.yaml') and
                         n != 'server_image_properties.yaml')
        self.assertGreater(len(names), 6)
        for path in names:
            params = {'image_url': 'http://127.0.0.1:9/x.img'}
            if os.path.basename(path) == 'verified_image.yaml':
                params['image_sha256'] = '0' * 64
            # As a stack create, with every parameter.
            reports, checked = offline.check_template(
                path, params=params, require_parameters=True)
            self.assertEqual([], reports, path)
            self.assertEqual(['image'], checked, path)
            # As an author before the values are known: what needs them
            # is not checked, and nothing else is found.
            reports, checked = offline.check_template(path)
            self.assertEqual(['image'], checked, path)
            self.assertEqual(
                sorted(params), sorted(set(
                    r.finding.message.split("'")[-2] for r in reports
                    if r.finding.key is not None)), path)
            self.assertEqual(set([(offline.SKIPPED, offline.PARAMETERS)]),
                             set((r.level, r.source) for r in reports), path)
