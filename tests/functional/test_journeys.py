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
import uuid

from glanceclient import exc as glance_exc
from heat.common import exception
from heat.db import api as heat_db_api
from heat.engine.resources.openstack.glance import image as heat_image
from oslo_config import cfg

from heat_glance_props.resources import image as plugin_image
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

    def assert_same_image(self, stk, image_id, a, hidden):
        """The journey's image: its id, its keys, hidden or not."""
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_props({'os_distro': 'ubuntu', 'os_version': '24.04',
                           'a': a}, stk)
        self.assertIs(hidden, self.image(stk).os_hidden)

    def test_first_class_keys_in_the_map_and_hidden(self):
        # Created with keys of first-class properties in the map, as a map
        # copied from "openstack image create --property" has them, and
        # shown (hidden: false makes the template manage os_hidden).
        tmpl = self.tmpl({'os_distro': 'ubuntu', 'os_version': '24.04',
                          'a': '1'}, hidden=False)
        stk = self.create(tmpl)
        image_id = self.image_id(stk)
        self.assert_same_image(stk, image_id, a='1', hidden=False)
        self.assert_check(stk)

        # Drift, made with a plain Glance client: a key set through the
        # map, and os_hidden.
        self.admin.images.update(image_id, os_distro='debian',
                                 os_hidden=True)
        reason = self.assert_check(stk, ok=False)
        self.assertIn("key 'os_distro' is 'debian' in Glance (template: "
                      "'ubuntu')", reason)
        self.assertIn("'hidden' is 'True' in Glance (template: 'False')",
                      reason)
        counter = self.counter()
        self.update_stack(stk, tmpl, converge=True)
        self.assertEqual(1, counter.count('PATCH'))
        self.assert_same_image(stk, image_id, a='1', hidden=False)
        self.assert_check(stk)

        # The keys move to the first-class property and to
        # extra_properties, and the image is hidden: one request, for
        # os_hidden only; no key is removed.
        moved = self.tmpl({'a': '1'}, os_distro='ubuntu', hidden=True,
                          extra_properties={'os_version': '24.04'})
        counter = self.counter()
        self.update_stack(stk, moved)
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assert_same_image(stk, image_id, a='1', hidden=True)

        # Drift again, now of the first-class property and of hidden the
        # other way round; check and converge see both.
        self.admin.images.update(image_id, os_distro='drifted',
                                 os_hidden=False, remove_props=['os_version'])
        reason = self.assert_check(stk, ok=False)
        self.assertIn("key 'os_distro' is 'drifted' in Glance (template: "
                      "'ubuntu')", reason)
        self.assertIn("key 'os_version' is missing (template: '24.04')",
                      reason)
        self.assertIn("'hidden' is 'False' in Glance (template: 'True')",
                      reason)
        self.update_stack(stk, moved, converge=True)
        self.assert_same_image(stk, image_id, a='1', hidden=True)
        self.assert_check(stk)

        # An update Glance refuses (a protected key), which also moves
        # the keys back to the map and shows the image: rolled back, the
        # image as it was.
        bad = self.tmpl({'os_distro': 'ubuntu', 'os_version': '24.04',
                         'a': '2', PROTECTED: 'x'})
        self.update_stack(stk, bad, check=False, disable_rollback=False)
        self.assertEqual(('ROLLBACK', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.assert_same_image(stk, image_id, a='1', hidden=True)
        self.assert_check(stk)

        # The fixed update: the same image, shown, a changed, nothing lost.
        fixed = self.tmpl({'os_distro': 'ubuntu', 'os_version': '24.04',
                           'a': '2'}, hidden=False)
        self.update_stack(stk, fixed)
        self.assert_same_image(stk, image_id, a='2', hidden=False)
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


class ReplacementTest(base.FunctionalTestCase):
    """What the template really changes still gets a new image."""

    shape = 'conversion'

    def test_changing_location_or_container_format_replaces(self):
        def qcow2_url():
            return self.data.add('qcow2-%s' % uuid.uuid4().hex,
                                 data=qcow2_bytes())

        tmpl = self.template(properties={'a': '1'}, disk_format='qcow2')
        stk = self.create_stack(tmpl, params={'image_url': qcow2_url()})
        first = self.image_id(stk)
        self.assertEqual('raw', self.image(stk).disk_format)
        # Glance's raw is not a change, but a new location is: a new image
        # from it, and the old one is deleted.
        self.expect_images(created=1, deleted=1)
        self.update_stack(stk, tmpl, params={'image_url': qcow2_url()})
        second = self.image_id(stk)
        self.assertNotEqual(first, second)
        self.assertRaises(glance_exc.HTTPNotFound, self.admin.images.get,
                          first)
        self.assertEqual({'a': '1'}, self.props(stk))
        # So is a new container_format.
        self.expect_images(created=1, deleted=1)
        self.update_stack(stk, self.template(properties={'a': '1'},
                                             disk_format='qcow2',
                                             container_format='ovf'))
        self.assertNotEqual(second, self.image_id(stk))
        # (Glance's conversion rewrites container_format to bare too.)
        self.assertEqual('bare', self.image(stk).container_format)
        # Settled: a converge finds nothing to change.
        self.update_stack(stk, self.template(properties={'a': '1'},
                                             disk_format='qcow2',
                                             container_format='ovf'),
                          converge=True)


class WebImageMigrationTest(base.FunctionalTestCase):
    """A stack of Heat's OS::Glance::WebImage moves to the plugin."""

    def web_stack(self, **props):
        """A stack of Heat's WebImage, settled."""
        web = self.template(resource_type='OS::Glance::WebImage', **props)
        # Heat's WebImage patches the image while Glance imports it, which
        # can leave the image queued for ever: the data is served after
        # that PATCH (see glance.DataAfterPatch).
        gate = glance.DataAfterPatch(os.urandom(4096), self.counter())
        stk = self.create_stack(web, params={'image_url': self.data.add(
            'web-%s' % uuid.uuid4().hex, data=gate)})
        self.assertFalse(gate.timed_out)
        self.assertIs(heat_image.GlanceWebImage, type(stk['image']))
        # Heat's WebImage does not wait for Glance's import task to let go
        # of the image; a stack that has run for a while is past that.
        self.assertTrue(heat.wait_for(lambda: not self.image(stk).get(
            'os_glance_import_task')))
        return stk

    def test_type_change_keeps_the_image(self):
        stk = self.web_stack(extra_properties={'a': '1', 'b': '2'},
                             tags=['t1'])
        image_id = self.image_id(stk)
        # WebImage sets extra_properties while Glance imports, and Glance
        # may then lose them: say for sure what the image has now. And
        # someone hid the image (WebImage has no property for that).
        self.admin.images.update(image_id, a='1', oob='kept',
                                 remove_props=['b'], os_hidden=True)

        # Step 1: only the type changes. Same image; the one request
        # restores the key WebImage lost; the image stays hidden (the
        # template does not set hidden).
        counter = self.counter()
        self.update_stack(stk, self.template(
            extra_properties={'a': '1', 'b': '2'}, tags=['t1']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertIsInstance(stk['image'], plugin_image.GlanceImage)
        self.assertEqual(1, counter.count('PATCH'))
        self.assertEqual({'a': '1', 'b': '2', 'oob': 'kept'},
                         self.props(stk))
        self.assertEqual(['t1'], self.image(stk).tags)
        self.assertIs(True, self.image(stk).os_hidden)

        # Step 2: the keys move to "properties". Still nothing to send.
        tmpl = self.template(properties={'a': '1', 'b': '2'}, tags=['t1'])
        counter = self.counter()
        self.update_stack(stk, tmpl)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(0, counter.count('PATCH'))
        self.assertEqual({'a': '1', 'b': '2', 'oob': 'kept'},
                         self.props(stk))

        # From then on, a plugin image: stored as one (a restarted
        # heat-engine loads it so), updated in place, checked, converged.
        stk = heat.load_stack(stk)
        self.assertIsInstance(stk['image'], plugin_image.GlanceImage)
        tmpl = self.template(properties={'a': '1', 'c': '3'}, tags=['t1'])
        self.update_stack(stk, tmpl)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'a': '1', 'c': '3', 'oob': 'kept'},
                         self.props(stk))
        self.admin.images.update(image_id, a='drifted')
        heat.check(stk)
        self.assertEqual(('CHECK', 'FAILED'), stk.state)
        self.update_stack(stk, tmpl, converge=True)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'a': '1', 'c': '3', 'oob': 'kept'},
                         self.props(stk))
        self.assertIs(True, self.image(stk).os_hidden)

        # The template shows the image: one request, the same image.
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'a': '1', 'c': '3'}, tags=['t1'], hidden=False))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertIs(False, self.image(stk).os_hidden)

    def test_type_change_with_first_class_keys_in_extra_properties(self):
        # Heat's WebImage sends extra_properties to Glance as they are,
        # os_distro and architecture included.
        keys = {'os_distro': 'ubuntu', 'architecture': 'x86_64', 'a': '1'}
        stk = self.web_stack(extra_properties=keys)
        image_id = self.image_id(stk)
        # WebImage sets extra_properties while Glance imports, and Glance
        # may then lose them: say for sure what the image has now. The
        # image was hidden by hand.
        self.admin.images.update(image_id, os_hidden=True, **keys)

        # Only the type changes (and the template says the image is
        # hidden): the same image, nothing to send.
        counter = self.counter()
        self.update_stack(stk, self.template(extra_properties=keys,
                                             hidden=True))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertIsInstance(stk['image'], plugin_image.GlanceImage)
        self.assertEqual(0, counter.count('PATCH'))
        self.assertEqual(keys, self.props(stk))
        self.assertIs(True, self.image(stk).os_hidden)

        # The keys move to "properties" and a first-class property:
        # still nothing to send; then they change in place.
        stk = heat.load_stack(stk)
        counter = self.counter()
        self.update_stack(stk, self.template(
            properties={'os_distro': 'ubuntu', 'a': '1'},
            architecture='x86_64', hidden=True))
        self.assertEqual(0, counter.count('PATCH'))
        self.assertEqual(keys, self.props(stk))
        tmpl = self.template(properties={'os_distro': 'debian', 'a': '1'},
                             architecture='aarch64', hidden=False)
        counter = self.counter()
        self.update_stack(stk, tmpl)
        self.assertEqual(image_id, self.image_id(stk))
        self.assert_patches(counter, image_id, 1, reads=0)
        self.assertEqual({'os_distro': 'debian', 'architecture': 'aarch64',
                          'a': '1'}, self.props(stk))
        self.assertIs(False, self.image(stk).os_hidden)
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)


class AdoptAbandonTest(base.FunctionalTestCase):
    """``stack adopt`` brings an existing image in; abandon leaves it."""

    def existing_image(self, **props):
        member = heat.glance(self.glance_server.url, heat.MEMBER)
        image = member.images.create(name='existing', disk_format='raw',
                                     container_format='bare', **props)
        self.addCleanup(self._delete_image, image.id)
        member.images.image_import(image.id, method='web-download',
                                   uri=self.image_url())
        self.assertTrue(heat.wait_for(lambda: self._settled(image.id)))
        return image.id

    def _settled(self, image_id):
        image = self.admin.images.get(image_id)
        return (image.status == 'active' and
                not image.get('os_glance_import_task'))

    def _delete_image(self, image_id):
        try:
            self.admin.images.delete(image_id)
        except glance_exc.HTTPNotFound:
            pass

    def test_adopt_then_update_then_abandon(self):
        image_id = self.existing_image(a='old', oob='kept')
        tmpl = self.template(properties={'a': '1', 'b': '2'},
                             name='adopted', tags=['t1'])
        counter = self.counter()
        stk = heat.adopt(self.ctx, tmpl,
                         {'resources': {'image': {'resource_id': image_id}}},
                         params={'image_url': self.image_url()})
        self.addCleanup(self._delete_stack, stk)
        self.assertEqual(('ADOPT', 'COMPLETE'), stk.state, stk.status_reason)
        self.assertEqual(image_id, self.image_id(stk))
        # The template applied in place: one PATCH, no new data.
        self.assertEqual(1, counter.count('PATCH'))
        self.assertEqual([], [r for r in counter.since()
                              if r[1].endswith('/import')])
        image = self.image(stk)
        self.assertEqual('adopted', image.name)
        self.assertEqual(['t1'], image.tags)
        self.assertEqual({'a': '1', 'b': '2', 'oob': 'kept'},
                         self.props(stk))
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)

        # Later updates are in place.
        stk = heat.load_stack(stk)
        self.update_stack(stk, self.template(properties={'a': '2'},
                                             name='adopted', tags=['t1']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual({'a': '2', 'oob': 'kept'}, self.props(stk))

        # Abandon: the stack goes, the image stays.
        data = heat.abandon(stk)
        self.assertEqual(image_id, data['resources']['image']['resource_id'])
        self.assertEqual('active', self.admin.images.get(image_id).status)
        self.assertEqual({'a': '2', 'oob': 'kept'}, base.free_properties(
            self.admin.images.get(image_id)))

    def test_adopting_an_image_without_data_fails_clearly(self):
        member = heat.glance(self.glance_server.url, heat.MEMBER)
        image = member.images.create(name='empty', disk_format='raw',
                                     container_format='bare')
        self.addCleanup(self._delete_image, image.id)
        stk = heat.adopt(self.ctx, self.template(properties={'a': '1'}),
                         {'resources': {'image': {'resource_id': image.id}}},
                         params={'image_url': self.image_url()})
        self.addCleanup(self._delete_stack, stk)
        self.assertEqual(('ADOPT', 'FAILED'), stk.state)
        self.assertIn('Image %s cannot be adopted: it is queued' % image.id,
                      stk.status_reason)
        self.assertEqual({}, base.free_properties(
            self.admin.images.get(image.id)))


class HarnessDatabaseTest(base.FunctionalTestCase):
    """Heat's database in the harness deletes what it must."""

    def test_a_deleted_resource_leaves_no_data_behind(self):
        none = {'heat_template_version': '2021-04-16',
                'resources': {'none': {'type': 'OS::Heat::None'}}}
        old = heat.create(self.ctx, none)
        old['none'].data_set('is_placeholder', 'True')
        old_id = old['none'].id
        old.delete()
        self.assertRaises(exception.NotFound,
                          heat_db_api.resource_data_get_all, self.ctx, old_id)

        # A new image resource (sqlite may reuse the row id) has clean
        # data and updates in place.
        stk = self.create_stack(self.template(properties={'a': '1'}))
        self.assertNotIn('is_placeholder', stk['image'].data())
        image_id = self.image_id(stk)
        self.update_stack(stk, self.template(properties={'a': '2'}))
        self.assertEqual(image_id, self.image_id(stk))
