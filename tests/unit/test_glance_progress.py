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

"""What an image document says: heat_glance_props.glance.progress.

The documents are those glance 33 shows during and after an import (see
the module's docstring): the functional tier produces them for real.
"""

import testtools

from heat_glance_props import glance
from heat_glance_props.glance import progress

TASK = {'os_glance_import_task': 'task-1'}
QUEUED = {'id': 'i1', 'status': 'queued'}
IMPORTING = dict(QUEUED, status='importing', **TASK)
# Active, but Glance's task still holds the image for one more save.
ACTIVE_LOCKED = dict(QUEUED, status='active', **TASK)
ACTIVE = dict(QUEUED, status='active')
DEACTIVATED = dict(QUEUED, status='deactivated')
# A failed web-download import: back to queued, with the failure marked.
FAILED = dict(QUEUED, os_glance_failed_import='local')
KILLED = dict(QUEUED, status='killed')
# Imported into some stores, failed in others.
PARTIAL = dict(ACTIVE, os_glance_failed_import='slow', stores='local')


class ImportTest(testtools.TestCase):

    def test_import_failed(self):
        for image in (FAILED, KILLED, QUEUED):
            self.assertTrue(progress.import_failed(image), image)
        for image in (IMPORTING, ACTIVE_LOCKED, ACTIVE, DEACTIVATED):
            self.assertFalse(progress.import_failed(image), image)

    def test_partial_import_fails_unless_the_template_allows_it(self):
        self.assertTrue(progress.import_failed(PARTIAL))
        self.assertFalse(progress.import_failed(
            PARTIAL, all_stores_must_succeed=False))
        # A failure that left no active image is one either way.
        self.assertTrue(progress.import_failed(
            FAILED, all_stores_must_succeed=False))

    def test_settled_waits_for_the_import_lock(self):
        self.assertFalse(progress.settled(ACTIVE_LOCKED, True))
        self.assertTrue(progress.settled(ACTIVE, True))
        self.assertFalse(progress.settled(ACTIVE, False))
        self.assertTrue(progress.settled(DEACTIVATED, False))
        self.assertFalse(progress.settled(IMPORTING, True))

    def test_create_steps(self):
        cases = [
            (QUEUED, True, progress.FAILED),
            (FAILED, False, progress.FAILED),
            (IMPORTING, True, progress.WAIT),
            (ACTIVE_LOCKED, True, progress.WAIT),
            (ACTIVE_LOCKED, False, progress.WAIT),
            (ACTIVE, True, progress.READY),
            (ACTIVE, False, progress.DEACTIVATE),
            (DEACTIVATED, False, progress.DONE),
            (DEACTIVATED, True, progress.WAIT),
        ]
        for image, active, step in cases:
            self.assertEqual(step, progress.create_step(image, active),
                             (image, active))
        self.assertEqual(progress.READY, progress.create_step(
            PARTIAL, True, all_stores_must_succeed=False))

    def test_has_data(self):
        self.assertEqual([False, False, True, True, False], [
            progress.has_data(i)
            for i in (QUEUED, IMPORTING, ACTIVE, DEACTIVATED, KILLED)])


class CopyTest(testtools.TestCase):

    def test_copied(self):
        image = dict(ACTIVE, stores='local,fast')
        self.assertTrue(progress.copied(image, ['fast']))
        self.assertFalse(progress.copied(dict(image, **TASK), ['fast']))

    def test_copy_still_running(self):
        image = dict(ACTIVE, stores='local',
                     os_glance_importing_to_stores='fast', **TASK)
        self.assertFalse(progress.copied(image, ['fast']))
        self.assertFalse(progress.copied(dict(ACTIVE, stores='local',
                                              **TASK), ['fast']))

    def test_copy_lost_is_not_waited_for(self):
        # The list without the task's lock: a save that read the image
        # before the copy ended wrote it back, and the copy's location
        # with it (Glance's images are saved whole). Not a running copy.
        image = dict(ACTIVE, stores='local',
                     os_glance_importing_to_stores='fast')
        self.assertRaises(glance.CopyFailed, progress.copied, image,
                          ['fast'])

    def test_copy_failed(self):
        image = dict(ACTIVE, stores='local', os_glance_failed_import='fast')
        exc = self.assertRaises(glance.CopyFailed, progress.copied, image,
                                ['fast'])
        self.assertIsInstance(exc, glance.GlanceError)
        self.assertIn("could not copy image i1 to store(s) 'fast' (Glance "
                      "reports the failed stores in os_glance_failed_import: "
                      "fast). The image is unchanged in 'local'", str(exc))


class ResumeTest(testtools.TestCase):
    """The next operation after a heat-engine died during a create."""

    def test_resume_step(self):
        step = progress.resume_step
        # No image yet: the POST never reached Glance.
        self.assertEqual(progress.POST, step(None, False))
        # POSTed, no import ever started.
        self.assertEqual(progress.IMPORT, step(QUEUED, False))
        # An import runs, or the data is in: never imported again.
        for image in (IMPORTING, ACTIVE_LOCKED, ACTIVE, DEACTIVATED,
                      PARTIAL):
            self.assertEqual(progress.FINISH, step(image, True), image)
        # A failed import: a new image, unless the id is the template's.
        self.assertEqual(progress.REPLACE, step(FAILED, True))
        self.assertEqual(progress.REPLACE, step(QUEUED, True))
        self.assertEqual(progress.IMPORT, step(FAILED, True, own_id=True))
        # A killed image can get no data.
        for own_id in (False, True):
            self.assertEqual(progress.REPLACE, step(KILLED, True, own_id))

    def test_data_step(self):
        for image in (IMPORTING, ACTIVE_LOCKED):
            self.assertEqual(progress.DATA_WAIT, progress.data_step(image))
        for image in (ACTIVE, DEACTIVATED, PARTIAL):
            self.assertEqual(progress.DATA_READY, progress.data_step(image))
        for image in (QUEUED, FAILED, KILLED):
            self.assertEqual(progress.DATA_FAILED, progress.data_step(image))
