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

"""Images in several Glance stores, and data checked against a hash.

The harness's Glance has two file stores (``glance.STORES``); tests that
need a broken store or a Glance without multiple stores start their own.
Copying an image to a store and deleting it from one are admin actions in
Glance's default policy, so the store tests run as an admin.
"""

import hashlib
import os
import uuid

from heat.common import exception
from oslo_config import cfg

from heat_glance_props import opts
from tests.functional import base
from tests.functional import test_journeys
from tests.harness import glance
from tests.harness import heat


def stores_of(image):
    return sorted(s for s in (image.get('stores') or '').split(',') if s)


class StoresTest(base.FunctionalTestCase):

    identity = heat.ADMIN

    def test_create_add_remove_check_converge_same_image(self):
        stk = self.create_stack(self.template(properties={'a': '1'},
                                              stores=['fast']))
        image_id = self.image_id(stk)
        self.assertEqual(['fast'], stores_of(self.image(stk)))

        # Add a store: the same image is copied there.
        self.update_stack(stk, self.template(properties={'a': '1'},
                                             stores=['fast', 'local']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['fast', 'local'], stores_of(self.image(stk)))
        heat.check(stk)
        self.assertEqual(('CHECK', 'COMPLETE'), stk.state, stk.status_reason)

        # Out of band, the image leaves a store: the check says so, and a
        # converge copies it back.
        self.admin.http_client.delete('/v2/stores/fast/%s' % image_id)
        heat.check(stk)
        self.assertEqual(('CHECK', 'FAILED'), stk.state)
        self.assertIn("the image is not in store 'fast'", stk.status_reason)
        self.update_stack(stk, self.template(properties={'a': '1'},
                                             stores=['fast', 'local']),
                          converge=True)
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['fast', 'local'], stores_of(self.image(stk)))

        # Remove a store: only that one goes.
        self.update_stack(stk, self.template(properties={'a': '2'},
                                             stores=['local']))
        self.assertEqual(image_id, self.image_id(stk))
        image = self.image(stk)
        self.assertEqual(['local'], stores_of(image))
        self.assertEqual('active', image.status)
        self.assertEqual({'a': '2'}, base.free_properties(image))

        # Move to the other store: copied first, then removed.
        self.update_stack(stk, self.template(properties={'a': '2'},
                                             stores=['fast']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['fast'], stores_of(self.image(stk)))

    def test_unknown_store_is_refused_at_validation(self):
        before = self.all_image_ids()
        exc = self.assertRaises(
            exception.StackValidationFailed, heat.create, self.ctx,
            self.template(stores=['local', 'nowhere']),
            {'image_url': self.image_url()})
        self.assertIn("unknown store(s) 'nowhere'; this Glance has 'local', "
                      "'fast'", str(exc))
        self.assertEqual(before, self.all_image_ids())

    def test_member_may_not_copy_by_default(self):
        member_ctx = heat.make_context(self.glance_server.url, heat.MEMBER)
        stk = heat.create(member_ctx, self.template(stores=['local']),
                          {'image_url': self.image_url()})
        self.addCleanup(self._delete_stack, stk)
        self.assertEqual(('CREATE', 'COMPLETE'), stk.state,
                         stk.status_reason)
        self.update_stack(stk, self.template(stores=['local', 'fast']),
                          check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn("Glance's policy does not allow this change",
                      stk.status_reason)
        self.assertEqual(['local'], stores_of(self.image(stk)))


class BrokenStoreTest(base.FunctionalTestCase):
    """A Glance of its own, with a third store that fails every write."""

    identity = heat.ADMIN

    def setUp(self):
        super(BrokenStoreTest, self).setUp()
        self.server = self.use_own_glance(
            stores=glance.STORES + ('broken',))

    def test_failed_copy_changes_nothing_then_retry_in_place(self):
        stk = self.create_stack(self.template(properties={'a': '1'},
                                              stores=['local']))
        image_id = self.image_id(stk)
        self.server.break_store('broken')
        self.update_stack(stk, self.template(properties={'a': '1'},
                                             stores=['local', 'broken']),
                          check=False)
        self.assertEqual(('UPDATE', 'FAILED'), stk.state)
        self.assertIn("Glance could not copy image %s to store(s) 'broken'"
                      % image_id, stk.status_reason)
        self.assertIn("The image is unchanged in 'local'", stk.status_reason)
        image = self.image(stk)
        self.assertEqual(['local'], stores_of(image))
        self.assertEqual('active', image.status)
        self.assertEqual({'a': '1'}, base.free_properties(image))

        # The template names a working store instead: in place.
        self.update_stack(stk, self.template(properties={'a': '1'},
                                             stores=['local', 'fast']))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(['fast', 'local'], stores_of(self.image(stk)))


class SingleStoreGlanceTest(base.FunctionalTestCase):
    """A Glance without enabled_backends has no stores to choose."""

    def setUp(self):
        super(SingleStoreGlanceTest, self).setUp()
        self.use_own_glance(stores=())

    def test_stores_refused_with_a_clear_message(self):
        exc = self.assertRaises(
            exception.StackValidationFailed, heat.create, self.ctx,
            self.template(stores=['local']), {'image_url': self.image_url()})
        self.assertIn('this Glance has no multiple stores', str(exc))
        self.assertEqual(set(), self.all_image_ids())
        # Without "stores", the same template works.
        stk = self.create_stack(self.template(properties={'a': '1'}))
        self.assertEqual('active', self.image(stk).status)


class ExpectedHashTest(base.FunctionalTestCase):

    def publish(self, data, name=None):
        return self.data.add(name or 'img-%s' % uuid.uuid4().hex, data=data)

    def file_reads(self, counter, image_id):
        return counter.since().count(['GET', '/v2/images/%s/file' % image_id])

    def test_glance_algorithm_is_compared_without_reading_data(self):
        data = os.urandom(65536)
        counter = self.counter()
        stk = self.create_stack(
            self.template(expected_hash={
                'algorithm': 'sha512',
                'value': hashlib.sha512(data).hexdigest().upper()}),
            params={'image_url': self.publish(data)})
        self.assertEqual('active', self.image(stk).status)
        self.assertEqual(0, self.file_reads(counter, self.image_id(stk)))

    def test_publisher_sha256_reads_the_data_back_once(self):
        data = os.urandom(65536)
        counter = self.counter()
        stk = self.create_stack(
            self.template(expected_hash={
                'value': hashlib.sha256(data).hexdigest()}),
            params={'image_url': self.publish(data)})
        self.assertEqual('active', self.image(stk).status)
        self.assertEqual(1, self.file_reads(counter, self.image_id(stk)))

    def test_wrong_hash_fails_with_both_values_and_leaves_no_image(self):
        data = os.urandom(4096)
        wrong = hashlib.sha256(b'other data').hexdigest()
        before = self.all_image_ids()
        stk = self.create_stack(
            self.template(expected_hash={'value': wrong}),
            params={'image_url': self.publish(data)}, check=False)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('expected %s, got %s' % (
            wrong, hashlib.sha256(data).hexdigest()), stk.status_reason)
        self.assertEqual(before, self.all_image_ids())

    def test_download_turned_off_asks_for_glance_algorithm(self):
        cfg.CONF.set_override('verify_by_download', False,
                              group=opts.GROUP)
        self.addCleanup(cfg.CONF.clear_override, 'verify_by_download',
                        group=opts.GROUP)
        data = os.urandom(4096)
        before = self.all_image_ids()
        stk = self.create_stack(
            self.template(expected_hash={
                'value': hashlib.sha256(data).hexdigest()}),
            params={'image_url': self.publish(data)}, check=False)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('this Glance hashes with sha512, and reading the data '
                      'back is turned off', stk.status_reason)
        self.assertEqual(before, self.all_image_ids())

    def test_malformed_hash_is_refused_at_validation(self):
        exc = self.assertRaises(
            exception.StackValidationFailed, heat.create, self.ctx,
            self.template(expected_hash={'value': 'abc'}),
            {'image_url': self.image_url()})
        self.assertIn('a sha256 hash is 64 hexadecimal digits', str(exc))

    def test_changed_hash_in_place_unless_the_data_differs(self):
        data = os.urandom(65536)
        name = 'current-%s' % uuid.uuid4().hex
        url = self.publish(data, name)
        stk = self.create_stack(
            self.template(expected_hash={
                'value': hashlib.sha256(data).hexdigest()}),
            params={'image_url': url})
        image_id = self.image_id(stk)

        # Another hash of the same data: checked, in place.
        counter = self.counter()
        self.update_stack(stk, self.template(expected_hash={
            'algorithm': 'sha512', 'value': hashlib.sha512(data).hexdigest()}))
        self.assertEqual(image_id, self.image_id(stk))
        self.assertEqual(0, counter.count('PATCH'))

        # The publisher put new data at the same URL and a new sum: the
        # image's data does not have it, so a new image is imported and
        # verified, and the old one goes.
        new_data = os.urandom(65536)
        self.publish(new_data, name)
        self.expect_images(created=1, deleted=1)
        self.update_stack(stk, self.template(expected_hash={
            'value': hashlib.sha256(new_data).hexdigest()}))
        self.assertNotEqual(image_id, self.image_id(stk))
        self.assertEqual(hashlib.sha512(new_data).hexdigest(),
                         self.image(stk).os_hash_value)


class ConvertedHashTest(base.FunctionalTestCase):

    shape = 'conversion'

    def test_conversion_is_said_not_hidden(self):
        data = test_journeys.qcow2_bytes()
        before = self.all_image_ids()
        stk = self.create_stack(
            self.template(disk_format='qcow2', expected_hash={
                'value': hashlib.sha256(data).hexdigest()}),
            params={'image_url': self.data.add(
                'qcow2-%s' % uuid.uuid4().hex, data=data)}, check=False)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        self.assertIn('Glance converted its data on import (disk_format '
                      'qcow2 to raw)', stk.status_reason)
        self.assertEqual(before, self.all_image_ids())
