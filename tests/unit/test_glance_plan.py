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

"""What the resource asks Glance for: heat_glance_props.glance.plan."""

import testtools

from heat_glance_props.glance import plan
from heat_glance_props import imageprops

#: Resource properties as Heat gives them (defaults applied; a string
#: property set to null arrives as '').
PROPS = {
    'id': None, 'name': 'img', 'disk_format': 'qcow2',
    'container_format': 'bare', 'location': 'http://x/img', 'min_disk': 0,
    'min_ram': 0, 'protected': False, 'visibility': None, 'owner': None,
    'tags': ['t1'], 'architecture': 'x86_64', 'kernel_id': None,
    'os_distro': '', 'os_version': None, 'ramdisk_id': None,
    'extra_properties': {'e': 'E'}, 'active': True, 'members': None,
    'properties': {'a': '1', 'n': 5, 'b': True, 'gone': None},
    'is_public': None, 'stores': None, 'all_stores_must_succeed': True,
    'expected_hash': None, 'hidden': None,
}


def props(**changes):
    result = dict(PROPS)
    result.update(changes)
    return result


class CreateTest(testtools.TestCase):

    def test_create_body_has_the_whole_map_normalised(self):
        self.assertEqual({
            'name': 'img', 'disk_format': 'qcow2',
            'container_format': 'bare', 'min_disk': 0, 'min_ram': 0,
            'protected': False, 'tags': ['t1'], 'visibility': 'private',
            'architecture': 'x86_64', 'e': 'E',
            'a': '1', 'n': '5', 'b': 'True',
        }, plan.create_body(PROPS))

    def test_hidden_is_glances_os_hidden(self):
        body = plan.create_body(props(hidden=True))
        self.assertIs(True, body['os_hidden'])
        self.assertNotIn('hidden', body)
        self.assertIs(False, plan.create_body(props(hidden=False))[
            'os_hidden'])
        # Not set: Glance's default.
        self.assertNotIn('os_hidden', plan.create_body(PROPS))

    def test_create_body_keeps_a_template_id_and_owner(self):
        body = plan.create_body(props(id='1234', owner='p1'))
        self.assertEqual(('1234', 'p1'), (body['id'], body['owner']))

    def test_create_body_with_the_chosen_id(self):
        self.assertEqual('chosen', plan.create_body(PROPS, 'chosen')['id'])
        self.assertEqual('1234', plan.create_body(props(id='1234'),
                                                  '1234')['id'])

    def test_own_id(self):
        self.assertFalse(plan.own_id(PROPS, 'chosen'))
        self.assertTrue(plan.own_id(props(id='1234'), '1234'))
        self.assertFalse(plan.own_id(props(id='1234'), 'chosen'))

    def test_an_image_with_the_templates_id_is_ours_only_if_it_matches(self):
        image = {'id': '1234', 'owner': 'p1', 'name': 'img',
                 'architecture': 'x86_64', 'e': 'E', 'a': '1', 'n': '5',
                 'b': 'True', 'injected': 'x', 'status': 'queued'}
        mine = props(id='1234')
        self.assertIsNone(plan.not_ours(image, mine, 'p1'))
        self.assertIn('belongs to project p2, not p1',
                      plan.not_ours(dict(image, owner='p2'), mine, 'p1'))
        self.assertIsNone(plan.not_ours(dict(image, owner='p2'),
                                        props(id='1234', owner='p2'), 'p1'))
        self.assertIn("named 'other'",
                      plan.not_ours(dict(image, name='other'), mine, 'p1'))
        self.assertIn("properties 'a', 'e'", plan.not_ours(
            dict(image, a='2', e='x'), mine, 'p1'))

    def test_unfinished_create_message(self):
        self.assertEqual(
            'The create of image i1 did not complete (Glance has no image '
            'with that id yet); a stack update resumes it in place.',
            plan.unfinished_create('i1', None, False))
        msg = plan.unfinished_create('i1', {
            'status': 'queued', 'os_glance_import_task': 't'}, False)
        self.assertIn('(the image is queued, with an import running)', msg)
        self.assertIn('a stack update replaces it (a new image)',
                      plan.unfinished_create('i1', {'status': 'killed'},
                                             True))

    def test_location_and_members_are_not_attributes(self):
        body = plan.create_body(props(members=['p2']))
        self.assertNotIn('location', body)
        self.assertNotIn('members', body)
        self.assertNotIn('active', body)

    def test_visibility_and_the_deprecated_is_public(self):
        self.assertEqual('private', plan.visibility(PROPS))
        self.assertEqual('public', plan.visibility(props(is_public=True)))
        self.assertEqual('shared', plan.visibility(
            props(is_public=True, visibility='shared')))

    def test_managed_map(self):
        self.assertEqual({'architecture': 'x86_64', 'e': 'E', 'a': '1',
                          'n': '5', 'b': 'True'}, plan.managed(PROPS))

    def test_first_class_keys_in_the_maps(self):
        # Not set as first-class properties, set in a map: like any key.
        managed = plan.managed(props(
            architecture=None, properties={'os_distro': 'ubuntu'},
            extra_properties={'architecture': 'aarch64'}))
        self.assertEqual({'os_distro': 'ubuntu', 'architecture': 'aarch64'},
                         managed)
        # The stored properties of a stack taken over from Heat's WebImage
        # may set a key twice: its extra_properties won there, and here.
        self.assertEqual({'architecture': 'aarch64'}, plan.managed(props(
            properties={}, extra_properties={'architecture': 'aarch64'})))

    def test_first_class(self):
        self.assertEqual({'architecture': 'x86_64', 'kernel_id': None,
                          'os_distro': '', 'os_version': None,
                          'ramdisk_id': None}, plan.first_class(PROPS))


class ChangesTest(testtools.TestCase):

    def test_nothing_changed(self):
        changes = plan.changes(PROPS, dict(PROPS))
        self.assertFalse(changes)
        self.assertEqual(set(), changes.keys())

    def test_keys_attributes_tags_and_members(self):
        new = props(name='new', min_ram=512, tags=['t2'], members=['p2'],
                    properties={'a': '2', 'n': 5, 'b': True, 'c': 'x'},
                    extra_properties={})
        changes = plan.changes(PROPS, new)
        self.assertTrue(changes)
        self.assertEqual(imageprops.Patch({'a': '2', 'c': 'x'}, ['e']),
                         changes.patch)
        self.assertEqual({'a', 'c', 'e'}, changes.keys())
        self.assertEqual({'name': 'new', 'min_ram': 512},
                         changes.attributes)
        self.assertEqual((['t2'], ['t1']), changes.tags)
        self.assertEqual((['p2'], []), changes.members)
        self.assertIsNone(changes.active)

    def test_a_first_class_property_set_to_null_is_removed(self):
        changes = plan.changes(PROPS, props(architecture=''))
        self.assertEqual(['architecture'], changes.patch.removed)

    def test_a_key_moving_between_first_class_and_a_map_stays(self):
        in_map = props(architecture=None,
                       properties=dict(PROPS['properties'],
                                       architecture='x86_64'))
        in_extra = props(architecture=None,
                         extra_properties={'e': 'E',
                                           'architecture': 'x86_64'})
        both = props(properties=dict(PROPS['properties'],
                                     architecture='x86_64'))
        for old, new in ((PROPS, in_map), (in_map, PROPS),
                         (PROPS, in_extra), (in_extra, in_map),
                         (in_map, both), (both, PROPS)):
            self.assertFalse(plan.changes(old, new), (old, new))
        # Moved with a new value: changed, not removed.
        changes = plan.changes(PROPS, props(
            architecture='', properties={'architecture': 'aarch64'}))
        self.assertEqual(imageprops.Patch(
            {'architecture': 'aarch64'}, ['a', 'b', 'n']), changes.patch)

    def test_values_changed_in_type_only(self):
        # Heat's diff compares with ==: false == 0, 1 == 1.0 == True.
        old = props(properties={'a': False, 'n': 1}, extra_properties={})
        new = props(properties={'a': 0, 'n': 1.0}, extra_properties={})
        self.assertEqual(old['properties'], new['properties'])
        self.assertEqual(['properties'], plan.retyped(old, new))
        self.assertEqual(imageprops.Patch({'a': '0', 'n': '1.0'}, []),
                         plan.changes(old, new).patch)
        self.assertEqual(['extra_properties'], plan.retyped(
            props(extra_properties={'e': True}),
            props(extra_properties={'e': 1})))
        # Not the same values (Heat sees those) or the same strings.
        self.assertEqual([], plan.retyped(PROPS, props(properties={})))
        self.assertEqual([], plan.retyped(PROPS, dict(PROPS)))
        self.assertEqual([], plan.retyped(props(properties=None),
                                          props(properties=None)))

    def test_hidden_is_patched_as_os_hidden(self):
        changes = plan.changes(PROPS, props(hidden=True))
        self.assertEqual({'os_hidden': True}, changes.attributes)
        self.assertTrue(changes)
        self.assertEqual({'os_hidden': False}, plan.changes(
            props(hidden=True), props(hidden=False)).attributes)
        # A template that stops setting it leaves the image as it is.
        self.assertEqual({}, plan.changes(props(hidden=True),
                                          PROPS).attributes)
        self.assertFalse(plan.changes(props(hidden=True),
                                      props(hidden=True)))

    def test_unset_attribute_is_not_sent(self):
        # A template that stops setting "name" leaves the image's name.
        self.assertEqual({}, plan.changes(PROPS, props(name=None)).attributes)

    def test_visibility_through_is_public(self):
        self.assertEqual({'visibility': 'public'},
                         plan.changes(PROPS, props(is_public=True)).attributes)

    def test_activation(self):
        self.assertIs(False, plan.changes(PROPS, props(active=False)).active)
        self.assertTrue(plan.changes(PROPS, props(active=False)))
        self.assertIs(True, plan.changes(props(active=False), PROPS).active)
        # Reactivation alone is done by the update's polls.
        self.assertFalse(plan.changes(props(active=False), PROPS))

    def test_stores_only_while_the_template_lists_them(self):
        changes = plan.changes(props(stores=['a', 'b']), props(stores=['b']))
        self.assertEqual(([], ['a']), changes.stores)
        self.assertTrue(changes)
        changes = plan.changes(props(stores=['a']), props(stores=None))
        self.assertEqual(([], []), changes.stores)
        self.assertFalse(changes)


class CheckTest(testtools.TestCase):

    IMAGE = {'id': 'i1', 'status': 'active', 'name': 'img', 'min_disk': 0,
             'min_ram': 0, 'protected': False, 'visibility': 'private',
             'os_hidden': False,
             'tags': ['t1', 'other'], 'architecture': 'x86_64', 'e': 'E',
             'a': '1', 'n': '5', 'b': 'True', 'injected': 'x'}

    def observed(self, image):
        result = dict(PROPS)
        result.update(name=image['name'], min_ram=image['min_ram'],
                      hidden=image['os_hidden'],
                      tags=[t for t in PROPS['tags'] if t in image['tags']])
        return result

    def test_no_difference(self):
        self.assertEqual([], plan.differences(PROPS, self.observed(
            self.IMAGE), self.IMAGE))
        self.assertIsNone(plan.check_failure('i1', []))

    def test_every_difference_is_named(self):
        image = dict(self.IMAGE, status='deactivated', name='renamed',
                     tags=['other'], a='changed', os_hidden=True)
        del image['n']
        # hidden is compared when the template sets it.
        self.assertNotIn("'hidden'", ' '.join(str(p) for p in (
            plan.differences(PROPS, self.observed(image), image))))
        wanted = props(hidden=False)
        problems = [str(p) for p in plan.differences(
            wanted, dict(self.observed(image), hidden=True), image)]
        self.assertEqual([
            'the image is deactivated, not active',
            "'hidden' is 'True' in Glance (template: 'False')",
            "'name' is 'renamed' in Glance (template: 'img')",
            "tag 't1' is missing",
            "key 'a' is 'changed' in Glance (template: '1')",
            "key 'n' is missing (template: '5')",
        ], problems)
        message = plan.check_failure('i1', problems)
        self.assertIn('Image i1 differs from the template: the image is '
                      'deactivated, not active; ', message)
        self.assertIn('Run a stack update with --converge', message)


class ValidationTest(testtools.TestCase):

    def test_expected_hash(self):
        self.assertIsNone(plan.hash_problem(PROPS))
        self.assertIsNone(plan.hash_problem(props(expected_hash={
            'algorithm': 'sha256', 'value': 'a' * 64})))
        self.assertEqual(
            '"expected_hash": a sha256 hash is 64 hexadecimal digits.',
            plan.hash_problem(props(expected_hash={
                'algorithm': 'sha256', 'value': 'abc'})))

    def test_is_public_against_visibility(self):
        self.assertIsNone(plan.visibility_problem(
            props(is_public=True, visibility='public')))
        self.assertIsNone(plan.visibility_problem(props(is_public=False)))
        self.assertEqual(
            '"is_public" is True but "visibility" is "private"; remove the '
            'deprecated "is_public".',
            plan.visibility_problem(props(is_public=True,
                                          visibility='private')))
