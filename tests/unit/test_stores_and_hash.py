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

import hashlib

import testtools

from heat_glance_props import datahash
from heat_glance_props import stores


class StoresTest(testtools.TestCase):

    def test_parse(self):
        self.assertEqual(['a', 'b'], stores.parse('a, b,'))
        self.assertEqual([], stores.parse(None))
        self.assertEqual(['a'], stores.parse(['a', '']))

    def test_known_skips_glance_internal_stores(self):
        self.assertEqual(['local'], stores.known({'stores': [
            {'id': 'local'}, {'id': 'os_glance_staging_store'}]}))

    def test_problems(self):
        self.assertEqual([], stores.problems(['a'], ['a', 'b']))
        self.assertIn('no multiple stores', stores.problems(['a'], None)[0])
        self.assertIn("unknown store(s) 'c'",
                      stores.problems(['a', 'c'], ['a', 'b'])[0])
        self.assertIn('lists no store', stores.problems([], ['a'])[0])
        self.assertIn('more than once', stores.problems(['a', 'a'],
                                                        ['a'])[0])

    def test_failed_and_pending(self):
        image = {'os_glance_failed_import': 'x,y',
                 'os_glance_importing_to_stores': 'z',
                 'os_glance_import_task': 't1'}
        self.assertEqual(['y'], stores.failed(image, ['y', 'z']))
        self.assertEqual(['z'], stores.pending(image))
        # Left behind with no task holding the image: stale.
        del image['os_glance_import_task']
        self.assertEqual([], stores.pending(image))


class HashTest(testtools.TestCase):

    DATA = b'some image data' * 100

    def verify(self, algorithm, value, glance_algo='sha512', **kwargs):
        return datahash.verify(
            'img', algorithm, value, glance_algo,
            hashlib.sha512(self.DATA).hexdigest(), **kwargs)

    def test_same_algorithm_compares_glance_hash(self):
        self.assertEqual('glance', self.verify(
            'sha512', hashlib.sha512(self.DATA).hexdigest().upper()))

    def test_other_algorithm_reads_the_data(self):
        chunks = [self.DATA[:10], self.DATA[10:]]
        self.assertEqual('download', self.verify(
            'sha256', hashlib.sha256(self.DATA).hexdigest(),
            read_data=lambda: iter(chunks)))

    def test_mismatch_names_both(self):
        exc = self.assertRaises(
            datahash.Mismatch, self.verify, 'sha256', '0' * 64,
            read_data=lambda: [self.DATA])
        self.assertIn('expected %s, got %s' % (
            '0' * 64, hashlib.sha256(self.DATA).hexdigest()), str(exc))

    def test_cannot_verify(self):
        exc = self.assertRaises(datahash.HashError, self.verify, 'sha256',
                                '0' * 64)
        self.assertNotIsInstance(exc, datahash.Mismatch)
        self.assertIn('reading the data back is turned off', str(exc))
        exc = self.assertRaises(datahash.HashError, self.verify, 'sha512',
                                '0' * 128, converted=('qcow2', 'raw'))
        self.assertIn('disk_format qcow2 to raw', str(exc))

    def test_value_problem(self):
        self.assertIsNone(datahash.value_problem('sha256', 'A' * 64))
        self.assertIn('64 hexadecimal', datahash.value_problem('sha256',
                                                               'xyz'))
        self.assertIn('not one of', datahash.value_problem('md4', 'ab'))
