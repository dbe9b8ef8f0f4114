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

"""The requests to Glance: heat_glance_props.glance.calls, without Heat.

Through a real glanceclient v2 client to a stand-in for Glance's image API
(tests/unit/glanceserver.py, a local HTTP server that is NOT Glance): the
tests count the requests and script Glance's refusals. The functional
tier runs the same code against a real glance-api.
"""

import hashlib
import logging

import fixtures
from glanceclient import exc as glance_exc
import testtools

from heat_glance_props import datahash
from heat_glance_props import glance
from heat_glance_props.glance import calls
from heat_glance_props.glance import plan
from heat_glance_props import imageprops
from tests.unit import glanceserver

NO_CHECK = ('off', None, None)


def changes(old=None, new=None, **kwargs):
    """A plan.Changes of the free properties ``old`` -> ``new``."""
    fields = dict(patch=imageprops.compute_patch(old or {}, new or {}),
                  attributes={}, tags=([], []), members=([], []),
                  active=None, stores=([], []))
    fields.update(kwargs)
    return plan.Changes(**fields)


class CallsTestCase(testtools.TestCase):

    def setUp(self):
        super(CallsTestCase, self).setUp()
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        self.glance = glanceserver.FakeGlance()
        self.addCleanup(self.glance.stop)
        self.client = self.glance.client()

    def path(self, image_id, sub=''):
        return '/v2/images/%s%s' % (image_id, sub)

    def sent(self, method=None):
        return [(m, p) for m, p, _b in self.glance.sent(method)]


class CreateTest(CallsTestCase):

    def test_one_post_with_the_whole_body_then_the_import(self):
        body = {'name': 'img', 'disk_format': 'raw', 'backend': 'x',
                'visibility': 'private'}
        image_id = calls.post_image(self.client, body)
        calls.start_import(self.client, image_id, 'http://data/img', None)
        calls.add_members(self.client, image_id, ['p1'])
        self.assertEqual([
            ('POST', '/v2/images', body),
            ('POST', self.path(image_id, '/import'),
             {'method': {'name': 'web-download',
                         'uri': 'http://data/img'}}),
            ('POST', self.path(image_id, '/members'), {'member': 'p1'}),
        ], self.glance.sent())

    def test_post_with_a_taken_id(self):
        image_id = self.glance.add(status='active')
        self.glance.fail('POST', '/v2/images', 409,
                         'Image ID %s already exists!' % image_id)
        exc = self.assertRaises(glance.IdTaken, calls.post_image,
                                self.client, {'id': image_id, 'name': 'x'})
        self.assertEqual(image_id, exc.image_id)
        self.assertIn('an image with id %s exists or existed' % image_id,
                      str(exc))
        exc = self.assertRaises(glance.IdTaken, calls.check_id_free,
                                self.client, image_id)
        self.assertIn("remove 'id' from the template", str(exc))
        calls.check_id_free(self.client, 'free-id')

    def test_resume_step_reads_only_what_it_needs(self):
        self.assertEqual(('post', None),
                         calls.resume_step(self.client, 'never-made'))
        self.assertEqual([('GET', self.path('never-made'))], self.sent())
        importing = self.glance.add(status='queued',
                                    os_glance_import_task='t1')
        self.assertEqual('finish',
                         calls.resume_step(self.client, importing)[0])
        self.assertEqual(0, len([p for _m, p in self.sent()
                                 if p.endswith('/tasks')]))
        # A queued image no import holds: its tasks say whether an import
        # ever started.
        posted = self.glance.add(status='queued')
        self.assertEqual('import',
                         calls.resume_step(self.client, posted)[0])
        self.assertEqual(('GET', self.path(posted, '/tasks')),
                         self.sent()[-1])
        self.glance.tasks[posted] = [{'id': 't2', 'status': 'failure'}]
        self.assertEqual('replace',
                         calls.resume_step(self.client, posted)[0])
        self.assertEqual('import', calls.resume_step(
            self.client, posted, own_id=True)[0])
        # Tasks that cannot be read: a failed import shows on the image.
        self.glance.fail('GET', self.path(posted, '/tasks'), 404)
        self.assertEqual('import',
                         calls.resume_step(self.client, posted)[0])
        self.glance.images[posted]['os_glance_failed_import'] = 'local'
        self.glance.fail('GET', self.path(posted, '/tasks'), 404)
        self.assertEqual('replace',
                         calls.resume_step(self.client, posted)[0])

    def test_import_into_stores(self):
        image_id = self.glance.add(status='queued')
        calls.start_import(self.client, image_id, 'http://d/i', ['a', 'b'],
                           all_stores_must_succeed=False)
        calls.start_import(self.client, image_id, 'http://d/i', ['a'])
        bodies = [b for _m, _p, b in self.glance.sent()]
        self.assertEqual([False, None], [
            b.get('all_stores_must_succeed') for b in bodies])
        self.assertEqual([['a', 'b'], ['a']], [b['stores'] for b in bodies])

    def test_discard_unprotects_first(self):
        image_id = self.glance.add(protected=True)
        self.assertTrue(calls.discard(self.client, image_id, True))
        # glanceclient's images.update reads the image before and after.
        self.assertEqual(['GET', 'PATCH', 'GET', 'DELETE'],
                         [m for m, _p in self.sent()])
        self.assertEqual({}, self.glance.images)

    def test_discard_of_a_gone_image_and_a_failure(self):
        self.assertTrue(calls.discard(self.client, 'gone'))
        image_id = self.glance.add(protected=True)
        # Not unprotected (the template said it is not protected): the
        # delete fails, and the failure is logged, not raised.
        self.assertFalse(calls.discard(self.client, image_id, False))
        self.assertIn(image_id, self.glance.images)
        self.assertIn('Could not delete image %s after its create failed: '
                      'HTTP 403 Forbidden' % image_id, self.log.output)

    def test_failed_import_task_is_the_newest_failure(self):
        image_id = self.glance.add(status='queued')
        self.assertIsNone(calls.failed_import_task(self.client, image_id))
        self.glance.tasks[image_id] = [
            {'id': 't1', 'status': 'failure', 'updated_at': '2025-01-01'},
            {'id': 't2', 'status': 'failure', 'updated_at': '2025-01-03'},
            {'id': 't3', 'status': 'success', 'updated_at': '2025-01-04'},
        ]
        self.assertEqual('t2', calls.failed_import_task(
            self.client, image_id)['id'])
        # Unreadable (Glance refuses, or is gone): None, no error.
        self.assertIsNone(calls.failed_import_task(self.client, 'gone'))

    def test_import_failure_names_the_task_and_its_reason(self):
        image = {'id': 'i1', 'status': 'queued'}
        exc = calls.import_failure(
            image, {'id': 't2', 'message': 'data is not a vmdk'},
            'http://d/i', 'vmdk', NO_CHECK)
        self.assertIsInstance(exc, glance.ImportFailed)
        self.assertIn('import task t2 failed: data is not a vmdk (the '
                      'image is queued)', str(exc))
        exc = calls.import_failure(image, None, 'http://d/i', 'vmdk',
                                   NO_CHECK)
        self.assertIn('the import ended with the image queued', str(exc))


class HashTest(CallsTestCase):

    DATA = b'image data' * 1000

    def image(self, **doc):
        doc.setdefault('disk_format', 'raw')
        doc.setdefault('os_hash_algo', 'sha512')
        doc.setdefault('os_hash_value',
                       hashlib.sha512(self.DATA).hexdigest())
        image_id = self.glance.add(**doc)
        self.glance.data[image_id] = self.DATA
        return self.client.images.get(image_id)

    def expected(self, algorithm='sha256', data=DATA):
        return {'algorithm': algorithm,
                'value': hashlib.new(algorithm, data).hexdigest()}

    def test_nothing_expected(self):
        calls.verify_data(self.client, self.image(), None, 'raw', True)
        self.assertEqual([], self.glance.sent('GET')[1:])

    def test_glance_hash_compared_without_reading_the_data(self):
        calls.verify_data(self.client, self.image(),
                          self.expected('sha512'), 'raw', True)
        self.assertNotIn('/file', str(self.sent()))

    def test_other_algorithm_reads_the_data_back(self):
        image = self.image()
        calls.verify_data(self.client, image, self.expected(), 'raw', True)
        self.assertIn(('GET', self.path(image['id'], '/file')), self.sent())
        self.assertRaises(datahash.HashError, calls.verify_data,
                          self.client, image, self.expected(), 'raw', False)

    def test_mismatch_and_converted_data(self):
        image = self.image()
        self.assertRaises(datahash.Mismatch, calls.verify_data,
                          self.client, image, self.expected(data=b'x'),
                          'raw', True)
        exc = self.assertRaises(datahash.HashError, calls.verify_data,
                                self.client, image, self.expected(),
                                'qcow2', True)
        self.assertIn('disk_format qcow2 to raw', str(exc))

    def test_a_changed_expected_hash(self):
        image_id = self.image()['id']
        self.assertTrue(calls.data_has_hash(
            self.client, image_id, self.expected(), 'raw', True))
        self.assertFalse(calls.data_has_hash(
            self.client, image_id, self.expected(data=b'x'), 'raw', True))
        self.assertRaises(glance.GlanceError, calls.data_has_hash,
                          self.client, image_id, self.expected(), 'raw',
                          False)


class PatchTest(CallsTestCase):

    def setUp(self):
        super(PatchTest, self).setUp()
        self.image_id = self.glance.add(a='1', b='2', tags=['t1', 'own'])

    def test_nothing_to_change_sends_nothing(self):
        state = calls.write(self.client, self.image_id, changes())
        self.assertEqual([], self.glance.sent())
        self.assertEqual({'copy': [], 'drop': [], 'start': [], 'leave': [],
                          'active': None}, state)

    def test_one_patch_without_reading_the_image(self):
        calls.write(self.client, self.image_id, changes(
            {'a': '1', 'b': '2'}, {'a': '9', 'c': '3'},
            attributes={'name': 'n'}))
        self.assertEqual([('PATCH', self.path(self.image_id), [
            {'op': 'replace', 'path': '/name', 'value': 'n'},
            {'op': 'add', 'path': '/a', 'value': '9'},
            {'op': 'add', 'path': '/c', 'value': '3'},
            {'op': 'remove', 'path': '/b'},
        ])], self.glance.sent())
        image = self.glance.images[self.image_id]
        self.assertEqual(('n', '9', '3'), (image['name'], image['a'],
                                           image['c']))
        self.assertNotIn('b', image)

    def test_patch_during_a_task_of_glance_is_checked_when_it_ends(self):
        # Glance copies the image to a store (an operator, or an update
        # whose engine died): when its task ends it saves the image as it
        # read it at its start, undoing the PATCH.
        image = self.glance.images[self.image_id]
        image.update(os_glance_import_task='t1')
        state = calls.write(self.client, self.image_id, changes(
            {'a': '1', 'b': '2'}, {'a': '9'}, attributes={'name': 'n'},
            tags=(['t2'], ['t1'])))
        self.assertIsNotNone(state['reapply'])
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.assertEqual(1, len(self.glance.sent('PATCH')))
        self.glance.images[self.image_id] = dict(
            image, os_glance_import_task='')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        self.assertEqual([[
            {'op': 'replace', 'path': '/name', 'value': 'n'},
            {'op': 'replace', 'path': '/tags', 'value': ['own', 't2']},
            {'op': 'add', 'path': '/a', 'value': '9'},
            {'op': 'remove', 'path': '/b'},
        ]] * 2, [b for _m, _p, b in self.glance.sent('PATCH')])
        image = self.glance.images[self.image_id]
        self.assertEqual(('n', ['own', 't2'], '9', None),
                         (image['name'], image['tags'], image['a'],
                          image.get('b')))

    def test_patch_the_task_did_not_undo_is_not_sent_again(self):
        self.glance.images[self.image_id].update(os_glance_import_task='t1')
        state = calls.write(self.client, self.image_id, changes(
            {'a': '1'}, {'a': '9'}))
        self.glance.images[self.image_id].update(os_glance_import_task='')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        self.assertEqual(1, len(self.glance.sent('PATCH')))

    def test_task_holds(self):
        self.assertFalse(calls.task_holds(self.client, self.image_id))
        self.glance.images[self.image_id].update(os_glance_import_task='t1')
        self.assertTrue(calls.task_holds(self.client, self.image_id))
        self.assertEqual([], [r for r in self.glance.sent() if r[0] != 'GET'])

    def test_removal_of_a_key_already_gone_is_sent_again_after_one_read(self):
        calls.apply_patch(self.client, self.image_id, changes(
            {'a': '1', 'gone': 'x'}, {'c': '3'}))
        self.assertEqual([('PATCH', self.path(self.image_id)),
                          ('GET', self.path(self.image_id)),
                          ('PATCH', self.path(self.image_id))], self.sent())
        self.assertEqual([{'op': 'add', 'path': '/c', 'value': '3'},
                          {'op': 'remove', 'path': '/a'}],
                         self.glance.sent()[-1][2])

    def test_a_conflict_without_removals_is_not_retried(self):
        self.glance.fail('PATCH', self.path(self.image_id), 409, 'busy')
        self.assertRaises(glance_exc.HTTPConflict, calls.apply_patch,
                          self.client, self.image_id,
                          changes({}, {'c': '3'}))
        self.assertEqual(1, len(self.glance.sent()))

    def test_tags_read_the_image_and_keep_other_tags(self):
        calls.apply_patch(self.client, self.image_id, changes(
            tags=(['t2'], ['t1'])))
        self.assertEqual([('GET', self.path(self.image_id)),
                          ('PATCH', self.path(self.image_id))], self.sent())
        self.assertEqual(['own', 't2'],
                         self.glance.images[self.image_id]['tags'])

    def test_members_ignore_what_is_already_done(self):
        self.glance.fail('POST', self.path(self.image_id, '/members'), 409,
                         'Member already exists')
        self.glance.fail('DELETE', self.path(self.image_id, '/members/p3'),
                         404, 'Not found')
        calls.write(self.client, self.image_id, changes(
            members=(['p1', 'p2'], ['p3'])))
        self.assertEqual(
            [('POST', self.path(self.image_id, '/members'))] * 2 +
            [('DELETE', self.path(self.image_id, '/members/p3'))],
            self.sent())

    def test_deactivation(self):
        state = calls.write(self.client, self.image_id,
                            changes(active=False))
        self.assertEqual('deactivated',
                         self.glance.images[self.image_id]['status'])
        self.assertFalse(state['active'])
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))

    def test_reactivation_in_the_update_polls(self):
        self.glance.images[self.image_id]['status'] = 'deactivated'
        state = calls.write(self.client, self.image_id,
                            changes(active=True))
        self.assertEqual([], self.glance.sent())
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        self.assertIn(('POST', self.path(self.image_id,
                                         '/actions/reactivate')),
                      self.sent())


class RefusalTest(CallsTestCase):

    def test_refusal_explained(self):
        image_id = self.glance.add()
        self.glance.fail('PATCH', self.path(image_id), 403,
                         "Attribute 'secret' is reserved.")
        with testtools.ExpectedException(
                glance.GlanceError,
                "Glance refused to update image %s: Attribute 'secret' is "
                "reserved. Key\\(s\\) 'secret' are protected" % image_id):
            with calls.explained(self.client, 'update', image_id,
                                 ['secret']):
                calls.apply_patch(self.client, image_id,
                                  changes({}, {'secret': 'x'}))

    def test_server_errors_go_up_unchanged(self):
        image_id = self.glance.add()
        self.glance.fail('GET', self.path(image_id), 500, 'database locked')
        with testtools.ExpectedException(glance_exc.HTTPInternalServerError):
            with calls.explained(self.client, 'update', image_id):
                self.client.images.get(image_id)

    def test_unreachable_glance_named_with_its_endpoint(self):
        self.glance.stop()
        message = 'Glance is unreachable at %s .*could not check image ' \
                  'i1' % self.glance.url
        with testtools.ExpectedException(glance.GlanceError, message):
            with calls.explained(self.client, 'check', 'i1'):
                self.client.images.get('i1')

    def test_adopt_and_retry_in_place_need_data(self):
        queued = self.glance.add(status='queued')
        active = self.glance.add(status='active')
        self.assertFalse(calls.has_data(self.client, queued))
        self.assertTrue(calls.has_data(self.client, active))
        self.assertFalse(calls.has_data(self.client, 'gone'))
        self.assertEqual(active, calls.adoptable_image(self.client,
                                                       active)['id'])
        self.assertRaises(glance.GlanceError, calls.adoptable_image,
                          self.client, queued)


class StoresTest(CallsTestCase):

    def setUp(self):
        super(StoresTest, self).setUp()
        self.image_id = self.glance.add(stores='local,old')

    def glance_copies_to(self, store):
        """A copy of Glance's runs (an update whose engine died)."""
        self.glance.images[self.image_id].update(
            os_glance_import_task='t1', os_glance_importing_to_stores=store)

    def test_known_stores(self):
        self.assertIsNone(calls.known_stores(self.client))
        self.glance.stores = ['local', 'fast', 'os_glance_staging_store']
        self.assertEqual(['local', 'fast'], calls.known_stores(self.client))

    def test_removal_alone_is_done_at_once(self):
        state = calls.write(self.client, self.image_id, changes(
            stores=([], ['old', 'never'])))
        self.assertEqual({'copy': [], 'drop': [], 'start': [], 'leave': [],
                          'active': None}, state)
        self.assertEqual([('GET', self.path(self.image_id)),
                          ('DELETE', '/v2/stores/old/%s' % self.image_id)],
                         self.sent())
        self.assertEqual('local', self.glance.images[self.image_id]['stores'])

    def test_copy_first_then_removal_then_deactivation(self):
        state = calls.write(self.client, self.image_id, changes(
            stores=(['fast'], ['old']), active=False))
        self.assertEqual({'copy': ['fast'], 'drop': ['old'], 'start': [],
                          'leave': [], 'active': False, 'deactivate': True},
                         state)
        self.assertEqual({'method': {'name': 'copy-image'},
                          'stores': ['fast'],
                          'all_stores_must_succeed': False},
                         self.glance.sent()[-1][2])
        self.glance_copies_to('fast')
        image = self.glance.images[self.image_id]
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.assertEqual('active', image['status'])
        image.update(stores='local,old,fast', os_glance_import_task='',
                     os_glance_importing_to_stores='')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        image = self.glance.images[self.image_id]
        self.assertEqual(('local,fast', 'deactivated'),
                         (image['stores'], image['status']))

    def test_a_copy_glance_runs_is_waited_for_not_started_again(self):
        # An update whose engine died started copying to "fast"; the next
        # update adds the same store while Glance's task still copies.
        self.glance_copies_to('fast')
        state = calls.write(self.client, self.image_id, changes(
            stores=(['fast'], [])))
        self.assertEqual([], self.glance.sent('POST'))
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.glance.images[self.image_id].update(
            stores='local,old,fast', os_glance_import_task='',
            os_glance_importing_to_stores='')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        self.assertEqual([], self.glance.sent('POST'))

    def test_a_copy_waits_for_the_task_that_holds_the_image(self):
        # Glance copies to "fast" (an earlier update); this one also wants
        # "slow", which Glance refuses to start while its task runs.
        self.glance_copies_to('fast')
        state = calls.write(self.client, self.image_id, changes(
            stores=(['fast', 'slow'], [])))
        self.assertEqual([], self.glance.sent('POST'))
        self.assertEqual(['slow'], state['start'])
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.assertEqual([], self.glance.sent('POST'))
        self.glance.images[self.image_id].update(
            stores='local,old,fast', os_glance_import_task='',
            os_glance_importing_to_stores='')
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.assertEqual([{'method': {'name': 'copy-image'},
                           'stores': ['slow'],
                           'all_stores_must_succeed': False}],
                         [b for _m, _p, b in self.glance.sent('POST')])
        self.glance.images[self.image_id].update(stores='local,old,fast,slow')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        self.assertEqual(1, len(self.glance.sent('POST')))

    def test_a_store_glance_still_copies_to_is_left_after_the_copy(self):
        # An update whose engine died started copying to "fast"; its
        # rollback removes "fast": once Glance's copy ends, not before.
        self.glance_copies_to('fast')
        state = calls.write(self.client, self.image_id, changes(
            stores=([], ['fast']), active=False))
        self.assertEqual((['fast'], ['fast']), (state['drop'],
                                                state['leave']))
        self.assertFalse(calls.finish_update(self.client, self.image_id,
                                             state))
        self.assertEqual([], self.glance.sent('DELETE'))
        image = self.glance.images[self.image_id]
        self.assertEqual('active', image['status'])
        image.update(stores='local,old,fast', os_glance_import_task='',
                     os_glance_importing_to_stores='')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        self.assertEqual([('DELETE', '/v2/stores/fast/%s' % self.image_id)],
                         self.sent('DELETE'))
        # No copy started; the deactivation after the store was left.
        self.assertEqual([self.path(self.image_id, '/actions/deactivate')],
                         [p for _m, p in self.sent('POST')])
        image = self.glance.images[self.image_id]
        self.assertEqual(('local,old', 'deactivated'),
                         (image['stores'], image['status']))

    def test_failed_copy_to_a_store_left_is_not_an_error(self):
        self.glance_copies_to('fast')
        state = calls.write(self.client, self.image_id, changes(
            stores=([], ['fast'])))
        self.glance.images[self.image_id].update(
            os_glance_import_task='', os_glance_importing_to_stores='',
            os_glance_failed_import='fast')
        self.assertTrue(calls.finish_update(self.client, self.image_id,
                                            state))
        # Not in 'fast': nothing to delete there.
        self.assertEqual([], self.sent('DELETE'))
        self.assertEqual('local,old',
                         self.glance.images[self.image_id]['stores'])

    def test_failed_copy_removes_nothing(self):
        state = calls.write(self.client, self.image_id, changes(
            stores=(['fast'], ['old'])))
        self.glance.images[self.image_id].update(
            os_glance_failed_import='fast')
        self.assertRaises(glance.CopyFailed, calls.finish_update,
                          self.client, self.image_id, state)
        self.assertEqual('local,old',
                         self.glance.images[self.image_id]['stores'])
