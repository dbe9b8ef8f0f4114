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

"""Create completes only when Glance is done; a failed import fails fast."""

from tests.functional import base
from tests.harness import heat

#: Stacks in these tests time out after a minute: a create that did not
#: fail fast would end in a timeout message, which the tests reject.
TIMEOUT_MINS = 1


class ImportRaceTest(base.FunctionalTestCase):

    ROUNDS = 50

    def test_update_right_after_create_never_loses_a_property(self):
        # Glance reads "active" while its import task still holds the image
        # and then saves the image once more: a PATCH in that window can be
        # refused (500) or silently lost. Create must not complete before
        # Glance is done.
        failures = []
        for round_ in range(self.ROUNDS):
            first = {'round': round_, 'k': 'created'}
            second = {'round': round_, 'k': 'updated', 'added': 'yes'}
            stk = heat.create(self.ctx, self.template(properties=first),
                              {'image_url': self.image_url(size=65536)})
            try:
                if stk.state != ('CREATE', 'COMPLETE'):
                    failures.append((round_, stk.status_reason))
                    continue
                heat.update(stk, self.template(properties=second),
                            dict(stk.env.params))
                if stk.state != ('UPDATE', 'COMPLETE'):
                    failures.append((round_, stk.status_reason))
                    continue
                image = self.image(stk)
                expected = {'round': str(round_), 'k': 'updated',
                            'added': 'yes'}
                if base.free_properties(image) != expected:
                    failures.append((round_, base.free_properties(image)))
                if image.status != 'active' or image.get(
                        'os_glance_import_task'):
                    failures.append((round_, image.status))
            finally:
                stk.delete()
        self.assertEqual([], failures)


class FailedImportTest(base.FunctionalTestCase):

    def assert_import_failed(self, url):
        images_before = self.all_image_ids()
        stk = self.create_stack(self.template(properties={'k': 'v'}),
                                {'image_url': url}, check=False,
                                timeout_mins=TIMEOUT_MINS)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        reason = stk.status_reason
        self.assertIn('Glance could not import the data of image', reason)
        self.assertIn(url, reason)
        self.assertNotIn('timed out', reason)
        return stk, reason, images_before

    def test_404_fails_fast_with_glance_reason(self):
        url = self.image_url(mode='missing')
        stk, reason, _before = self.assert_import_failed(url)
        # Glance's own reason, as its task API tells it.
        self.assertIn('Task failed due to Internal Error', reason)
        self.assertIn('import task', reason)
        self.assertEqual(1, self.data.hits(url.rsplit('/', 1)[1]))
        # The failed image is the stack's: deleting the stack removes it.
        image_id = self.image_id(stk)
        self.assertIsNotNone(image_id)
        stk.delete()
        self.assertNotIn(image_id, self.all_image_ids())

    def test_connection_closed_mid_transfer_fails_fast(self):
        url = self.image_url(size=1 << 20, mode='truncate')
        stk, reason, _before = self.assert_import_failed(url)
        self.assertIn(self.image_id(stk), reason)
        self.assertIn('import task', reason)


class RefusedLocationTest(base.FunctionalTestCase):

    def assert_refused(self, url, *fragments):
        images_before = self.all_image_ids()
        stk = self.create_stack(self.template(properties={'k': 'v'}),
                                {'image_url': url}, check=False,
                                timeout_mins=TIMEOUT_MINS)
        self.assertEqual(('CREATE', 'FAILED'), stk.state)
        for fragment in fragments:
            self.assertIn(fragment, stk.status_reason)
        self.assertIsNone(self.image_id(stk))
        self.assertEqual(images_before, self.all_image_ids())

    def test_port_not_allowed(self):
        self.assert_refused('http://127.0.0.1:1/image.raw',
                            'does not pass filtering',
                            'http://127.0.0.1:1/image.raw')

    def test_scheme_not_allowed(self):
        self.assert_refused('file:///etc/passwd', 'does not pass filtering')


class ActiveTest(base.FunctionalTestCase):

    identity = heat.ADMIN

    def test_deactivate_and_reactivate_in_place(self):
        stk = self.create_stack(self.template(properties={'k': 'v'},
                                              active=False))
        image_id = self.image_id(stk)
        self.assertEqual('deactivated', self.image(stk).status)
        self.update_stack(stk, self.template(properties={'k': 'w'},
                                             active=True))
        self.assertEqual(image_id, self.image_id(stk))
        image = self.image(stk)
        self.assertEqual('active', image.status)
        self.assertEqual({'k': 'w'}, base.free_properties(image))
        self.update_stack(stk, self.template(properties={'k': 'w'},
                                             active=False))
        self.assertEqual('deactivated', self.image(stk).status)
