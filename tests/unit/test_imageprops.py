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

"""The pure logic: no Heat, no Glance."""

import subprocess
import sys

import testtools

from heat_glance_props import imageprops


class NormaliseTest(testtools.TestCase):

    def test_values(self):
        self.assertEqual('text', imageprops.normalise_value('text'))
        self.assertEqual('', imageprops.normalise_value(''))
        self.assertEqual('5', imageprops.normalise_value(5))
        self.assertEqual('0', imageprops.normalise_value(0))
        self.assertEqual('-1', imageprops.normalise_value(-1))
        self.assertEqual('1.5', imageprops.normalise_value(1.5))
        self.assertEqual('True', imageprops.normalise_value(True))
        self.assertEqual('False', imageprops.normalise_value(False))
        self.assertIsNone(imageprops.normalise_value(None))

    def test_list_and_map_are_refused(self):
        self.assertRaises(TypeError, imageprops.normalise_value, [1])
        self.assertRaises(TypeError, imageprops.normalise_value, {'a': 1})

    def test_normalise_drops_unset_keys(self):
        self.assertEqual({'a': '1', 'b': 'x'}, imageprops.normalise(
            {'a': 1, 'b': 'x', 'c': None}))
        self.assertEqual({}, imageprops.normalise(None))

    def test_merge_later_maps_win(self):
        self.assertEqual({'a': '2', 'b': '1'},
                         imageprops.merge({'a': 1, 'b': 1}, None, {'a': 2}))

    def test_first_class_values_drops_what_is_not_set(self):
        self.assertEqual({'os_distro': 'ubuntu', 'os_version': '24'},
                         imageprops.first_class_values({
                             'os_distro': 'ubuntu', 'os_version': 24,
                             'architecture': '', 'kernel_id': None}))
        self.assertEqual({}, imageprops.first_class_values(None))


class PatchTest(testtools.TestCase):

    def test_change_add_remove(self):
        patch = imageprops.compute_patch(
            {'keep': '1', 'change': 'old', 'drop': 'x'},
            {'keep': '1', 'change': 'new', 'add': 'y'})
        self.assertEqual({'change': 'new', 'add': 'y'}, patch.changed)
        self.assertEqual(['drop'], patch.removed)

    def test_no_change_is_empty(self):
        empty = imageprops.Patch({}, [])
        self.assertEqual(empty,
                         imageprops.compute_patch({'a': '1'}, {'a': '1'}))
        self.assertEqual(empty, imageprops.compute_patch({}, {}))
        self.assertEqual([], imageprops.json_patch(
            imageprops.compute_patch({'a': '1'}, {'a': '1'}),
            live={'a': '1'}))

    def test_only_old_keys_are_removed(self):
        # 'oob' is on the image but was never in the template: the patch
        # can only remove what the old map had.
        patch = imageprops.compute_patch({'a': '1'}, {})
        self.assertEqual(['a'], patch.removed)
        self.assertNotIn('oob', patch.removed)

    def test_removed_is_sorted(self):
        patch = imageprops.compute_patch({'b': '1', 'a': '1', 'c': '1'}, {})
        self.assertEqual(['a', 'b', 'c'], patch.removed)

    def test_drift(self):
        self.assertEqual(
            {'a': ('1', '2'), 'b': ('1', None)},
            imageprops.drift({'a': '1', 'b': '1', 'c': '1'},
                             {'a': '2', 'c': '1', 'unmanaged': 'z'}))


class FindProblemsTest(testtools.TestCase):

    def problems(self, props, extra=None,
                 first_class={'os_distro': 'ubuntu', 'os_version': ''}):
        return imageprops.find_problems(
            [('properties', props), ('extra_properties', extra)],
            first_class=first_class)

    def assert_one(self, props, key, *fragments, **kwargs):
        problems = self.problems(props, **kwargs)
        self.assertEqual(1, len(problems), problems)
        self.assertEqual(key, problems[0][0])
        message = problems[0][1]
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def test_good_map(self):
        self.assertEqual([], self.problems({
            'hw_disk_bus': 'virtio', 'n': 1, 'b': False, 'f': 2.5,
            'unset': None, 'a/b': 'x', '~1': 'y', 'with space': 'z'}))
        self.assertEqual([], self.problems(None))

    def test_empty_key(self):
        self.assert_one({'': 'x'}, '', "'properties' has an empty key")

    def test_non_string_key(self):
        self.assert_one({5: 'x'}, 5, "key 5 in 'properties' is not a string",
                        'quote it')

    def test_long_key(self):
        key = 'k' * 256
        self.assert_one({key: 'x'}, key, '256 characters', 'at most 255',
                        'k' * 37 + '...')
        self.assertEqual([], self.problems({'k' * 255: 'x'}))

    def test_read_only(self):
        for key in ('status', 'checksum', 'os_hash_value', 'size', 'id',
                    'created_at', 'stores'):
            self.assert_one({key: 'x'}, key, "key '%s'" % key, 'read-only')

    def test_reserved(self):
        for key in ('location', 'deleted', 'deleted_at', 'os_glance_x',
                    'os_glance_import_task'):
            self.assert_one({key: 'x'}, key, "key '%s'" % key,
                            'reserved by Glance', "'os_glance'")

    def test_core_attribute_names_the_resource_property(self):
        for key in ('name', 'visibility', 'disk_format', 'container_format',
                    'min_ram', 'min_disk', 'protected', 'owner', 'tags'):
            self.assert_one({key: 'x'}, key, 'core image attribute',
                            "resource property '%s'" % key)
        self.assert_one({'os_hidden': True}, 'os_hidden',
                        'core image attribute', "resource property 'hidden'")

    def test_core_attribute_without_resource_property(self):
        self.assert_one({'locations': 'x'}, 'locations',
                        'core image attribute', 'cannot be set')

    def test_client_argument_names(self):
        for key in ('image_id', 'remove_props'):
            self.assert_one({key: 'x'}, key, 'Glance client')

    def test_first_class_key_with_another_value(self):
        message = self.assert_one({'os_distro': 'debian'}, 'os_distro')
        self.assertEqual(
            "key 'os_distro' in 'properties' is 'debian', but the resource "
            "property 'os_distro' is 'ubuntu'; give the key one value (set "
            "it in one of the two places, or the same value in both).",
            message)
        message = self.assert_one({}, 'os_distro', extra={'os_distro': 7})
        self.assertIn("key 'os_distro' in 'extra_properties' is '7', but "
                      "the resource property 'os_distro' is 'ubuntu'",
                      message)

    def test_first_class_key_alone_or_with_the_same_value(self):
        # Not set as a first-class property (absent, null or ''): the map
        # sets it like any other key.
        for first_class in ({}, {'os_distro': None}, {'os_distro': ''}):
            self.assertEqual([], self.problems(
                {'os_distro': 'x', 'architecture': 'x86_64'},
                first_class=first_class))
            self.assertEqual([], self.problems(
                {}, {'os_distro': 'x'}, first_class=first_class))
        # The same value in both places, as the same string.
        self.assertEqual([], self.problems({'os_distro': 'ubuntu'}))
        self.assertEqual([], self.problems(
            {'os_version': 24}, first_class={'os_version': '24'}))
        self.assertEqual([], self.problems(
            {'os_version': True}, first_class={'os_version': 'True'}))
        # Null in the map means "not set" there.
        self.assertEqual([], self.problems({'os_distro': None}))
        self.assertEqual([], self.problems({'os_version': 'x'}))

    def test_white_space_around_a_key(self):
        for key in (' k', 'k ', '\tk', ' '):
            self.assert_one({key: 'x'}, key, 'white space')
        self.assertEqual([], self.problems({'a b': 'x'}))

    def test_characters_above_u_ffff(self):
        self.assert_one({'smile-\U0001f600': 'x'}, 'smile-\U0001f600',
                        'above U+FFFF', 'property names')
        self.assert_one({'k': 'smile \U0001f600'}, 'k', "value of key 'k'",
                        'above U+FFFF', 'property values')
        self.assertEqual([], self.problems({'ключ': 'значение \u2603'}))

    def test_key_in_both_maps(self):
        problems = self.problems({'k': '1'}, {'k': '2'})
        self.assertEqual(1, len(problems))
        self.assertIn("set in both 'properties' and 'extra_properties'",
                      problems[0][1])

    def test_list_and_map_values(self):
        self.assert_one({'k': [1, 2]}, 'k', "value of key 'k'", 'a list')
        self.assert_one({'k': {'a': 1}}, 'k', "value of key 'k'", 'a map')

    def test_every_problem_is_reported(self):
        problems = self.problems({'': 1, 'status': 'x', 'ok': 'fine',
                                  'k': [1]})
        self.assertEqual(['', 'status', 'k'], [k for k, _m in problems])


class NoHeatImportTest(testtools.TestCase):

    def test_pure_module_does_not_import_heat(self):
        code = ('import sys; import heat_glance_props.imageprops; '
                'sys.exit(any(m == "heat" or m.startswith("heat.") '
                'for m in sys.modules))')
        rc = subprocess.call([sys.executable, '-c', code])
        self.assertEqual(0, rc)


class JsonPatchTest(testtools.TestCase):

    def test_adds_replaces_and_removes(self):
        patch = imageprops.Patch({'b': '2', 'a/b': 'x'}, ['gone', 'absent'])
        ops = imageprops.json_patch(patch, {'name': 'n', 'min_ram': 5},
                                    live={'gone': '1', 'b': 'old'})
        self.assertEqual([
            {'op': 'replace', 'path': '/min_ram', 'value': 5},
            {'op': 'replace', 'path': '/name', 'value': 'n'},
            {'op': 'add', 'path': '/a~1b', 'value': 'x'},
            {'op': 'add', 'path': '/b', 'value': '2'},
            {'op': 'remove', 'path': '/gone'},
        ], ops)

    def test_never_moves_or_copies(self):
        # Remove A and add B with A's value: jsonpatch would say "move".
        patch = imageprops.compute_patch({'a': 'v'}, {'b': 'v'})
        ops = imageprops.json_patch(patch, live={'a': 'v'})
        self.assertEqual(['add', 'remove'], [op['op'] for op in ops])

    def test_values_already_live_are_skipped(self):
        patch = imageprops.Patch({'a': '1', 'b': '2'}, [])
        self.assertEqual(
            [{'op': 'add', 'path': '/b', 'value': '2'}],
            imageprops.json_patch(patch, live={'a': '1', 'b': '1'}))
        self.assertEqual([], imageprops.json_patch(
            imageprops.Patch({}, ['x']), live={}))

    def test_without_live_state_removals_are_not_guessed(self):
        patch = imageprops.Patch({'a': '1'}, [])
        self.assertEqual([{'op': 'add', 'path': '/a', 'value': '1'}],
                         imageprops.json_patch(patch))

    def test_without_live_state_removals_are_sent(self):
        # Glance refuses the whole PATCH if a key is gone; the caller then
        # reads the image and asks again.
        self.assertEqual([{'op': 'remove', 'path': '/x'}],
                         imageprops.json_patch(imageprops.Patch({}, ['x'])))

    def test_tags_replace_the_list_keeping_unmanaged_tags(self):
        ops = imageprops.json_patch(imageprops.Patch({}, []),
                                    live={'tags': ['oob', 't1', 't2']},
                                    tags=(['t3', 't1'], ['t2']))
        self.assertEqual([{'op': 'replace', 'path': '/tags',
                           'value': ['oob', 't1', 't3']}], ops)
        self.assertEqual([], imageprops.json_patch(
            imageprops.Patch({}, []), live={'tags': ['t1']},
            tags=(['t1'], ['t9'])))
        self.assertRaises(ValueError, imageprops.json_patch,
                          imageprops.Patch({}, []), tags=(['t1'], []))

    def test_pointer_escaping(self):
        self.assertEqual('/~0~1x~01', imageprops.pointer('~/x~1'))
        self.assertEqual('/a b', imageprops.pointer('a b'))
