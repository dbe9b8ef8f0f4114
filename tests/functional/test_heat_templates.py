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

"""Every example in heat_templates/ is created, and updated where it has
an update companion (``NAME.update.yaml``), against the real Glance."""

import hashlib
import os
import uuid

from heat_glance_props import imageprops
from heat_glance_props.resources import image as image_resource
from tests.functional import base
from tests.harness import heat

UPDATE_SUFFIX = '.update.yaml'

#: Templates that only an admin may run (copying an image to another
#: store is an admin action in Glance's default policy).
ADMIN_TEMPLATES = frozenset(['multi_store_image.yaml'])

#: Templates with a server: they need Nova, which runs in the mini-cloud
#: tier (tests/minicloud/test_nova.py runs them), not here.
NOVA_TEMPLATES = frozenset(['server_image_properties.yaml'])


def _verified_image_params(test):
    """Data and its SHA-256 sum, for verified_image.yaml."""
    data = os.urandom(65536)
    return {'image_url': test.data.add('verified-%s' % uuid.uuid4().hex,
                                       data=data),
            'image_sha256': hashlib.sha256(data).hexdigest()}


#: Parameters of templates that need more than ``image_url``.
TEMPLATE_PARAMS = {'verified_image.yaml': _verified_image_params}


def _templates():
    names = sorted(n for n in os.listdir(base.TEMPLATES)
                   if n.endswith('.yaml') and not n.endswith(UPDATE_SUFFIX)
                   and n not in NOVA_TEMPLATES)
    return names


def _images(tmpl):
    """The properties of each OS::Glance::Image of a template."""
    return dict((name, res.get('properties', {}))
                for name, res in tmpl['resources'].items()
                if res['type'] == 'OS::Glance::Image')


def _expected(tmpl):
    """The free properties each OS::Glance::Image of a template sets."""
    cls = image_resource.GlanceImage
    result = {}
    for name, props in _images(tmpl).items():
        first_class = dict((k, props.get(k)) for k in cls.FREE_PROPERTIES)
        result[name] = imageprops.merge(
            first_class, props.get(cls.EXTRA_PROPERTIES),
            props.get(cls.IMAGE_PROPERTIES))
    return result


def _hidden(tmpl):
    """Whether each OS::Glance::Image of a template is hidden."""
    cls = image_resource.GlanceImage
    return dict((name, bool(props.get(cls.HIDDEN)))
                for name, props in _images(tmpl).items())


class HeatTemplatesTest(base.FunctionalTestCase):

    def run_template(self, name):
        if name in ADMIN_TEMPLATES:
            self.ctx = heat.make_context(self.glance_server.url, heat.ADMIN)
        tmpl = self.template_file(name)
        params = TEMPLATE_PARAMS.get(name)
        stk = self.create_stack(tmpl, params=params and params(self))
        expected = _expected(tmpl)
        self.assertTrue(expected, 'no OS::Glance::Image in %s' % name)
        ids = {}
        self.assert_images(stk, tmpl)
        for res_name in expected:
            ids[res_name] = self.image_id(stk, res_name)

        companion = name[:-len('.yaml')] + UPDATE_SUFFIX
        if os.path.exists(os.path.join(base.TEMPLATES, companion)):
            new = self.template_file(companion)
            self.update_stack(stk, new)
            self.assert_images(stk, new)
            for res_name in _expected(new):
                if res_name in ids:
                    self.assertEqual(ids[res_name],
                                     self.image_id(stk, res_name))

    def assert_images(self, stk, tmpl):
        """Each image has the free properties and os_hidden it must."""
        hidden = _hidden(tmpl)
        for res_name, props in _expected(tmpl).items():
            self.assertEqual(props, self.props(stk, res_name))
            self.assertEqual(hidden[res_name],
                             self.image(stk, res_name).os_hidden, res_name)

    def test_every_template_has_a_test(self):
        methods = [m for m in dir(self) if m.startswith('test_template_')]
        self.assertEqual(len(_templates()), len(methods))


def _make_test(name):
    def test(self):
        self.run_template(name)
    return test


for _name in _templates():
    _method = 'test_template_' + _name[:-len('.yaml')].replace('-', '_')
    setattr(HeatTemplatesTest, _method, _make_test(_name))
