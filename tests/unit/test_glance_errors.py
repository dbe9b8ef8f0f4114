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

"""Messages for Glance's refusals: no Heat, no Glance."""

import testtools

from heat_glance_props import glance_errors


class ReasonTest(testtools.TestCase):

    def test_unescaped_and_without_status_line(self):
        self.assertEqual(
            "Attribute 'x' is reserved",
            glance_errors.glance_reason(
                '403 Forbidden: Attribute &#x27;x&#x27; is reserved.'))
        self.assertEqual('No image found with ID 1',
                         glance_errors.glance_reason(
                             'HTTP 404 Not Found: No image found with ID 1'))
        self.assertEqual('plain', glance_errors.glance_reason('plain'))
        self.assertEqual('no reason given', glance_errors.glance_reason(''))

    def test_format_keys(self):
        self.assertEqual("'a', 'b'", glance_errors.format_keys(['b', 'a']))
        keys = ['k%02d' % i for i in range(13)]
        shown = glance_errors.format_keys(keys)
        self.assertIn("'k09' and 3 more", shown)
        self.assertNotIn('k10', shown)


class ExplainTest(testtools.TestCase):

    def test_protected_key_names_glance_key(self):
        msg = glance_errors.explain(
            403, 'Attribute &#x27;x_p&#x27; is reserved.', 'img-1',
            keys=['a', 'x_p'])
        self.assertIn('Glance refused to update image img-1', msg)
        self.assertIn("Attribute 'x_p' is reserved", msg)
        self.assertIn("Key(s) 'x_p' are protected", msg)
        self.assertNotIn("'a'", msg)
        self.assertIn('none of the changes', msg)

    def test_policy_refusal_is_not_called_a_protected_key(self):
        msg = glance_errors.explain(
            403, 'You are not authorized to complete publicize_image '
            'action.', 'img-1', keys=['new'])
        self.assertIn('publicize_image', msg)
        self.assertIn("Glance's policy does not allow this change", msg)
        self.assertNotIn('protected', msg)
        self.assertNotIn("'new'", msg)

    def test_quota(self):
        msg = glance_errors.explain(
            413, 'The limit has been exceeded on the number of allowed '
            'image properties. Attempted: 140, Maximum: 128', 'img-1',
            action='create')
        self.assertIn('Glance refused to create image img-1', msg)
        self.assertIn('would have 140 properties, more than the 128', msg)
        self.assertIn('image_property_quota', msg)

    def test_not_found_conflict_and_other(self):
        self.assertIn('Image img-1 no longer exists in Glance',
                      glance_errors.explain(404, 'gone', 'img-1'))
        self.assertIn('in its current state: busy',
                      glance_errors.explain(409, 'busy', 'img-1'))
        self.assertEqual(
            "Glance refused to update image img-1 (HTTP 400): bad. "
            "Key(s) sent: 'k'.",
            glance_errors.explain(400, 'bad', 'img-1', keys=['k']))
        self.assertEqual(
            'Glance refused to create the image (HTTP 400): bad.',
            glance_errors.explain(400, 'bad', None, action='create'))

    def test_unreachable(self):
        msg = glance_errors.unreachable('http://g:9292', 'refused', 'img-1')
        self.assertIn('Glance is unreachable at http://g:9292 (refused)',
                      msg)
        self.assertIn('the same image is patched in place', msg)
        msg = glance_errors.unreachable('http://g:9292', 'refused', None,
                                        action='create')
        self.assertIn('could not create the image', msg)
        self.assertNotIn('patched in place', msg)


class AdviceThatCanWorkTest(testtools.TestCase):

    def test_an_image_id_is_never_reused(self):
        msg = glance_errors.explain(
            409, '409 Conflict: Image ID 0bd5d1c4-5a3c-4cc4-9e0b-3c4f7e1f'
            '3a55 already exists!', None, action='create')
        self.assertIn('an image with id 0bd5d1c4-5a3c-4cc4-9e0b-3c4f7e1f3a55 '
                      'exists or existed in this cloud', msg)
        self.assertIn('never reuses an image id', msg)
        self.assertIn("remove 'id' from the template", msg)
        self.assertNotIn('settle', msg)

    def test_other_conflict_on_create_does_not_say_wait(self):
        msg = glance_errors.explain(409, 'odd', None, action='create')
        self.assertEqual('Glance refused to create the image (HTTP 409): '
                         'odd.', msg)

    def test_not_found_without_an_image(self):
        msg = glance_errors.explain(404, 'The resource could not be found.',
                                    None, action='create')
        self.assertNotIn('no longer exists', msg)
        self.assertIn('Glance refused to create the image (HTTP 404)', msg)


class ImportFailedTest(testtools.TestCase):

    def test_generic_reason_names_the_causes_and_the_command(self):
        self.assertTrue(glance_errors.is_generic(
            'Task failed due to Internal Error'))
        self.assertTrue(glance_errors.is_generic(None))
        self.assertFalse(glance_errors.is_generic(
            'Image size 10 exceeds the limit'))
        msg = glance_errors.import_failed(
            'img-1', 'http://h/x.img', 'vmdk', 'queued', 'task-1',
            'Task failed due to Internal Error')
        self.assertIn('import task task-1 failed: Task failed due to '
                      'Internal Error (the image is queued)', msg)
        self.assertIn('may not be of disk_format vmdk', msg)
        self.assertIn('heat-glance-props introspect http://h/x.img', msg)

    def test_findings_name_the_cause(self):
        msg = glance_errors.import_failed(
            'img-1', 'http://h/x.img', 'vmdk', 'queued', None, None,
            findings=['the data is qcow2, but disk_format is vmdk'])
        self.assertIn('the import ended with the image queued', msg)
        self.assertIn('the plugin found one: the data is qcow2, but '
                      'disk_format is vmdk', msg)

    def test_a_specific_reason_is_left_alone(self):
        msg = glance_errors.import_failed(
            'img-1', 'http://h/x.img', 'raw', 'queued', 'task-1',
            'Image size 10 exceeds the limit', findings=['ignored'])
        self.assertTrue(msg.endswith('(the image is queued).'), msg)


class LazyTranslationTest(testtools.TestCase):
    """heat-engine enables lazy translation: messages are Message objects."""

    def test_messages_build_with_lazy_translation(self):
        from oslo_i18n import fixture as i18n_fixture

        from heat_glance_props import catalog

        self.useFixture(i18n_fixture.ToggleLazy(True))
        msg = glance_errors.import_failed(
            'img-1', 'http://h/x.img', 'vmdk', 'queued', 't', None)
        self.assertIn('Glance gives no cause', str(msg))
        msg = glance_errors.import_failed(
            'img-1', 'http://h/x.img', 'vmdk', 'queued', 't', None,
            findings=['it is qcow2'])
        self.assertIn('found one: it is qcow2', str(msg))
        self.assertIn('never reuses', str(glance_errors.explain(
            409, 'Image ID x already exists!', None, action='create')))
        review = catalog.review([('properties', {
            'trait:HW_CPU_X86_AXV2': 'required', 'hw_vm_mode': 'kvm',
            'hw_numa_cpus': '0', 'note': 'x' * 300, 'status': 'x'})])
        self.assertEqual(4, len(review.errors))
        self.assertEqual(1, len(review.warnings))
        for finding in review.errors + review.warnings:
            self.assertIsInstance(finding.message, str)


class AdviceForTheOperationTest(testtools.TestCase):

    def test_adopting_an_image_that_does_not_exist(self):
        msg = glance_errors.explain(404, 'No image found with ID img-1',
                                    'img-1', action='adopt')
        self.assertIn('Check the image id in the adopt data', msg)
        self.assertNotIn('next stack update creates', msg)

    def test_unreachable_during_check_and_adopt(self):
        for action in ('check', 'adopt'):
            msg = glance_errors.unreachable('http://g:9292', 'refused',
                                            'img-1', action=action)
            self.assertIn('could not %s image img-1' % action, msg)
            self.assertIn('%s the stack again' % action, msg)
            self.assertNotIn('patched in place', msg)
