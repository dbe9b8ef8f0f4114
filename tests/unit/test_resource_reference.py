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

"""The generated resource reference of the docs (doc/source/_exts).

The Sphinx build (tools/docs.sh) shows that the page builds; these tests
show that what it writes is complete and right for the plugin's schema.
"""

import importlib.util
import os

import testtools

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
EXT = os.path.join(REPO_ROOT, 'doc', 'source', '_exts',
                   'heat_resource_reference.py')
PLUGIN = 'heat_glance_props.heat_plugins.glance_image'


def _load_extension():
    spec = importlib.util.spec_from_file_location('heat_resource_reference',
                                                  EXT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ResourceReferenceTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ext = _load_extension()
        cls.cls = cls.ext.resource_class(PLUGIN, 'OS::Glance::Image')
        cls.lines = cls.ext.reference_lines('OS::Glance::Image', cls.cls)
        cls.text = '\n'.join(cls.lines)

    def entry(self, name):
        """The lines of the entry of property ``name``."""
        start = self.lines.index('``%s``' % name)
        end = start + 1
        while end < len(self.lines) and (
                not self.lines[end] or self.lines[end].startswith(' ')):
            end += 1
        return self.lines[start:end]

    def field(self, name, label):
        prefix = '   :%s: ' % label
        values = [line[len(prefix):] for line in self.entry(name)
                  if line.startswith(prefix)]
        return values

    def test_the_plugin_class(self):
        from heat_glance_props.resources import image
        self.assertIs(image.GlanceImage, self.cls)

    def test_every_visible_property_has_an_entry(self):
        for name, schema in self.cls.properties_schema.items():
            if schema.support_status.status == 'HIDDEN':
                self.assertNotIn('``%s``' % name, self.lines)
            else:
                self.assertIn('``%s``' % name, self.lines)

    def test_required_and_optional_sections(self):
        required = self.lines.index('Required properties')
        optional = self.lines.index('Optional properties')
        attributes = self.lines.index('Attributes')
        for name in ('container_format', 'disk_format', 'location'):
            self.assertTrue(required < self.lines.index('``%s``' % name)
                            < optional, name)
            self.assertEqual(['yes'], self.field(name, 'Required'))
        for name in ('properties', 'is_public', 'name', 'visibility'):
            self.assertTrue(optional < self.lines.index('``%s``' % name)
                            < attributes, name)
            self.assertEqual(['no'], self.field(name, 'Required'))

    def test_update_behaviour(self):
        self.assertEqual(['Can be updated without replacement.'],
                         self.field('properties', 'Updates'))
        self.assertEqual(['Updates cause replacement.'],
                         self.field('location', 'Updates'))

    def test_type_default_and_constraints(self):
        self.assertEqual(['Map'], self.field('properties', 'Type'))
        self.assertEqual(['``{}``'], self.field('properties', 'Default'))
        self.assertEqual(['``0``'], self.field('min_ram', 'Default'))
        self.assertEqual(['``false``'], self.field('protected', 'Default'))
        self.assertEqual([], self.field('name', 'Default'))
        [allowed] = self.field('visibility', 'Constraint')
        for value in ('public', 'private', 'community', 'shared'):
            self.assertIn('"%s"' % value, allowed)

    def test_support_status(self):
        [status] = self.field('is_public', 'Support status')
        self.assertTrue(status.startswith('Deprecated since 22.0.0'),
                        status)
        self.assertIn('visibility', status)
        self.assertIn('Available since 22.0.0', self.text)

    def test_defined_by(self):
        self.assertEqual(['this class'],
                         self.field('properties', 'Defined by'))
        self.assertEqual(['inherited unchanged from ``GlanceWebImage``'],
                         self.field('location', 'Defined by'))

    def test_nested_schema_of_a_list(self):
        entry = '\n'.join(self.entry('members'))
        self.assertIn('Nested properties', entry)
        self.assertIn('``*``', entry)

    def test_attributes_include_heats_show(self):
        self.assertIn('``show``', self.lines)

    def test_template_skeleton(self):
        skeleton = self.lines[self.lines.index('Template syntax'):]
        self.assertIn('       type: OS::Glance::Image', skeleton)
        self.assertIn('         properties: {...}', skeleton)
        self.assertIn('         members: [String, ...]', skeleton)

    def test_schema_text_is_escaped(self):
        self.assertEqual(r'a\_b \*c\* \`d\` e\|f \\g',
                         self.ext.escape('a_b *c* `d`\n e|f \\g'))
