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

"""The journeys users chain, on each Glance set-up operators run.

Each journey runs against a real Glance of every shape of
``tests.harness.glance.SHAPES``: plain, converting every image to raw on
import (``image_conversion``), and injecting metadata on import
(``inject_image_metadata``); property protections are on in all of them.
The image id must never change, and the replacement guard of
``base.FunctionalTestCase`` fails the test if Glance creates or deletes an
image during an update or a check.
"""

import os
import subprocess
import tempfile

from glanceclient import exc as glance_exc
from oslo_config import cfg

from tests.functional import base
from tests.harness import glance
from tests.harness import heat

PROTECTED = glance.PROTECTED_PREFIX + 'key'


def qcow2_bytes(size='1M'):
    """A real, empty qcow2 disk image made by qemu-img."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'disk.qcow2')
        subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', path,
                        size], check=True)
        with open(path, 'rb') as f:
            return f.read()


class JourneyMixin(object):
    """The journeys; a subclass names the Glance shape."""

    #: The disk_format of the template.
    disk_format = 'raw'

    #: What the image's disk_format is in Glance after the import.
    stored_format = 'raw'

    #: Keys Glance adds to the image on its own.
    added_keys = {}

    def data_url(self):
        return self.image_url()

    def tmpl(self, properties, **extra):
        extra.setdefault('disk_format', self.disk_format)
        return self.template(properties=properties, **extra)

    def create(self, tmpl):
        return self.create_stack(tmpl, params={'image_url': self.data_url()})

    def assert_props(self, expected, stk):
        self.assertEqual(dict(expected, **self.added_keys), self.props(stk))

    def assert_check(self, stk, ok=True):
        heat.check(stk)
        if ok:
            self.assertEqual(('CHECK', 'COMPLETE'), stk.state,
                             stk.status_reason)
        else:
            self.assertEqual(('CHECK', 'FAILED'), stk.state)
        return stk.status_reason

    def observe_on_update(self):
        cfg.CONF.set_override('observe_on_update', True)
        self.addCleanup(cfg.CONF.clear_override, 'observe_on_update')

    def test_create_check_update_converge_observe_delete(self):
        tmpl = self.tmpl({'a': '1', 'b': '2'}, tags=['t1'])
        stk = self.create(tmpl)
        image_id = self.image_id(stk)
        image = self.image(stk)
        self.assertEqual(self.stored_format, image.disk_format)
        self.assertEqual('active', image.status)
        self.assert_props({'a': '1', 'b': '2'}, stk)
        self.assert_check(stk)

        # An update is in place.
        tmpl = self.tmpl({'a': '1', 'b': '3', 'c': '4'}, tags=['t1'])
        self.update_stack(stk, tmpl)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '1', 'b': '3', 'c': '4'}, stk)

        # Drift of managed keys, and keys and a tag outside the template.
        self.admin.images.update(image_id, b='drifted', unmanaged='kept',
                                 remove_props=['c'])
        self.admin.image_tags.update(image_id, 'oob-tag')
        reason = self.assert_check(stk, ok=False)
        self.assertIn("key 'b' is 'drifted' in Glance (template: '3')",
                      reason)
        self.assertIn("key 'c' is missing (template: '4')", reason)
        for word in ['unmanaged', 'oob-tag', 'disk_format'] + list(
                self.added_keys):
            self.assertNotIn(word, reason)

        # Converge, as the check says: the same image, the managed keys
        # restored, everything else kept.
        self.update_stack(stk, tmpl, converge=True)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '1', 'b': '3', 'c': '4',
                           'unmanaged': 'kept'}, stk)
        image = self.image(stk)
        self.assertEqual(['oob-tag', 't1'], sorted(image.tags))
        self.assertEqual(self.stored_format, image.disk_format)
        self.assert_check(stk)

        # In sync: converging again sends nothing (no flapping).
        counter = self.counter()
        self.update_stack(stk, tmpl, converge=True)
        self.assertEqual(0, counter.count('PATCH'))
        self.assertEqual(0, counter.count('DELETE'))

        # heat-engine with observe_on_update: every update reads Glance.
        self.observe_on_update()
        self.admin.images.update(image_id, a='drifted-again')
        tmpl = self.tmpl({'a': '1', 'b': '5', 'c': '4'}, tags=['t1'])
        self.update_stack(stk, tmpl)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '1', 'b': '5', 'c': '4',
                           'unmanaged': 'kept'}, stk)
        counter = self.counter()
        self.update_stack(stk, tmpl)
        self.assertEqual(0, counter.count('PATCH'))
        self.assert_check(stk)

        # Delete removes the image.
        stk.delete()
        self.assertEqual(('DELETE', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assertRaises(glance_exc.HTTPNotFound, self.admin.images.get,
                          image_id)

    def test_failed_update_rollback_then_retry(self):
        stk = self.create(self.tmpl({'a': '1'}))
        image_id = self.image_id(stk)
        bad = self.tmpl({'a': '2', PROTECTED: 'x'})

        self.update_stack(stk, bad, check=False, disable_rollback=False)
        self.assertEqual(('ROLLBACK', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '1'}, stk)

        self.update_stack(stk, bad, check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn("'%s'" % PROTECTED, stk.status_reason)
        self.assertEqual(image_id, self.image_id(stk))

        # The retry with a fixed template patches the same image.
        self.update_stack(stk, self.tmpl({'a': '2', 'b': '1'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '2', 'b': '1'}, stk)
        self.assert_check(stk)

    def test_failed_check_then_update_and_converge_in_place(self):
        stk = self.create(self.tmpl({'a': '1'}))
        image_id = self.image_id(stk)

        # After a failed check, an ordinary update is in place.
        self.admin.images.update(image_id, a='drifted')
        self.assert_check(stk, ok=False)
        self.update_stack(stk, self.tmpl({'a': '2'}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '2'}, stk)

        # A deactivated image fails the check; converge reactivates it.
        self.admin.images.deactivate(image_id)
        reason = self.assert_check(stk, ok=False)
        self.assertIn('the image is deactivated, not active', reason)
        self.update_stack(stk, self.tmpl({'a': '2'}), converge=True)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual('active', self.image(stk).status)
        self.assert_check(stk)

        # A failed check of an image that is gone: the next update makes
        # a new one (the only replacement of this journey).
        self.admin.images.delete(image_id)
        self.assert_check(stk, ok=False)
        self.expect_images(created=1)
        self.update_stack(stk, self.tmpl({'a': '2'}))
        self.assertNotEqual(image_id, self.image_id(stk))
        self.assert_props({'a': '2'}, stk)


class PlainGlanceJourneyTest(JourneyMixin, base.FunctionalTestCase):
    shape = 'plain'


class ConvertingGlanceJourneyTest(JourneyMixin, base.FunctionalTestCase):
    """Glance stores every image as raw: qcow2 in the template stays."""

    shape = 'conversion'
    disk_format = 'qcow2'
    stored_format = 'raw'

    def data_url(self):
        return self.data.add('qcow2-%s' % self.id(), data=qcow2_bytes())


class InjectingGlanceJourneyTest(JourneyMixin, base.FunctionalTestCase):
    """Glance adds keys to every image a member imports."""

    shape = 'inject'
    added_keys = glance.INJECTED
